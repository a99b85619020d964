import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_LIFECYCLE_DEFECTS } from '../defects/token-lifecycle.ts';
import type { Defect } from '../defects.ts';
import type { ClientSessionSettings } from '../store/index.ts';
import { fromPreRegistered, type PreRegisteredClient } from './clients.ts';
import { mayRefresh } from './grants/refresh-token.ts';
import {
  basic,
  CLIENTS,
  createTestServer,
  expectOAuthError,
  get,
  ISSUER,
  obtainCode,
  postForm,
  RESOURCE,
  redeem,
  revoke,
  type TestServer,
  userAccessToken,
  WEB_REDIRECT,
} from './test-support.ts';

const ADMIN_TOKEN = 'lifecycle-admin-token';
const TENANT = `${ISSUER}/t/acme`;
const RS_AUTH = basic(CLIENTS.resourceServer.client_id, CLIENTS.resourceServer.client_secret);
const BASIC_AUTH = basic(CLIENTS.basic.client_id, CLIENTS.basic.client_secret);

const MACHINE = { client_id: 'machine', client_secret: 'machine-secret' };
const TENANT_MACHINE = { client_id: 'acme-machine', client_secret: 'acme-machine-secret' };
const SESSION_CLIENT = { client_id: 'session-client', client_secret: 'session-secret' };
const REFRESHING = { client_id: 'refreshing-client', client_secret: 'refreshing-secret' };

function confidential(
  credentials: { client_id: string; client_secret: string },
  grantTypes: string[],
  settings: PreRegisteredClient['settings'] = {},
): PreRegisteredClient {
  const usesCode = grantTypes.includes('authorization_code');
  return {
    ...credentials,
    redirect_uris: usesCode ? [WEB_REDIRECT] : [],
    grant_types: grantTypes,
    token_endpoint_auth_method: 'client_secret_basic',
    client_name: credentials.client_id,
    settings,
  };
}

const SESSION_SETTINGS: ClientSessionSettings = {
  token_format: 'user-jwt',
  session_token_ttl_seconds: 60,
  refresh_token_ttl_seconds: 120,
  access_key_ttl_seconds: 30,
};

/** A test server with the lifecycle's extra clients: machines (one tenant-bound), custom sessions, a refresher. */
async function lifecycleServer(defects: Defect[] = []): Promise<TestServer> {
  const server = await createTestServer({ defects, tenants: ['acme', 'beta'], adminToken: ADMIN_TOKEN });
  const extra = [
    confidential(MACHINE, ['client_credentials'], {
      session_management: { token_format: 'access-key-jwt', access_key_ttl_seconds: 30 },
    }),
    confidential(TENANT_MACHINE, ['client_credentials'], { allowed_tenants: ['acme'] }),
    confidential(SESSION_CLIENT, ['authorization_code', 'refresh_token'], { session_management: SESSION_SETTINGS }),
    confidential(REFRESHING, ['authorization_code', 'refresh_token']),
  ];
  for (const client of extra) await server.store.clients.save(fromPreRegistered(client, 1_767_225_600));
  return server;
}

type Json = Record<string, unknown>;

async function introspectAs(
  server: TestServer,
  fields: Record<string, string>,
  headers: Record<string, string> = RS_AUTH,
  issuer = ISSUER,
): Promise<Response> {
  return postForm(server.handler, `${issuer}/introspect`, fields, headers);
}

async function introspected(server: TestServer, token: string, headers = RS_AUTH, extra = {}): Promise<Json> {
  const response = await introspectAs(server, { token, ...extra }, headers);
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return (await response.json()) as Json;
}

/** Code flow for a confidential client (Basic), optionally with a scope; the whole token response. */
async function codeFlowTokens(
  server: TestServer,
  client: { client_id: string; client_secret: string },
  scope = 'mcp:tools',
  issuer = ISSUER,
): Promise<Json> {
  const issued = await obtainCode(server, { client_id: client.client_id, redirect_uri: WEB_REDIRECT, scope }, issuer);
  const auth = basic(client.client_id, client.client_secret);
  const response = await redeem(server, issued, { client_id: undefined }, auth, issuer);
  expect(response.status).toBe(200);
  return (await response.json()) as Json;
}

function clientCredentials(
  server: TestServer,
  client: { client_id: string; client_secret: string },
  issuer = ISSUER,
  fields: Record<string, string> = {},
): Promise<Response> {
  const body = { grant_type: 'client_credentials', resource: RESOURCE, ...fields };
  return postForm(server.handler, `${issuer}/token`, body, basic(client.client_id, client.client_secret));
}

async function machineToken(server: TestServer, issuer = ISSUER): Promise<string> {
  const response = await clientCredentials(server, MACHINE, issuer);
  return ((await response.json()) as { access_token: string }).access_token;
}

function refreshWith(server: TestServer, client: typeof REFRESHING, refreshToken: string, scope?: string) {
  const fields = { grant_type: 'refresh_token', refresh_token: refreshToken, ...(scope ? { scope } : {}) };
  return postForm(server.handler, `${ISSUER}/token`, fields, basic(client.client_id, client.client_secret));
}

function userinfo(server: TestServer, headers: Record<string, string>, issuer = ISSUER): Promise<Response> {
  return get(server.handler, `${issuer}/userinfo`, headers);
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

let server: TestServer;
beforeAll(async () => {
  server = await lifecycleServer();
});

describe('introspection (RFC 7662)', () => {
  it('answers an active access token with its claims, never cached', async () => {
    const token = await userAccessToken(server);
    expect(await introspected(server, token)).toMatchObject({
      active: true,
      iss: ISSUER,
      sub: 'user-alice',
      aud: RESOURCE,
      client_id: CLIENTS.public.client_id,
      scope: 'mcp:tools',
      token_type: 'Bearer',
    });
  });

  const refusedCallers: [string, Record<string, string>, Record<string, string>][] = [
    ['no credentials', {}, {}],
    ['a public client', {}, { client_id: CLIENTS.public.client_id }],
    ['a wrong secret (Basic)', basic(CLIENTS.resourceServer.client_id, 'wrong'), {}],
    ['an unknown client (Basic)', basic('nobody', 'secret'), {}],
  ];
  it.each(refusedCallers)('refuses %s with 401 invalid_client and a Basic challenge', async (_, headers, fields) => {
    const token = await userAccessToken(server);
    const response = await introspectAs(server, { token, ...fields }, headers);
    expect(response.headers.get('www-authenticate')).toBe(`Basic realm="${ISSUER}"`);
    await expectOAuthError(response, 401, 'invalid_client');
  });

  it('answers unknown, garbage, expired and revoked tokens with exactly {"active": false}', async () => {
    const local = await lifecycleServer();
    const revoked = await userAccessToken(local);
    await revoke(local, { token: revoked, client_id: CLIENTS.public.client_id });
    const expiring = await userAccessToken(local);
    local.clock.advance(901_000);
    for (const token of ['never-issued', 'a.b.c', 'A'.repeat(43), revoked, expiring]) {
      expect(await introspected(local, token)).toEqual({ active: false });
    }
  });

  it('falls back across token types whatever token_type_hint says, and ignores unknown hints', async () => {
    const token = await userAccessToken(server);
    for (const hint of ['refresh_token', 'access_token', 'id_token', 'nonsense']) {
      expect(await introspected(server, token, RS_AUTH, { token_type_hint: hint })).toMatchObject({ active: true });
    }
  });

  it('shows a refresh token only to its holder, and only while it is usable', async () => {
    const local = await lifecycleServer();
    const { refresh_token } = await codeFlowTokens(local, REFRESHING);
    const holder = basic(REFRESHING.client_id, REFRESHING.client_secret);
    expect(await introspected(local, String(refresh_token), holder)).toMatchObject({
      active: true,
      client_id: REFRESHING.client_id,
      token_type: 'refresh_token',
    });
    expect(await introspected(local, String(refresh_token), RS_AUTH)).toEqual({ active: false });
    await refreshWith(local, REFRESHING, String(refresh_token));
    expect(await introspected(local, String(refresh_token), holder)).toEqual({ active: false });
  });

  it.each([
    ['a JSON body', { 'Content-Type': 'application/json' }, '{"token":"x"}'],
    ['no token', { 'Content-Type': 'application/x-www-form-urlencoded' }, ''],
    ['two tokens', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'token=a&token=b'],
  ])('answers %s with 400 invalid_request, never 500', async (_, headers, body) => {
    const response = await server.handler(
      new Request(`${ISSUER}/introspect`, { method: 'POST', headers: { ...headers, ...RS_AUTH }, body }),
    );
    await expectOAuthError(response, 400, 'invalid_request');
  });
});

describe('revocation (RFC 7009)', () => {
  it('ignores an unknown token_type_hint value (not unsupported_token_type) and still revokes', async () => {
    const token = await userAccessToken(server);
    const response = await revoke(server, { token, token_type_hint: 'id_token', client_id: CLIENTS.public.client_id });
    expect(response.status).toBe(200);
    expect(await introspected(server, token)).toEqual({ active: false });
  });

  it('revokes a refresh token sent with token_type_hint=access_token, and its grant with it', async () => {
    const local = await lifecycleServer();
    const tokens = await codeFlowTokens(local, REFRESHING);
    const auth = basic(REFRESHING.client_id, REFRESHING.client_secret);
    const response = await revoke(
      local,
      { token: String(tokens.refresh_token), token_type_hint: 'access_token' },
      auth,
    );
    expect(response.status).toBe(200);
    await expectOAuthError(await refreshWith(local, REFRESHING, String(tokens.refresh_token)), 400, 'invalid_grant');
    expect(await introspected(local, String(tokens.access_token))).toEqual({ active: false });
  });

  it("leaves another client's refresh token alone", async () => {
    const tokens = await codeFlowTokens(server, REFRESHING);
    expect((await revoke(server, { token: String(tokens.refresh_token) }, BASIC_AUTH)).status).toBe(200);
    expect((await refreshWith(server, REFRESHING, String(tokens.refresh_token))).status).toBe(200);
  });

  it('lets a machine client revoke its own client_credentials token', async () => {
    const token = await machineToken(server);
    const auth = basic(MACHINE.client_id, MACHINE.client_secret);
    expect((await revoke(server, { token }, auth)).status).toBe(200);
    expect(await introspected(server, token)).toEqual({ active: false });
  });
});

describe('userinfo (OIDC Core §5.3)', () => {
  it('is announced in the metadata', async () => {
    const metadata = (await (
      await get(server.handler, `${ISSUER}/.well-known/oauth-authorization-server`)
    ).json()) as Json;
    expect(metadata.userinfo_endpoint).toBe(`${ISSUER}/userinfo`);
  });

  it("answers the token's user (header or form body), never cached", async () => {
    const alice = await userAccessToken(server);
    const response = await userinfo(server, bearer(alice));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      sub: 'user-alice',
      name: 'Alice',
      preferred_username: 'alice',
      email: 'alice@example.com',
    });
    const bob = await userAccessToken(server, { login_hint: 'bob' });
    const posted = await postForm(server.handler, `${ISSUER}/userinfo`, { access_token: bob });
    expect(await posted.json()).toMatchObject({ sub: 'user-bob', email: 'bob@example.com' });
    const lowercase = await userinfo(server, { Authorization: `bearer ${alice}` });
    expect(await lowercase.json()).toMatchObject({ sub: 'user-alice' });
  });

  it('challenges a request without a token with a Bearer realm and no error code', async () => {
    const response = await userinfo(server, {});
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="${ISSUER}"`);
    await expectOAuthError(response, 401, 'invalid_request');
  });

  it('refuses unknown, revoked, expired and other-tenant tokens with 401 invalid_token', async () => {
    const local = await lifecycleServer();
    const revoked = await userAccessToken(local);
    await revoke(local, { token: revoked, client_id: CLIENTS.public.client_id });
    const tenantToken = await userAccessToken(local, {}, TENANT);
    const expiring = await userAccessToken(local);
    local.clock.advance(901_000);
    for (const token of ['never-issued', 'a.b.c', revoked, tenantToken, expiring]) {
      const response = await userinfo(local, bearer(token));
      expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="${ISSUER}", error="invalid_token"`);
      await expectOAuthError(response, 401, 'invalid_token');
    }
  });

  it('refuses a client credentials token (no user) with 403 insufficient_scope', async () => {
    const response = await userinfo(server, bearer(await machineToken(server)));
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    await expectOAuthError(response, 403, 'insufficient_scope');
  });

  it.each([
    ['another scheme', { Authorization: 'Basic abc' }],
    ['a bare Bearer', { Authorization: 'Bearer' }],
    ['two credentials', { Authorization: 'Bearer a b' }],
  ])('answers %s with 400 invalid_request, never 500', async (_, headers) => {
    await expectOAuthError(await userinfo(server, headers), 400, 'invalid_request');
  });

  it('refuses a token sent both in the header and in the body', async () => {
    const token = await userAccessToken(server);
    const response = await postForm(server.handler, `${ISSUER}/userinfo`, { access_token: token }, bearer(token));
    await expectOAuthError(response, 400, 'invalid_request');
  });
});

describe('per-client session management (seed 004)', () => {
  it("applies the client's session token and refresh token timeouts and marks its token format", async () => {
    const local = await lifecycleServer();
    const tokens = await codeFlowTokens(local, SESSION_CLIENT);
    expect(tokens.expires_in).toBe(60);
    expect(decodeJwt(String(tokens.access_token))).toMatchObject({ token_format: 'user-jwt', exp: expect.any(Number) });
    local.clock.advance(121_000);
    const client = { ...REFRESHING, ...SESSION_CLIENT };
    await expectOAuthError(await refreshWith(local, client, String(tokens.refresh_token)), 400, 'invalid_grant');
  });

  it('applies the access key timeout to client credentials tokens', async () => {
    const response = await clientCredentials(server, MACHINE);
    const body = (await response.json()) as Json;
    expect(body.expires_in).toBe(30);
    expect(decodeJwt(String(body.access_token)).token_format).toBe('access-key-jwt');
  });

  it("falls back to the server's settings without custom ones", async () => {
    const tokens = await codeFlowTokens(server, REFRESHING);
    expect(tokens.expires_in).toBe(900);
    expect(decodeJwt(String(tokens.access_token)).token_format).toBeUndefined();
    server.clock.advance(121_000);
    expect((await refreshWith(server, REFRESHING, String(tokens.refresh_token))).status).toBe(200);
  });
});

describe('allowed tenants (seed 004)', () => {
  it('issues client credentials tokens only at the allowed tenants; the root issuer is no tenant', async () => {
    expect((await clientCredentials(server, TENANT_MACHINE, TENANT)).status).toBe(200);
    await expectOAuthError(await clientCredentials(server, TENANT_MACHINE, ISSUER), 400, 'unauthorized_client');
    await expectOAuthError(
      await clientCredentials(server, TENANT_MACHINE, `${ISSUER}/t/beta`),
      400,
      'unauthorized_client',
    );
  });

  it('leaves clients without a list usable everywhere', async () => {
    for (const issuer of [ISSUER, TENANT, `${ISSUER}/t/beta`]) {
      expect((await clientCredentials(server, MACHINE, issuer)).status).toBe(200);
    }
  });
});

describe('agentic identities (seed 004)', () => {
  const list = (issuer: string, headers: Record<string, string>) =>
    get(server.handler, `${issuer}/admin/agentic-identities`, headers);

  it('needs the admin token', async () => {
    const anonymous = await list(ISSUER, {});
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    await expectOAuthError(anonymous, 401, 'invalid_token');
    await expectOAuthError(await list(ISSUER, bearer('wrong')), 401, 'invalid_token');
  });

  it('lists every client credentials client, and at a tenant those allowed there', async () => {
    const response = await list(ISSUER, bearer(ADMIN_TOKEN));
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { agentic_identities } = (await response.json()) as { agentic_identities: Json[] };
    expect(agentic_identities.map((identity) => identity.client_id).sort()).toEqual(['acme-machine', 'machine']);
    expect(agentic_identities.find((identity) => identity.client_id === 'acme-machine')).toEqual({
      client_id: 'acme-machine',
      client_name: 'acme-machine',
      token_endpoint_auth_method: 'client_secret_basic',
      allowed_tenants: ['acme'],
      created_at: 1_767_225_600,
      registered_by: 'configuration',
    });
    const beta = (await (await list(`${ISSUER}/t/beta`, bearer(ADMIN_TOKEN))).json()) as { agentic_identities: Json[] };
    expect(beta.agentic_identities.map((identity) => identity.client_id)).toEqual(['machine']);
  });
});

describe('offline_access (MCP 2026-07-28, Refresh Tokens)', () => {
  it('is listed in scopes_supported', async () => {
    const metadata = (await (
      await get(server.handler, `${ISSUER}/.well-known/oauth-authorization-server`)
    ).json()) as Json;
    expect(metadata.scopes_supported).toContain('offline_access');
  });

  it('is accepted in the authorization request but kept out of the access token', async () => {
    const tokens = await codeFlowTokens(server, REFRESHING, 'mcp:tools offline_access');
    expect(tokens.scope).toBe('mcp:tools');
    expect(decodeJwt(String(tokens.access_token)).scope).toBe('mcp:tools');
    expect(typeof tokens.refresh_token).toBe('string');
    const refreshed = await refreshWith(server, REFRESHING, String(tokens.refresh_token), 'mcp:tools offline_access');
    expect(((await refreshed.json()) as Json).scope).toBe('mcp:tools');
  });

  it("brings the resource's default scope when asked for alone", async () => {
    const tokens = await codeFlowTokens(server, REFRESHING, 'offline_access');
    expect(tokens.scope).toBe('mcp:tools');
  });

  it('lets a client not registered for refresh_token refresh once offline_access was granted', () => {
    const client = fromPreRegistered(confidential(MACHINE, ['authorization_code']), 0);
    expect(mayRefresh(client)).toBe(false);
    expect(mayRefresh(client, 'mcp:tools')).toBe(false);
    expect(mayRefresh(client, 'mcp:tools offline_access')).toBe(true);
  });

  it('is no scope of the client credentials grant', async () => {
    const response = await clientCredentials(server, MACHINE, ISSUER, { scope: 'mcp:tools offline_access' });
    await expectOAuthError(response, 400, 'invalid_scope');
  });
});

// ── Every defect of the lifecycle table has a probe that shows it only with the defect ──────────────────────────

type LifecycleDefect = keyof typeof TOKEN_LIFECYCLE_DEFECTS;
type Probe = (server: TestServer) => Promise<boolean>;

async function publicRevoke(probe: TestServer, token: string, extra: Record<string, string> = {}) {
  return revoke(probe, { token, client_id: CLIENTS.public.client_id, ...extra });
}

const PROBES: Record<LifecycleDefect, Probe> = {
  'introspection-unauthenticated': async (probe) =>
    (await introspectAs(probe, { token: await userAccessToken(probe) }, {})).status === 200,
  'introspection-invalid-client-400': async (probe) =>
    (await introspectAs(probe, { token: 'x' }, basic(CLIENTS.resourceServer.client_id, 'wrong'))).status === 400,
  'introspection-active-as-string': async (probe) =>
    (await introspected(probe, await userAccessToken(probe))).active === 'true',
  'introspection-unknown-token-404': async (probe) =>
    (await introspectAs(probe, { token: 'never-issued' })).status === 404,
  'introspection-ignores-revocation': async (probe) => {
    const token = await userAccessToken(probe);
    await publicRevoke(probe, token);
    return (await introspected(probe, token)).active === true;
  },
  'introspection-ignores-expiry': async (probe) => {
    const token = await userAccessToken(probe);
    probe.clock.advance(901_000);
    return (await introspected(probe, token)).active === true;
  },
  'introspection-inactive-leaks-claims': async (probe) => {
    const token = await userAccessToken(probe);
    await publicRevoke(probe, token);
    return 'sub' in (await introspected(probe, token));
  },
  'introspection-hint-trusted': async (probe) => {
    const token = await userAccessToken(probe);
    return (await introspected(probe, token, RS_AUTH, { token_type_hint: 'refresh_token' })).active === false;
  },
  'introspection-refresh-tokens-unsupported': async (probe) => {
    const { refresh_token } = await codeFlowTokens(probe, REFRESHING);
    const holder = basic(REFRESHING.client_id, REFRESHING.client_secret);
    return (await introspected(probe, String(refresh_token), holder)).active === false;
  },
  'revocation-unauthenticated': async (probe) => {
    const token = String((await codeFlowTokens(probe, REFRESHING)).access_token);
    await revoke(probe, { token, client_id: REFRESHING.client_id });
    return (await introspected(probe, token)).active === false;
  },
  'revocation-other-client': async (probe) => {
    const token = await userAccessToken(probe);
    await revoke(probe, { token }, BASIC_AUTH);
    return (await introspected(probe, token)).active === false;
  },
  'revocation-ignores-access-tokens': async (probe) => {
    const token = await userAccessToken(probe);
    await publicRevoke(probe, token);
    return (await introspected(probe, token)).active === true;
  },
  'revocation-unknown-token-400': async (probe) => (await publicRevoke(probe, 'never-issued')).status === 400,
  'revocation-hint-trusted': async (probe) => {
    const token = await userAccessToken(probe);
    await publicRevoke(probe, token, { token_type_hint: 'refresh_token' });
    return (await introspected(probe, token)).active === true;
  },
  'userinfo-accepts-invalid-tokens': async (probe) => (await userinfo(probe, bearer('never-issued'))).status === 200,
  'userinfo-wrong-user': async (probe) =>
    ((await (await userinfo(probe, bearer(await userAccessToken(probe)))).json()) as Json).sub !== 'user-alice',
  'client-session-settings-ignored': async (probe) =>
    ((await (await clientCredentials(probe, MACHINE)).json()) as Json).expires_in !== 30,
  'allowed-tenants-ignored': async (probe) => (await clientCredentials(probe, TENANT_MACHINE, ISSUER)).status === 200,
  'offline-access-refused': async (probe) => {
    const issued = await obtainCode(probe, { scope: 'mcp:tools offline_access' }).catch(() => undefined);
    return issued === undefined;
  },
  'offline-access-ignored': async (probe) => {
    const tokens = await codeFlowTokens(probe, REFRESHING, 'mcp:tools offline_access');
    return tokens.refresh_token === undefined;
  },
  'offline-access-in-access-token': async (probe) => {
    const tokens = await codeFlowTokens(probe, REFRESHING, 'mcp:tools offline_access');
    return String(decodeJwt(String(tokens.access_token)).scope).includes('offline_access');
  },
};

describe('lifecycle defects', () => {
  it.each(Object.keys(TOKEN_LIFECYCLE_DEFECTS) as LifecycleDefect[])(
    '%s is visible only with the defect',
    async (defect) => {
      expect(await PROBES[defect](await lifecycleServer())).toBe(false);
      expect(await PROBES[defect](await lifecycleServer([defect]))).toBe(true);
    },
  );
});
