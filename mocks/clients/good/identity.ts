import * as oauth from 'oauth4webapi';
import type { ClientJourney } from './journey.ts';

export interface ClientCredentials {
  client_id: string;
  client_secret: string;
}

/** Who the client is at one AS and how it authenticates at its token endpoint. */
export interface ClientIdentity {
  client: oauth.Client;
  authentication: oauth.ClientAuth;
}

/**
 * The client_id and client_secret of MCP_CONFORMANCE_CONTEXT (the official suite's `auth/pre-registration` shape), or
 * undefined when the context carries none.
 */
export function credentialsFromContext(context: Record<string, unknown>): ClientCredentials | undefined {
  const { client_id, client_secret } = context;
  return typeof client_id === 'string' && typeof client_secret === 'string' ? { client_id, client_secret } : undefined;
}

/** Credentials registered ahead of time when the context has them, else a dynamic registration (RFC 7591). */
export async function clientIdentity(
  journey: ClientJourney,
  as: oauth.AuthorizationServer,
  preRegistered = credentialsFromContext(journey.context),
): Promise<ClientIdentity> {
  if (preRegistered) {
    const identity = preRegisteredClient(as, preRegistered);
    journey.step(
      `pre-registered client_id=${identity.client.client_id}, ${identity.client.token_endpoint_auth_method} at the token endpoint`,
    );
    return identity;
  }
  const client = await register(journey, as);
  journey.step(`registered dynamically: client_id=${client.client_id}`);
  return { client, authentication: oauth.None() };
}

/**
 * OAuth 2.1 §2.4.1, RFC 8414 §2: a confidential client authenticates with a method the AS advertises; HTTP Basic
 * when offered (and when the metadata names none, its default), else client_secret in the body.
 */
function preRegisteredClient(as: oauth.AuthorizationServer, credentials: ClientCredentials): ClientIdentity {
  const advertised = as.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  const usePost = !advertised.includes('client_secret_basic') && advertised.includes('client_secret_post');
  return {
    client: {
      client_id: credentials.client_id,
      token_endpoint_auth_method: usePost ? 'client_secret_post' : 'client_secret_basic',
    },
    authentication: usePost
      ? oauth.ClientSecretPost(credentials.client_secret)
      : oauth.ClientSecretBasic(credentials.client_secret),
  };
}

/** RFC 7591 §3: a public native client (no secret) with a loopback redirect URI. */
async function register(journey: ClientJourney, as: oauth.AuthorizationServer): Promise<oauth.Client> {
  const response = await oauth.dynamicClientRegistrationRequest(
    as,
    {
      client_name: journey.clientName,
      redirect_uris: [journey.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    },
    journey.http,
  );
  return oauth.processDynamicClientRegistrationResponse(response);
}
