import { extractWWWAuthenticateParams } from '@modelcontextprotocol/client';
import * as oauth from 'oauth4webapi';
import type { Fetch } from '../../harness/network/types.ts';
import {
  callEcho,
  discoverResource,
  firstAuthorizationServer,
  type HttpOptions,
  httpOptions,
  JourneyError,
  journeySteps,
} from './client-kit.ts';

export interface GoodClientOptions {
  mcpUrl: string;
  redirectUri?: string;
  fetch?: Fetch;
  scope?: string;
  clientName?: string;
  /** Lets oauth4webapi talk to http:// servers (loopback `serve`); never needed for https origins. */
  allowInsecureRequests?: boolean;
  log?: (step: string) => void;
  /** Credentials registered ahead of time (e.g. from MCP_CONFORMANCE_CONTEXT): used instead of registering. */
  preRegistered?: ClientCredentials;
}

export interface ClientCredentials {
  client_id: string;
  client_secret: string;
}

export interface GoodClientJourney {
  steps: string[];
  accessToken: string;
  clientId: string;
  toolResult: unknown;
}

export { JourneyError } from './client-kit.ts';

const DEFAULT_REDIRECT_URI = 'http://127.0.0.1:5555/callback';
const MAX_AUTHORIZE_HOPS = 10;

/**
 * One well-behaved MCP client, end to end (MCP authorization, 2025-11-25): discover the AS from the 401 challenge and
 * the protected resource metadata, register dynamically, authorize with PKCE S256 and `resource`, redeem the code,
 * then initialize and call `echo` with the token.
 */
export async function runGoodClientJourney(options: GoodClientOptions): Promise<GoodClientJourney> {
  const fetch = options.fetch ?? globalThis.fetch;
  const mcpUrl = new URL(options.mcpUrl);
  const redirectUri = options.redirectUri ?? DEFAULT_REDIRECT_URI;
  const { steps, step } = journeySteps(options.log);
  const http = httpOptions(fetch, options.allowInsecureRequests ?? false);

  const challenge = await probeUnauthenticated(mcpUrl, fetch);
  step(`POST ${mcpUrl.href} without a token → 401, resource_metadata=${challenge.resourceMetadataUrl ?? '(none)'}`);

  const resource = await discoverResource(mcpUrl, http, challenge.resourceMetadataUrl);
  step(
    `protected resource metadata: resource=${resource.resource}, authorization_servers=${resource.authorization_servers}`,
  );

  const as = await firstAuthorizationServer(resource, http);
  step(`authorization server metadata: issuer=${as.issuer}`);

  const { client, authentication } = options.preRegistered
    ? preRegisteredClient(as, options.preRegistered)
    : {
        client: await register(as, redirectUri, options.clientName ?? 'Good MCP client', http),
        authentication: oauth.None(),
      };
  step(
    options.preRegistered
      ? `pre-registered client_id=${client.client_id}, ${client.token_endpoint_auth_method} at the token endpoint`
      : `registered dynamically: client_id=${client.client_id}`,
  );

  const scope = options.scope ?? challenge.scope ?? resource.scopes_supported?.join(' ');
  const callback = await authorize(as, client, { redirectUri, resource: mcpUrl.href, scope }, fetch);
  step('authorization response: state and iss validated');

  const accessToken = await redeemCode(
    as,
    client,
    authentication,
    callback,
    { redirectUri, resource: mcpUrl.href },
    http,
  );
  step('token response: access token received');

  const toolResult = await callEcho(mcpUrl, accessToken, fetch, {
    name: 'good-mcp-client',
    message: 'hello from the good client',
  });
  step('MCP initialize + tools/call echo succeeded');

  return { steps, accessToken, clientId: client.client_id, toolResult };
}

/** MCP authorization "Authorization Server Discovery": an unauthenticated request earns a 401 with a challenge. */
async function probeUnauthenticated(
  mcpUrl: URL,
  fetch: Fetch,
): Promise<{ resourceMetadataUrl?: string; scope?: string }> {
  const response = await fetch(mcpUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'ping' }),
  });
  await response.arrayBuffer();
  if (response.status !== 401)
    throw new JourneyError(`expected 401 from ${mcpUrl.href} without a token, got ${response.status}`);
  const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(response);
  return {
    ...(resourceMetadataUrl ? { resourceMetadataUrl: resourceMetadataUrl.href } : {}),
    ...(scope ? { scope } : {}),
  };
}

/**
 * The client_id and client_secret of MCP_CONFORMANCE_CONTEXT (the official suite's `auth/pre-registration` shape), or
 * undefined when the context carries none or is not JSON.
 */
export function credentialsFromContext(context: string | undefined): ClientCredentials | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(context ?? '');
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { client_id, client_secret } = parsed as Record<string, unknown>;
  return typeof client_id === 'string' && typeof client_secret === 'string' ? { client_id, client_secret } : undefined;
}

/**
 * OAuth 2.1 §2.4.1, RFC 8414 §2: a confidential client authenticates with a method the AS advertises; HTTP Basic
 * when offered (and when the metadata names none, its default), else client_secret in the body.
 */
function preRegisteredClient(
  as: oauth.AuthorizationServer,
  credentials: ClientCredentials,
): { client: oauth.Client; authentication: oauth.ClientAuth } {
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
async function register(
  as: oauth.AuthorizationServer,
  redirectUri: string,
  clientName: string,
  http: HttpOptions,
): Promise<oauth.Client> {
  const response = await oauth.dynamicClientRegistrationRequest(
    as,
    {
      client_name: clientName,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    },
    http,
  );
  return oauth.processDynamicClientRegistrationResponse(response);
}

interface AuthorizationInputs {
  redirectUri: string;
  resource: string;
  scope: string | undefined;
}

interface AuthorizationCallback {
  parameters: URLSearchParams;
  codeVerifier: string;
}

/**
 * OAuth 2.1 §4.1.1, RFC 7636, RFC 8707, RFC 9207: PKCE S256, a random state and the resource; the response must carry
 * the same state, and `iss` must name the AS (required when the AS advertises it). The user agent is played by following redirects until the redirect URI.
 */
async function authorize(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  inputs: AuthorizationInputs,
  fetch: Fetch,
): Promise<AuthorizationCallback> {
  if (!as.authorization_endpoint) throw new JourneyError('the AS metadata has no authorization_endpoint');
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: inputs.redirectUri,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    resource: inputs.resource,
    ...(inputs.scope ? { scope: inputs.scope } : {}),
  }).toString();
  const callbackUrl = await followToRedirectUri(url, inputs.redirectUri, fetch);
  return { parameters: oauth.validateAuthResponse(as, client, callbackUrl, state), codeVerifier };
}

async function followToRedirectUri(start: URL, redirectUri: string, fetch: Fetch): Promise<URL> {
  const expected = new URL(redirectUri);
  let next = start;
  for (let hop = 0; hop < MAX_AUTHORIZE_HOPS; hop++) {
    const response = await fetch(next, { redirect: 'manual' });
    await response.arrayBuffer();
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) {
      throw new JourneyError(
        `the authorization endpoint answered ${response.status} without redirecting (login needed?)`,
      );
    }
    const target = new URL(location, next);
    if (target.origin === expected.origin && target.pathname === expected.pathname) return target;
    next = target;
  }
  throw new JourneyError(`the authorization did not reach ${redirectUri} within ${MAX_AUTHORIZE_HOPS} redirects`);
}

/** OAuth 2.1 §4.1.3, RFC 8707 §2.2: redeem the code with its verifier and the same resource. */
async function redeemCode(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  authentication: oauth.ClientAuth,
  callback: AuthorizationCallback,
  inputs: { redirectUri: string; resource: string },
  http: HttpOptions,
): Promise<string> {
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    authentication,
    callback.parameters,
    inputs.redirectUri,
    callback.codeVerifier,
    { ...http, additionalParameters: { resource: inputs.resource } },
  );
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
  return tokens.access_token;
}
