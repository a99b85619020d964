/** Shared fixtures for this folder's tests: a server in memory, PKCE pairs, and small request helpers. */
import { expect } from 'vitest';
import { ManualClock } from '../../harness/clock.ts';
import type { FetchHandler } from '../../harness/network/types.ts';
import { type Defect, Defects } from '../defects.ts';
import { base64url } from './http.ts';
import { type AuthorizationServer, type AuthorizationServerOptions, createAuthorizationServer } from './index.ts';

export const ISSUER = 'https://as.reference.test';
export const RESOURCE = 'https://mcp.reference.test/mcp';
export const OTHER_RESOURCE = 'https://other.reference.test/mcp';
export const DOWNSTREAM_RESOURCE = 'https://downstream.reference.test/api';
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const PUBLIC_REDIRECT = 'http://127.0.0.1:5555/callback';
export const WEB_REDIRECT = 'https://app.example.com/callback';
export const START = Date.UTC(2026, 0, 1);

export const CLIENTS = {
  public: { client_id: 'public-client', redirect_uri: PUBLIC_REDIRECT },
  basic: { client_id: 'basic-client', client_secret: 'basic-secret', redirect_uri: WEB_REDIRECT },
  post: { client_id: 'post-client', client_secret: 'post-secret', redirect_uri: WEB_REDIRECT },
  resourceServer: { client_id: 'resource-server', client_secret: 'rs-secret' },
  exchanger: { client_id: 'exchanger', client_secret: 'exchanger-secret' },
} as const;

export interface TestServer extends AuthorizationServer {
  clock: ManualClock;
}

export async function createTestServer(
  overrides: Partial<Omit<AuthorizationServerOptions, 'defects'>> & { defects?: Defect[] } = {},
): Promise<TestServer> {
  const { defects = [], ...rest } = overrides;
  const clock = new ManualClock(START);
  const server = await createAuthorizationServer({
    issuer: ISSUER,
    clock,
    interaction: 'auto-approve',
    users: [
      { sub: 'user-alice', username: 'alice', password: 'alice-password', email: 'alice@example.com', name: 'Alice' },
      { sub: 'user-bob', username: 'bob', password: 'bob-password', email: 'bob@example.com', name: 'Bob' },
    ],
    resources: [{ resource: RESOURCE, scopes: ['mcp:tools', 'mcp:admin'] }],
    clients: [
      {
        client_id: CLIENTS.public.client_id,
        redirect_uris: [PUBLIC_REDIRECT],
        token_endpoint_auth_method: 'none',
        client_name: 'Public Test Client',
      },
      {
        client_id: CLIENTS.basic.client_id,
        client_secret: CLIENTS.basic.client_secret,
        redirect_uris: [WEB_REDIRECT],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: CLIENTS.post.client_id,
        client_secret: CLIENTS.post.client_secret,
        redirect_uris: [WEB_REDIRECT],
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        client_id: CLIENTS.resourceServer.client_id,
        client_secret: CLIENTS.resourceServer.client_secret,
        redirect_uris: [],
        grant_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: CLIENTS.exchanger.client_id,
        client_secret: CLIENTS.exchanger.client_secret,
        redirect_uris: [],
        grant_types: [TOKEN_EXCHANGE],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    tenants: ['acme'],
    ...rest,
    defects: new Defects(defects),
  });
  return { ...server, clock };
}

export interface PkcePair {
  verifier: string;
  challenge: string;
}

export async function pkcePair(verifier = base64url(crypto.getRandomValues(new Uint8Array(32)))): Promise<PkcePair> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { verifier, challenge: base64url(new Uint8Array(digest)) };
}

export function basic(clientId: string, secret: string): Record<string, string> {
  return { Authorization: `Basic ${btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`)}` };
}

export function get(handler: FetchHandler, url: string, headers: Record<string, string> = {}): Promise<Response> {
  return handler(new Request(url, { headers, redirect: 'manual' }));
}

export function postForm(
  handler: FetchHandler,
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return handler(
    new Request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    }),
  );
}

export function postJson(handler: FetchHandler, url: string, body: unknown): Promise<Response> {
  return handler(
    new Request(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
  );
}

export function authorizeUrl(params: Record<string, string | undefined>, issuer = ISSUER): string {
  const url = new URL(`${issuer}/authorize`);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}

/** Authorization request parameters of a correct public-client request; override or unset (undefined) any of them. */
export async function authorizationParams(
  overrides: Record<string, string | undefined> = {},
): Promise<{ params: Record<string, string | undefined>; pkce: PkcePair }> {
  const pkce = await pkcePair();
  const params = {
    response_type: 'code',
    client_id: CLIENTS.public.client_id,
    redirect_uri: PUBLIC_REDIRECT,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    state: 'state-123',
    resource: RESOURCE,
    scope: 'mcp:tools',
    ...overrides,
  };
  return { params, pkce };
}

/** The redirect target of a 302/303, or undefined when the server answered without redirecting. */
export function redirectedTo(response: Response): URL | undefined {
  const location = response.headers.get('location');
  return response.status >= 300 && response.status < 400 && location ? new URL(location) : undefined;
}

export interface IssuedCode {
  code: string;
  verifier: string;
  redirectUri: string;
}

/** Runs /authorize (auto-approve) and returns the code. */
export async function obtainCode(
  server: AuthorizationServer,
  overrides: Record<string, string | undefined> = {},
  issuer = ISSUER,
): Promise<IssuedCode> {
  const { params, pkce } = await authorizationParams(overrides);
  const response = await get(server.handler, authorizeUrl(params, issuer));
  const code = redirectedTo(response)?.searchParams.get('code');
  if (!code) throw new Error(`no code: ${response.status} ${response.headers.get('location')}`);
  return { code, verifier: pkce.verifier, redirectUri: params.redirect_uri ?? PUBLIC_REDIRECT };
}

export function redeem(
  server: AuthorizationServer,
  issued: IssuedCode,
  overrides: Record<string, string | undefined> = {},
  headers: Record<string, string> = {},
  issuer = ISSUER,
): Promise<Response> {
  const fields: Record<string, string> = {};
  const all = {
    grant_type: 'authorization_code',
    code: issued.code,
    redirect_uri: issued.redirectUri,
    code_verifier: issued.verifier,
    client_id: CLIENTS.public.client_id,
    ...overrides,
  };
  for (const [name, value] of Object.entries(all)) if (value !== undefined) fields[name] = value;
  return postForm(server.handler, `${issuer}/token`, fields, headers);
}

export async function introspect(server: AuthorizationServer, token: string, issuer = ISSUER): Promise<unknown> {
  const { client_id, client_secret } = CLIENTS.resourceServer;
  const response = await postForm(server.handler, `${issuer}/introspect`, { token }, basic(client_id, client_secret));
  return response.json();
}

/** Runs the code flow for the public client (alice) and returns the access token. */
export async function userAccessToken(
  server: AuthorizationServer,
  overrides: Record<string, string | undefined> = {},
  issuer = ISSUER,
): Promise<string> {
  const response = await redeem(server, await obtainCode(server, overrides, issuer), {}, {}, issuer);
  if (response.status !== 200) throw new Error(`no token: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** POSTs to /revoke as the public client unless other fields or headers are given. */
export function revoke(
  server: AuthorizationServer,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  issuer = ISSUER,
): Promise<Response> {
  return postForm(server.handler, `${issuer}/revoke`, fields, headers);
}

/** An RFC 8693 exchange of `subjectToken` by the exchanger client; override or unset (undefined) any field. */
export function exchange(
  server: AuthorizationServer,
  subjectToken: string,
  overrides: Record<string, string | undefined> = {},
  headers: Record<string, string> = basic(CLIENTS.exchanger.client_id, CLIENTS.exchanger.client_secret),
  issuer = ISSUER,
): Promise<Response> {
  const all: Record<string, string | undefined> = {
    grant_type: TOKEN_EXCHANGE,
    subject_token: subjectToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    resource: DOWNSTREAM_RESOURCE,
    ...overrides,
  };
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(all)) if (value !== undefined) fields[name] = value;
  return postForm(server.handler, `${issuer}/token`, fields, headers);
}

/** Asserts an OAuth error response: status, JSON `{error, error_description}`, never cached. */
export async function expectOAuthError(response: Response, status: number, error: string): Promise<void> {
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as Record<string, unknown>;
  expect({ status: response.status, error: body.error }).toEqual({ status, error });
  expect(typeof body.error_description).toBe('string');
}

/** A minimal cookie jar for the interactive flow. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const separator = pair!.indexOf('=');
      this.#cookies.set(pair!.slice(0, separator), pair!.slice(separator + 1));
    }
  }

  header(): Record<string, string> {
    if (this.#cookies.size === 0) return {};
    return { Cookie: [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }
}

/** The value of a hidden form input on a page. */
export function hiddenInput(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no input ${name} on the page`);
  return match[1]!;
}
