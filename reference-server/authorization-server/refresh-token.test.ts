import { decodeJwt } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { REFRESH_TOKEN_TTL_MS } from './grants/refresh-token.ts';
import {
  basic,
  CLIENTS,
  createTestServer,
  expectOAuthError,
  get,
  ISSUER,
  introspect,
  OTHER_RESOURCE,
  obtainCode,
  PUBLIC_REDIRECT,
  postForm,
  postJson,
  RESOURCE,
  redeem,
  revoke,
  type TestServer,
  WEB_REDIRECT,
} from './test-support.ts';

let server: TestServer;
beforeEach(async () => {
  server = await createTestServer();
});

interface Client {
  client_id: string;
  client_secret?: string;
}

interface TokenBody {
  access_token: string;
  refresh_token?: string;
  scope?: string;
  token_type: string;
  expires_in: number;
}

const REFRESH_GRANT_TYPES = ['authorization_code', 'refresh_token'];

async function registerClient(metadata: Record<string, unknown>): Promise<Client> {
  const response = await postJson(server.handler, `${ISSUER}/register`, metadata);
  expect(response.status).toBe(201);
  return (await response.json()) as Client;
}

const publicRefreshClient = () =>
  registerClient({
    redirect_uris: [PUBLIC_REDIRECT],
    grant_types: REFRESH_GRANT_TYPES,
    token_endpoint_auth_method: 'none',
  });

const confidentialRefreshClient = () =>
  registerClient({
    redirect_uris: [WEB_REDIRECT],
    grant_types: REFRESH_GRANT_TYPES,
    token_endpoint_auth_method: 'client_secret_basic',
  });

function authOf(client: Client): { fields: Record<string, string>; headers: Record<string, string> } {
  return client.client_secret
    ? { fields: {}, headers: basic(client.client_id, client.client_secret) }
    : { fields: { client_id: client.client_id }, headers: {} };
}

/** The code flow for `client`; the token response body. */
async function codeTokens(client: Client, scope = 'mcp:tools mcp:admin'): Promise<TokenBody> {
  const redirect = client.client_secret ? WEB_REDIRECT : PUBLIC_REDIRECT;
  const issued = await obtainCode(server, { client_id: client.client_id, redirect_uri: redirect, scope });
  const { fields, headers } = authOf(client);
  const response = await redeem(server, issued, { client_id: undefined, ...fields }, headers);
  expect(response.status).toBe(200);
  return (await response.json()) as TokenBody;
}

function refresh(client: Client, token: string, extra: Record<string, string> = {}): Promise<Response> {
  const { fields, headers } = authOf(client);
  const form = { grant_type: 'refresh_token', refresh_token: token, ...fields, ...extra };
  return postForm(server.handler, `${ISSUER}/token`, form, headers);
}

async function refreshed(client: Client, token: string, extra: Record<string, string> = {}): Promise<TokenBody> {
  const response = await refresh(client, token, extra);
  expect(response.status).toBe(200);
  return (await response.json()) as TokenBody;
}

async function introspectAs(client: Client, token: string): Promise<Record<string, unknown>> {
  const response = await postForm(server.handler, `${ISSUER}/introspect`, { token }, authOf(client).headers);
  return (await response.json()) as Record<string, unknown>;
}

describe('refresh token issuance (OAuth 2.1 §4.3)', () => {
  it('is advertised in grant_types_supported', async () => {
    const metadata = await (await get(server.handler, `${ISSUER}/.well-known/oauth-authorization-server`)).json();
    expect((metadata as { grant_types_supported: string[] }).grant_types_supported).toContain('refresh_token');
  });

  it('comes with the code only for clients registered for the refresh_token grant', async () => {
    expect((await codeTokens(await publicRefreshClient())).refresh_token).toEqual(expect.any(String));
    expect((await codeTokens(CLIENTS.public)).refresh_token).toBeUndefined();
  });

  it('is stored by digest only', async () => {
    const client = await publicRefreshClient();
    const { refresh_token } = await codeTokens(client);
    expect(await server.store.refreshTokens.get(refresh_token!)).toBeUndefined();
  });

  it('is refused to a client not registered for the grant (unauthorized_client)', async () => {
    await expectOAuthError(await refresh(CLIENTS.public, 'whatever'), 400, 'invalid_grant');
    const holder = await publicRefreshClient();
    const { refresh_token } = await codeTokens(holder);
    const record = [...(await server.store.clients.list())].find((client) => client.client_id === holder.client_id)!;
    await server.store.clients.save({ ...record, grant_types: ['authorization_code'] });
    await expectOAuthError(await refresh(holder, refresh_token!), 400, 'unauthorized_client');
  });
});

describe('refresh (OAuth 2.1 §4.3.1)', () => {
  it('issues a no-store Bearer response with a new access token for the same resource and scope', async () => {
    const client = await publicRefreshClient();
    const first = await codeTokens(client);
    const response = await refresh(client, first.refresh_token!);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as TokenBody;
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'mcp:tools mcp:admin' });
    expect(body.expires_in).toBeGreaterThan(0);
    expect(body.access_token).not.toBe(first.access_token);
    expect(decodeJwt(body.access_token)).toMatchObject({ aud: RESOURCE, client_id: client.client_id });
  });

  it('rotates: the old refresh token is refused and its reuse revokes the family, access tokens included', async () => {
    const client = await publicRefreshClient();
    const first = await codeTokens(client);
    const second = await refreshed(client, first.refresh_token!);
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const third = await refreshed(client, second.refresh_token!);
    expect(await introspect(server, third.access_token)).toMatchObject({ active: true });
    await expectOAuthError(await refresh(client, first.refresh_token!), 400, 'invalid_grant');
    await expectOAuthError(await refresh(client, third.refresh_token!), 400, 'invalid_grant');
    expect(await introspect(server, third.access_token)).toEqual({ active: false });
    expect(await introspect(server, first.access_token)).toEqual({ active: false });
  });

  it('rotates for confidential clients, which must authenticate', async () => {
    const client = await confidentialRefreshClient();
    const first = await codeTokens(client);
    const withoutSecret = { client_id: client.client_id };
    await expectOAuthError(await refresh(withoutSecret, first.refresh_token!), 401, 'invalid_client');
    const second = await refreshed(client, first.refresh_token!);
    expect(second.refresh_token).not.toBe(first.refresh_token);
  });

  it('is bound to the client', async () => {
    const { refresh_token } = await codeTokens(await publicRefreshClient());
    await expectOAuthError(await refresh(await publicRefreshClient(), refresh_token!), 400, 'invalid_grant');
  });

  it('narrows scope on request but never widens it; the successor keeps the original scope', async () => {
    const client = await publicRefreshClient();
    const narrow = await codeTokens(client, 'mcp:tools');
    await expectOAuthError(
      await refresh(client, narrow.refresh_token!, { scope: 'mcp:tools mcp:admin' }),
      400,
      'invalid_scope',
    );
    const full = await codeTokens(client);
    const narrowed = await refreshed(client, full.refresh_token!, { scope: 'mcp:tools' });
    expect(decodeJwt(narrowed.access_token).scope).toBe('mcp:tools');
    expect((await refreshed(client, narrowed.refresh_token!)).scope).toBe('mcp:tools mcp:admin');
  });

  it('stays within the resource of the grant', async () => {
    const client = await publicRefreshClient();
    const { refresh_token } = await codeTokens(client);
    await expectOAuthError(await refresh(client, refresh_token!, { resource: OTHER_RESOURCE }), 400, 'invalid_target');
    expect(decodeJwt((await refreshed(client, refresh_token!, { resource: RESOURCE })).access_token).aud).toBe(
      RESOURCE,
    );
  });

  it('expires after its lifetime, by the injected clock', async () => {
    const client = await publicRefreshClient();
    const { refresh_token } = await codeTokens(client);
    server.clock.advance(REFRESH_TOKEN_TTL_MS);
    await expectOAuthError(await refresh(client, refresh_token!), 400, 'invalid_grant');
  });

  it('refuses unknown and missing refresh tokens', async () => {
    const client = await publicRefreshClient();
    await expectOAuthError(await refresh(client, 'not-a-refresh-token'), 400, 'invalid_grant');
    const form = { grant_type: 'refresh_token', client_id: client.client_id };
    await expectOAuthError(await postForm(server.handler, `${ISSUER}/token`, form), 400, 'invalid_request');
  });

  it('dies with its grant when the code is replayed', async () => {
    const client = await publicRefreshClient();
    const issued = await obtainCode(server, { client_id: client.client_id });
    const first = (await (await redeem(server, issued, { client_id: client.client_id })).json()) as TokenBody;
    await redeem(server, issued, { client_id: client.client_id });
    await expectOAuthError(await refresh(client, first.refresh_token!), 400, 'invalid_grant');
  });
});

describe('refresh tokens at the revocation and introspection endpoints (RFC 7009, RFC 7662)', () => {
  it('revoking a refresh token revokes its family and the access tokens of the grant', async () => {
    const client = await publicRefreshClient();
    const first = await codeTokens(client);
    const second = await refreshed(client, first.refresh_token!);
    const response = await revoke(server, { token: second.refresh_token!, client_id: client.client_id });
    expect(response.status).toBe(200);
    await expectOAuthError(await refresh(client, second.refresh_token!), 400, 'invalid_grant');
    expect(await introspect(server, second.access_token)).toEqual({ active: false });
  });

  it("another client's revocation request changes nothing", async () => {
    const client = await publicRefreshClient();
    const { refresh_token } = await codeTokens(client);
    const other = await publicRefreshClient();
    expect((await revoke(server, { token: refresh_token!, client_id: other.client_id })).status).toBe(200);
    await refreshed(client, refresh_token!);
  });

  it('introspection shows a refresh token only to the client holding it', async () => {
    const client = await confidentialRefreshClient();
    const { refresh_token } = await codeTokens(client);
    expect(await introspectAs(client, refresh_token!)).toMatchObject({
      active: true,
      client_id: client.client_id,
      token_type: 'refresh_token',
    });
    expect(await introspect(server, refresh_token!)).toEqual({ active: false });
    await refreshed(client, refresh_token!);
    expect(await introspectAs(client, refresh_token!)).toEqual({ active: false });
  });
});
