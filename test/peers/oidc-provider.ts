import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type Account, errors, type ResourceServerInfo } from 'oidc-provider';
import { systemClock } from '../../harness/clock.ts';
import { serveOnLoopback } from '../../harness/network/serve.ts';
import type { FetchHandler } from '../../harness/network/types.ts';
import type { TargetFileInput } from '../../harness/target.ts';
import { fetchTrustingCa } from '../../reference-server/authorization-server/cimd/https-with-ca.ts';
import { createResourceServer } from '../../reference-server/resource-server/index.ts';
import { REFERENCE_SCOPES } from '../../reference-server/system.ts';
import { cibaDevice } from './oidc-provider-ciba.ts';

/** The pre-registered machine-to-machine client (client_credentials, client_secret_basic). */
export const PEER_M2M_CLIENT = { client_id: 'peer-m2m-client', client_secret: randomBytes(24).toString('base64url') };
/** The CIBA client (poll mode, client_secret_basic) and the user it asks for. */
export const PEER_CIBA_CLIENT = { client_id: 'peer-ciba-client', client_secret: randomBytes(24).toString('base64url') };
const CIBA_USER = { loginHint: 'alice@example.test', accountId: 'alice' };

export interface OidcProviderPeer {
  /** `http://127.0.0.1:PORT` */
  issuer: string;
  /** The one resource (MCP server URL) the provider issues access tokens for. */
  resource: string;
  /** Set when started with `mcpServer`: the reference MCP server at `resource`, trusting the provider. */
  mcpServer?: boolean;
  close(): Promise<void>;
}

const SCOPES = ['openid', 'offline_access', 'mcp:tools', 'mcp:admin'];
const RESOURCE_SCOPES = 'mcp:tools mcp:admin';
const SIGNING_ALG = 'ES256';
/** Lifetimes in seconds (set explicitly: the library's defaults are meant to be replaced). */
const TTL = {
  AccessToken: 3600,
  AuthorizationCode: 60,
  RefreshToken: 14 * 24 * 3600,
  Grant: 14 * 24 * 3600,
  Session: 24 * 3600,
  Interaction: 3600,
  IdToken: 3600,
  ClientCredentials: 600,
  BackchannelAuthenticationRequest: 600,
};

/**
 * node-oidc-provider (panva) as a real, independent authorization server to run the suites against: open dynamic
 * client registration, RFC 8707 resource indicators with JWT access tokens for one resource, PKCE (required for public
 * clients, its default), introspection, revocation, and its built-in development login/consent pages.
 */
/** Client ID Metadata Documents from the harness's https host on loopback, whose test CA the provider trusts. */
export interface PeerCimdHost {
  /** `https://127.0.0.1:PORT` */
  host: string;
  caPem: string;
}

export async function startOidcProvider(
  options: { resource?: string; mcpServer?: boolean; cimd?: PeerCimdHost } = {},
): Promise<OidcProviderPeer> {
  const server = createServer();
  const port = await listenOnLoopback(server);
  const issuer = `http://127.0.0.1:${port}`;
  // The MCP server's URL (its port) must be known before the provider is configured with it as a resource.
  let mcpHandler: FetchHandler = async () => new Response(null, { status: 503 });
  const mcp = options.mcpServer ? await serveOnLoopback((request) => mcpHandler(request)) : undefined;
  const resource = options.resource ?? (mcp ? `${mcp.origin}/mcp` : `${issuer}/mcp`);
  const device = cibaDevice({
    issuer,
    users: { [CIBA_USER.loginHint]: CIBA_USER.accountId },
    resourceScopes: RESOURCE_SCOPES.split(' '),
  });
  const provider = new Provider(issuer, {
    jwks: { keys: [await signingKey()] },
    cookies: { keys: [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')] },
    scopes: SCOPES,
    ttl: TTL,
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: SIGNING_ALG,
    },
    clients: [
      {
        ...PEER_M2M_CLIENT,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: RESOURCE_SCOPES,
      },
      {
        ...PEER_CIBA_CLIENT,
        grant_types: ['urn:openid:params:grant-type:ciba'],
        response_types: [],
        redirect_uris: [],
        backchannel_token_delivery_mode: 'poll',
        scope: `openid ${RESOURCE_SCOPES}`,
      },
    ],
    findAccount: (_ctx: unknown, sub: string): Account => ({ accountId: sub, claims: () => ({ sub }) }),
    ...(options.cimd ? { fetch: cimdAwareFetch(options.cimd) } : {}),
    features: {
      clientCredentials: { enabled: true },
      ...(options.cimd ? { clientIdMetadataDocument: { enabled: true, ack: 'draft-02' } } : {}),
      ciba: device.features,
      devInteractions: { enabled: true },
      registration: { enabled: true },
      // RFC 7592: read, update and delete with the registration access token.
      registrationManagement: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: resourceIndicators(resource),
    },
  });
  provider.proxy = false;
  device.attach(provider);
  const deviceListener = getRequestListener(device.handler);
  const providerListener = provider.callback();
  server.on('request', (request, response) => {
    const path = new URL(request.url ?? '/', issuer).pathname;
    if (path === '/messages' || path === '/ciba-approve') return deviceListener(request, response);
    return providerListener(request, response);
  });
  if (!mcp) return { issuer, resource, close: () => closeServer(server) };
  mcpHandler = referenceMcpServer(issuer, resource).handler;
  return {
    issuer,
    resource,
    mcpServer: true,
    close: async () => {
      await mcp.close();
      await closeServer(server);
    },
  };
}

/**
 * The reference MCP server in front of the provider: an independent AS with a resource server that trusts it. It
 * validates the provider's JWT access tokens locally; the provider does not introspect JWT access tokens
 * ("Structured JWT Tokens cannot be introspected"), so revocation of an access token cannot reach this server.
 */
function referenceMcpServer(issuer: string, resource: string) {
  return createResourceServer({
    resource,
    authorizationServers: [issuer],
    fetch: (input, init) => globalThis.fetch(input, init),
    clock: systemClock,
    scopes: REFERENCE_SCOPES,
    resourceName: 'Reference MCP server (node-oidc-provider as its AS)',
  });
}

/** RFC 8707: one known resource, defaulted when the client names none; anything else is `invalid_target`. */
function resourceIndicators(resource: string) {
  return {
    enabled: true,
    // MCP requests (a resource scope) get a token for the MCP server; a plain OpenID request one for userinfo.
    defaultResource: (ctx: { oidc: { params?: { scope?: unknown } } }) => {
      const scopes = String(ctx.oidc.params?.scope ?? '').split(' ');
      return scopes.some((scope) => RESOURCE_SCOPES.split(' ').includes(scope)) ? resource : undefined;
    },
    useGrantedResource: () => true,
    getResourceServerInfo: (_ctx: unknown, indicator: string): ResourceServerInfo => {
      if (indicator !== resource) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
      return {
        scope: RESOURCE_SCOPES,
        audience: resource,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: SIGNING_ALG } },
      };
    },
  };
}

async function signingKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `peer-${randomBytes(6).toString('hex')}`, alg: SIGNING_ALG, use: 'sig' };
}

/**
 * A target file for the peer: the harness registers its own clients (DCR) and logs in through the provider's
 * development pages (any login and password are accepted there).
 */
export function oidcProviderTarget(
  peer: Pick<OidcProviderPeer, 'issuer' | 'resource' | 'mcpServer'>,
  cimd?: { host: string; caFile: string },
): TargetFileInput {
  return {
    name: peer.mcpServer ? 'node-oidc-provider + reference MCP server' : 'node-oidc-provider',
    issuer: peer.issuer,
    ...(peer.mcpServer
      ? { resource: peer.resource, tools: { basic: { name: 'echo', arguments: { message: 'hi' } } } }
      : {}),
    allowInsecureHttp: true,
    scopes: { basic: 'mcp:tools', elevated: 'mcp:admin' },
    redirectUri: 'http://127.0.0.1:5555/callback',
    user: { username: 'alice', password: 'secret' },
    login: {
      mode: 'browser',
      // Server-rendered pages on loopback: a refusal page shows within this time, so no check waits 5 s for it.
      stepTimeoutMs: 2500,
      steps: [
        // A remembered session skips the login form.
        { fill: 'input[name=login]', value: '{{username}}', optional: true },
        { fill: 'input[name=password]', value: '{{password}}', optional: true },
        { click: 'input[name=prompt][value=login] ~ button[type=submit]', optional: true },
        // An existing grant skips consent: the redirect then arrives while this step waits.
        { click: 'input[name=prompt][value=consent] ~ button[type=submit]' },
      ],
    },
    clients: { m2m: PEER_M2M_CLIENT, ciba: PEER_CIBA_CLIENT },
    ciba: { loginHint: CIBA_USER.loginHint, mailbox: `${peer.issuer}/messages` },
    ...(cimd ? { cimd } : {}),
    suites: ['discovery', 'registration', 'pkce', 'authorization-code', 'grants'],
  };
}

/**
 * The provider's outbound fetch (its `fetch` setting): requests to the harness's CIMD host go over https trusting the
 * test CA — the operator's allow-list for a loopback test rig; every other request keeps the library's fetch and its
 * special-use address protection.
 */
function cimdAwareFetch({ host, caPem }: PeerCimdHost) {
  const trusting = fetchTrustingCa(caPem);
  return (url: string | URL, init?: RequestInit) =>
    String(url).startsWith(`${host}/`) ? trusting(url, init) : globalThis.fetch(url, init);
}

function listenOnLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
