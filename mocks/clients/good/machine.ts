/**
 * The good client without a user at the keyboard: client credentials (MCP extension
 * io.modelcontextprotocol/oauth-client-credentials) with a shared secret or a private_key_jwt assertion, and
 * enterprise-managed authorization (an SSO ID token exchanged at the enterprise IdP for an ID-JAG, redeemed at the AS).
 * The MCP_CONFORMANCE_CONTEXT shapes are the official suite's.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { importPKCS8 } from 'jose';
import * as oauth from 'oauth4webapi';
import { JourneyError } from '../client-kit.ts';
import { type AuthorizationDiscovery, discoverAuthorization, probeUnauthenticated } from './discovery.ts';
import type { ClientJourney } from './journey.ts';
import { resourceIndicatorOf } from './journey.ts';
import type { AuthorizedSession } from './session.ts';

const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
const ID_JAG_PROFILE = 'urn:ietf:params:oauth:grant-profile:id-jag';
/** The scenario names whose context is a machine's (the basic one's context looks like a pre-registered client's). */
const MACHINE_SCENARIOS = [
  'auth/client-credentials-jwt',
  'auth/client-credentials-basic',
  'auth/enterprise-managed-authorization',
];

/** A way to get a fresh access token for the MCP server (called again when the server refuses the current one). */
type TokenSource = () => Promise<string>;

/** Whether the scenario (by name, else by the context's shape) is one without a user: client credentials or ID-JAG. */
export function isMachineJourney(journey: ClientJourney): boolean {
  const name = journey.scenario ?? journey.context.name;
  if (typeof name === 'string' && MACHINE_SCENARIOS.includes(name)) return true;
  return typeof journey.context.private_key_pem === 'string' || typeof journey.context.idp_id_token === 'string';
}

/** Discover as any client does, then get tokens without a browser and call `echo`, renewing a refused token once. */
export async function runMachineSession(journey: ClientJourney): Promise<AuthorizedSession> {
  const challenge = await probeUnauthenticated(journey);
  journey.step(`POST ${journey.mcpUrl.href} without a token → 401`);
  const discovery = await discoverAuthorization(journey, challenge);
  if (journey.quirks.has('tries-registration')) await attemptRegistration(journey, discovery.as);
  const { clientId, source } = await tokenSource(journey, discovery);
  const explainedSource: TokenSource = () => source().catch(explainedOAuthError);
  const toolResult = await callEchoRenewing(journey, explainedSource);
  journey.step('MCP initialize + tools/call echo succeeded');
  return { accessToken: toolResult.accessToken, clientId, toolResult: toolResult.result };
}

async function tokenSource(
  journey: ClientJourney,
  discovery: AuthorizationDiscovery,
): Promise<{ clientId: string; source: TokenSource }> {
  const context = journey.context;
  const clientId = stringField(context, 'client_id');
  if (typeof context.idp_id_token === 'string') {
    return { clientId, source: () => enterpriseAccessToken(journey, discovery.as) };
  }
  const authentication =
    typeof context.private_key_pem === 'string'
      ? await privateKeyJwt(journey, context.private_key_pem, stringOr(context.signing_algorithm, 'ES256'))
      : oauth.ClientSecretBasic(stringField(context, 'client_secret'));
  return { clientId, source: () => clientCredentialsToken(journey, discovery.as, clientId, authentication) };
}

/** RFC 7523 §2.2, §3: an assertion signed with the context's key; iss = sub = client_id, aud = the issuer. */
async function privateKeyJwt(journey: ClientJourney, pem: string, algorithm: string): Promise<oauth.ClientAuth> {
  const key = await importPKCS8(pem, algorithm);
  const fixedJti = crypto.randomUUID();
  return oauth.PrivateKeyJwt(key, {
    [oauth.modifyAssertion]: (_header, payload) => {
      if (journey.quirks.has('assertion-audience-elsewhere')) payload.aud = journey.mcpUrl.href;
      if (journey.quirks.has('long-lived-assertion')) payload.exp = Number(payload.iat ?? 0) + 86_400;
      if (journey.quirks.has('reuses-assertion-jti')) payload.jti = fixedJti;
    },
  });
}

/** OAuth 2.1 §4.2, RFC 8707 §2: client_credentials for the MCP server's resource. */
async function clientCredentialsToken(
  journey: ClientJourney,
  as: oauth.AuthorizationServer,
  clientId: string,
  authentication: oauth.ClientAuth,
): Promise<string> {
  const client = { client_id: clientId };
  const parameters = { resource: resourceIndicatorOf(journey), ...(journey.scope ? { scope: journey.scope } : {}) };
  const response = await oauth.clientCredentialsGrantRequest(as, client, authentication, parameters, journey.http);
  const tokens = await oauth.processClientCredentialsResponse(as, client, response);
  journey.step(`client_credentials as ${clientId} → access token`);
  return tokens.access_token;
}

/**
 * ID-JAG "Resource Authorization Server Metadata": the AS SHOULD list the grant profile; one that lists only the JWT bearer grant (or nothing at all) is
 * still tried. Only metadata that names grant types without the JWT bearer grant rules it out.
 */
function acceptsIdJag(as: oauth.AuthorizationServer): boolean {
  const profiles = as.authorization_grant_profiles_supported;
  if (Array.isArray(profiles) && profiles.includes(ID_JAG_PROFILE)) return true;
  return !as.grant_types_supported || as.grant_types_supported.includes(JWT_BEARER_GRANT);
}

/**
 * ID-JAG §4.3–4.4: exchange the SSO ID token at the IdP for an ID-JAG (audience = the AS issuer, resource = the MCP
 * server), then present the ID-JAG to the AS with the JWT bearer grant, authenticated as the client registered there.
 */
async function enterpriseAccessToken(journey: ClientJourney, as: oauth.AuthorizationServer): Promise<string> {
  if (!acceptsIdJag(as)) throw new JourneyError(`${as.issuer} takes no JWT bearer grant, so no ID-JAG either`);
  const idToken = stringField(journey.context, 'idp_id_token');
  const assertion = journey.quirks.has('id-token-to-as') ? idToken : await exchangeForIdJag(journey, as, idToken);
  const client = { client_id: stringField(journey.context, 'client_id') };
  const authentication = oauth.ClientSecretBasic(stringField(journey.context, 'client_secret'));
  const parameters = { assertion, resource: resourceIndicatorOf(journey) };
  const response = await oauth.genericTokenEndpointRequest(
    as,
    client,
    authentication,
    JWT_BEARER_GRANT,
    parameters,
    journey.http,
  );
  const tokens = await oauth.processGenericTokenEndpointResponse(as, client, response);
  journey.step('jwt-bearer grant with the ID-JAG → access token');
  return tokens.access_token;
}

async function exchangeForIdJag(journey: ClientJourney, as: oauth.AuthorizationServer, idToken: string) {
  const context = journey.context;
  const idp: oauth.AuthorizationServer = {
    issuer: stringField(context, 'idp_issuer'),
    token_endpoint: stringField(context, 'idp_token_endpoint'),
  };
  const client = { client_id: stringField(context, 'idp_client_id') };
  // The official context has no IdP secret (a public IdP client); ours adds one, used when present.
  const secret = context.idp_client_secret;
  const authentication = typeof secret === 'string' ? oauth.ClientSecretBasic(secret) : oauth.None();
  const parameters = {
    requested_token_type: ID_JAG_TOKEN_TYPE,
    subject_token: idToken,
    subject_token_type: ID_TOKEN_TYPE,
    audience: as.issuer,
    resource: resourceIndicatorOf(journey),
  };
  const response = await oauth.genericTokenEndpointRequest(
    idp,
    client,
    authentication,
    TOKEN_EXCHANGE_GRANT,
    parameters,
    journey.http,
  );
  // ID-JAG §4.3.4: token_type N_A, since an ID-JAG is no access token.
  const result = await oauth.processGenericTokenEndpointResponse(idp, client, response, {
    recognizedTokenTypes: { n_a: () => {} },
  });
  if (result.issued_token_type !== ID_JAG_TOKEN_TYPE) {
    throw new JourneyError(`the IdP issued ${String(result.issued_token_type)}, not an ID-JAG`);
  }
  journey.step(`IdP token exchange → ID-JAG for ${as.issuer}`);
  return result.access_token;
}

/** A client that guesses a registration endpoint the metadata does not offer (misbehaving clients only). */
async function attemptRegistration(journey: ClientJourney, as: oauth.AuthorizationServer): Promise<void> {
  const response = await journey.fetch(new URL('/register', as.issuer), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_name: journey.clientName, grant_types: ['client_credentials'] }),
  });
  await response.arrayBuffer();
}

/**
 * MCP Streamable HTTP with the bearer token on every request; a 401 (the token expired or was revoked) earns one new
 * token and one retry (MCP authorization "Token Handling").
 */
async function callEchoRenewing(
  journey: ClientJourney,
  source: TokenSource,
): Promise<{ accessToken: string; result: unknown }> {
  let accessToken = await source();
  const client = new Client({ name: 'good-mcp-machine-client', version: '0.1.0' });
  const transport = new StreamableHTTPClientTransport(journey.mcpUrl, {
    fetch: journey.fetch,
    authProvider: {
      token: async () => accessToken,
      onUnauthorized: async () => {
        journey.step('the MCP server refused the token (401): getting a new one');
        accessToken = await source();
      },
    },
  });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: 'echo', arguments: { message: 'hello from the machine client' } });
    return { accessToken, result };
  } finally {
    await client.close();
  }
}

/** An OAuth error answer becomes a JourneyError naming the error code and description (RFC 6749 §5.2). */
function explainedOAuthError(error: unknown): never {
  if (error instanceof oauth.ResponseBodyError) {
    throw new JourneyError(
      `the token endpoint answered ${error.status} ${error.error}: ${error.error_description ?? ''}`,
    );
  }
  throw error;
}

function stringField(context: Record<string, unknown>, name: string): string {
  const value = context[name];
  if (typeof value !== 'string') throw new JourneyError(`MCP_CONFORMANCE_CONTEXT has no string "${name}"`);
  return value;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}
