import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type Account, errors, type ResourceServerInfo } from 'oidc-provider';
import type { TargetFileInput } from '../../harness/target.ts';

export interface OidcProviderPeer {
  /** `http://127.0.0.1:PORT` */
  issuer: string;
  /** The one resource (MCP server URL) the provider issues access tokens for. */
  resource: string;
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
};

/**
 * node-oidc-provider (panva) as a real, independent authorization server to run the suites against: open dynamic
 * client registration, RFC 8707 resource indicators with JWT access tokens for one resource, PKCE (required for public
 * clients, its default), introspection, revocation, and its built-in development login/consent pages.
 */
export async function startOidcProvider(options: { resource?: string } = {}): Promise<OidcProviderPeer> {
  const server = createServer();
  const port = await listenOnLoopback(server);
  const issuer = `http://127.0.0.1:${port}`;
  const resource = options.resource ?? `${issuer}/mcp`;
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
    findAccount: (_ctx: unknown, sub: string): Account => ({ accountId: sub, claims: () => ({ sub }) }),
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: resourceIndicators(resource),
    },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  return { issuer, resource, close: () => closeServer(server) };
}

/** RFC 8707: one known resource, defaulted when the client names none; anything else is `invalid_target`. */
function resourceIndicators(resource: string) {
  return {
    enabled: true,
    defaultResource: () => resource,
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
export function oidcProviderTarget(peer: Pick<OidcProviderPeer, 'issuer'>): TargetFileInput {
  return {
    name: 'node-oidc-provider',
    issuer: peer.issuer,
    allowInsecureHttp: true,
    scopes: { basic: 'mcp:tools', elevated: 'mcp:admin' },
    redirectUri: 'http://127.0.0.1:5555/callback',
    user: { username: 'alice', password: 'secret' },
    login: {
      mode: 'browser',
      steps: [
        // A remembered session skips the login form.
        { fill: 'input[name=login]', value: '{{username}}', optional: true },
        { fill: 'input[name=password]', value: '{{password}}', optional: true },
        { click: 'input[name=prompt][value=login] ~ button[type=submit]', optional: true },
        // An existing grant skips consent: the redirect then arrives while this step waits.
        { click: 'input[name=prompt][value=consent] ~ button[type=submit]' },
      ],
    },
    suites: ['discovery', 'registration', 'pkce', 'authorization-code'],
  };
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
