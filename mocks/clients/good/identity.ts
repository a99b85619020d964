import * as oauth from 'oauth4webapi';
import { JourneyError } from '../client-kit.ts';
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

/** Registration attempts per AS when the endpoint fails temporarily (5xx, network); a refusal (4xx) is final. */
export const MAX_REGISTRATION_ATTEMPTS = 3;
/** What a misbehaving client does instead of stopping (mocks/clients/misbehaving/identity.ts). */
const UNBOUNDED_REGISTRATION_ATTEMPTS = 20;

/**
 * The client_id and client_secret of MCP_CONFORMANCE_CONTEXT (the official suite's `auth/pre-registration` shape), or
 * undefined when the context carries none.
 */
export function credentialsFromContext(context: Record<string, unknown>): ClientCredentials | undefined {
  const { client_id, client_secret } = context;
  return typeof client_id === 'string' && typeof client_secret === 'string' ? { client_id, client_secret } : undefined;
}

/**
 * The https URL of the client's own Client ID Metadata Document, when the context names one (`client_metadata_url`,
 * as the harness's `auth/basic-cimd` does for the document it hosts on the client's behalf).
 */
export function metadataDocumentUrlFromContext(context: Record<string, unknown>): string | undefined {
  const url = context.client_metadata_url;
  return typeof url === 'string' && url.startsWith('https://') && URL.canParse(url) ? url : undefined;
}

/**
 * Under a conformance harness (MCP_CONFORMANCE_SCENARIO set) whose context names no document, the URL the official
 * suite's clients use for their Client ID Metadata Document; the harness serves it.
 */
const CONFORMANCE_CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

/** Identities already established, per journey and per AS issuer (MCP "Authorization Server Binding"). */
const identitiesByJourney = new WeakMap<ClientJourney, Map<string, Promise<ClientIdentity>>>();

/**
 * Who the client is at `as`, chosen in the order of MCP "Client Registration Approaches": credentials registered
 * ahead of time, else its Client ID Metadata Document URL when the AS supports CIMD, else dynamic registration
 * (RFC 7591). Identities are kept per issuer and never presented to another AS: a new AS means a new registration.
 */
export function clientIdentity(
  journey: ClientJourney,
  as: oauth.AuthorizationServer,
  preRegistered = credentialsFromContext(journey.context),
): Promise<ClientIdentity> {
  const known = identitiesByJourney.get(journey) ?? new Map<string, Promise<ClientIdentity>>();
  identitiesByJourney.set(journey, known);
  const reused = journey.quirks.has('reuses-credentials-across-as') ? known.values().next().value : undefined;
  const identity = known.get(as.issuer) ?? reused ?? establishIdentity(journey, as, preRegistered, known.size === 0);
  known.set(as.issuer, identity);
  return identity;
}

async function establishIdentity(
  journey: ClientJourney,
  as: oauth.AuthorizationServer,
  preRegistered: ClientCredentials | undefined,
  firstAuthorizationServer: boolean,
): Promise<ClientIdentity> {
  // Credentials of the context were issued by the AS the scenario starts with; another AS never sees them.
  if (preRegistered && firstAuthorizationServer) {
    const identity = preRegisteredClient(as, preRegistered);
    journey.step(
      `pre-registered client_id=${identity.client.client_id}, ${identity.client.token_endpoint_auth_method} at the token endpoint`,
    );
    return identity;
  }
  const documentUrl =
    metadataDocumentUrlFromContext(journey.context) ?? (journey.scenario ? CONFORMANCE_CLIENT_METADATA_URL : undefined);
  if (documentUrl && as.client_id_metadata_document_supported === true) {
    journey.step(`client ID metadata document: client_id=${documentUrl} (no registration)`);
    return { client: { client_id: documentUrl, token_endpoint_auth_method: 'none' }, authentication: oauth.None() };
  }
  if (!as.registration_endpoint) {
    throw new JourneyError(
      `${as.issuer} offers neither a client ID metadata document the client has nor dynamic registration, and no credentials were given for it`,
    );
  }
  const method = registrationAuthMethod(as);
  const client = await register(journey, as, method);
  journey.step(
    `registered dynamically at ${as.issuer}: client_id=${client.client_id}, ${method} at the token endpoint`,
  );
  return { client, authentication: registeredAuthentication(method, client) };
}

type RegistrationAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post';

/**
 * RFC 7591 §2, RFC 8414 §2: a public client (`none`) where the AS allows it (or says nothing); where it advertises only
 * secret-based methods, a confidential registration with one of them.
 */
function registrationAuthMethod(as: oauth.AuthorizationServer): RegistrationAuthMethod {
  const advertised = as.token_endpoint_auth_methods_supported;
  if (!advertised || advertised.includes('none')) return 'none';
  if (advertised.includes('client_secret_basic')) return 'client_secret_basic';
  return advertised.includes('client_secret_post') ? 'client_secret_post' : 'none';
}

function registeredAuthentication(method: RegistrationAuthMethod, client: oauth.Client): oauth.ClientAuth {
  const secret = typeof client.client_secret === 'string' ? client.client_secret : undefined;
  if (method === 'none' || secret === undefined) return oauth.None();
  return method === 'client_secret_basic' ? oauth.ClientSecretBasic(secret) : oauth.ClientSecretPost(secret);
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

/** Why one registration attempt failed, and whether trying again could help. */
interface RegistrationFailure {
  reason: string;
  temporary: boolean;
}

/**
 * RFC 7591 §3: a public native client (no secret) with a loopback redirect URI. §3.2.2 errors are final (the same
 * request would be refused again); a server error is retried a bounded number of times, then the client stops with
 * the AS's own words (MCP "Client Registration": surface a meaningful error).
 */
async function register(
  journey: ClientJourney,
  as: oauth.AuthorizationServer,
  method: RegistrationAuthMethod,
): Promise<oauth.Client> {
  const unbounded = journey.quirks.has('retries-registration-forever');
  const attempts = unbounded ? UNBOUNDED_REGISTRATION_ATTEMPTS : MAX_REGISTRATION_ATTEMPTS;
  let failure: RegistrationFailure | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const outcome = await registrationAttempt(journey, as, method);
    if ('client' in outcome) return outcome.client;
    failure = outcome.failure;
    const reported = journey.quirks.has('hides-registration-error') ? '' : `: ${failure.reason}`;
    journey.step(`registration attempt ${attempt} failed${reported}`);
    if (!failure.temporary && !unbounded) break;
  }
  return registrationFailed(journey, failure);
}

async function registrationAttempt(
  journey: ClientJourney,
  as: oauth.AuthorizationServer,
  method: RegistrationAuthMethod,
): Promise<{ client: oauth.Client } | { failure: RegistrationFailure }> {
  let response: Response;
  try {
    response = await oauth.dynamicClientRegistrationRequest(
      as,
      {
        client_name: journey.clientName,
        redirect_uris: [journey.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: method,
        application_type: 'native',
      },
      journey.http,
    );
  } catch (error) {
    return {
      failure: { reason: `the registration endpoint could not be reached (${String(error)})`, temporary: true },
    };
  }
  if (response.status === 201 || response.status === 200) {
    return {
      client: await oauth.processDynamicClientRegistrationResponse(
        await tolerantRegistration(journey, response, method),
      ),
    };
  }
  return { failure: { reason: await registrationError(response), temporary: response.status >= 500 } };
}

/**
 * RFC 7591 §3.2.1 wants client_secret_expires_at beside any issued secret. Some servers leave it out, or issue a secret
 * a public client did not ask for: the public client drops the secret, a confidential one takes it as non-expiring
 * (0), and says so, rather than refusing the whole registration.
 */
async function tolerantRegistration(
  journey: ClientJourney,
  response: Response,
  method: RegistrationAuthMethod,
): Promise<Response> {
  const text = await response.text();
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return new Response(text, response);
  }
  if (typeof document !== 'object' || document === null || !('client_secret' in document)) {
    return new Response(text, response);
  }
  const { client_secret, ...rest } = document as Record<string, unknown>;
  let repaired: Record<string, unknown>;
  if (method === 'none') {
    journey.step('the AS issued a client_secret the public client did not ask for: ignored');
    repaired = rest;
  } else if (!('client_secret_expires_at' in rest)) {
    journey.step('the AS issued a client_secret without client_secret_expires_at: taken as non-expiring');
    repaired = { ...rest, client_secret, client_secret_expires_at: 0 };
  } else {
    return new Response(text, response);
  }
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  return Response.json(repaired, { status: response.status, headers });
}

/** RFC 7591 §3.2.2: `error` and `error_description` of a refused registration, or the status when there are none. */
async function registrationError(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    if (typeof body.error === 'string') {
      const description = typeof body.error_description === 'string' ? ` (${body.error_description})` : '';
      return `HTTP ${response.status} ${body.error}${description}`;
    }
  } catch {
    // Not JSON: the status is all there is to report.
  }
  return `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}

/** Stops the journey; the misbehaving variants invent a client_id or hide the reason instead. */
function registrationFailed(journey: ClientJourney, failure: RegistrationFailure | undefined): oauth.Client {
  if (journey.quirks.has('invents-client-id-after-registration-error')) {
    journey.step('registration failed; going on with an invented client_id');
    return { client_id: 'mcp-client', token_endpoint_auth_method: 'none' };
  }
  if (journey.quirks.has('hides-registration-error')) throw new JourneyError('something went wrong');
  throw new JourneyError(`dynamic client registration failed: ${failure?.reason ?? 'no attempt was made'}`);
}
