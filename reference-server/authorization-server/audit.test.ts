import { decodeJwt } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ActivityEvent, AuditEvent, ClientRecord } from '../store/index.ts';
import {
  authorizationParams,
  authorizeUrl,
  basic,
  CLIENTS,
  CookieJar,
  createTestServer,
  expectOAuthError,
  get,
  hiddenInput,
  ISSUER,
  obtainCode,
  postForm,
  RESOURCE,
  redeem,
  redirectedTo,
  revoke,
  START,
  type TestServer,
  userAccessToken,
} from './test-support.ts';

const ADMIN_TOKEN = 'audit-admin-token';
const ADMIN = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const M2M = { client_id: 'audit-m2m', client_secret: 'audit-m2m-secret' };

function machineClient(): ClientRecord {
  return {
    ...M2M,
    client_id_issued_at: START / 1000,
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    application_type: 'web',
    registeredBy: 'configuration',
  };
}

async function auditServer(interaction: 'auto-approve' | 'interactive' = 'auto-approve'): Promise<TestServer> {
  const server = await createTestServer({ adminToken: ADMIN_TOKEN, interaction });
  await server.store.clients.save(machineClient());
  return server;
}

async function auditLog(server: TestServer, query = ''): Promise<AuditEvent[]> {
  const response = await get(server.handler, `${ISSUER}/admin/audit${query}`, ADMIN);
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { events: AuditEvent[] }).events;
}

async function activities(server: TestServer, kind: ActivityEvent['kind']): Promise<ActivityEvent[]> {
  return (await auditLog(server, `?kind=${kind}`)) as ActivityEvent[];
}

async function machineToken(server: TestServer): Promise<Response> {
  return postForm(
    server.handler,
    `${ISSUER}/token`,
    { grant_type: 'client_credentials', resource: RESOURCE },
    basic(M2M.client_id, M2M.client_secret),
  );
}

/** Code flow with offline_access for the public client: its access and refresh tokens. */
async function offlineTokens(server: TestServer): Promise<{ access_token: string; refresh_token: string }> {
  const response = await redeem(server, await obtainCode(server, { scope: 'mcp:tools offline_access' }));
  expect(response.status, await response.clone().text()).toBe(200);
  const body = (await response.json()) as { access_token: string; refresh_token?: string };
  expect(body.refresh_token).toEqual(expect.any(String));
  return body as { access_token: string; refresh_token: string };
}

/** Signs in through the built-in login page and answers the consent page (interactive mode). */
async function signInAndDecide(
  server: TestServer,
  password: string,
  decision?: 'approve' | 'deny',
): Promise<Response | undefined> {
  const jar = new CookieJar();
  const open = async (url: string) => {
    const response = await get(server.handler, url, jar.header());
    jar.store(response);
    return response;
  };
  const submit = async (url: string, fields: Record<string, string>) => {
    const response = await postForm(server.handler, url, fields, jar.header());
    jar.store(response);
    return response;
  };
  const { params } = await authorizationParams();
  const login = redirectedTo(await open(authorizeUrl(params)))!;
  const loginHtml = await (await open(login.href)).text();
  const signedIn = await submit(`${ISSUER}/login`, {
    txn: hiddenInput(loginHtml, 'txn'),
    csrf_token: hiddenInput(loginHtml, 'csrf_token'),
    username: 'alice',
    password,
  });
  if (signedIn.status !== 303 || !decision) return undefined;
  const consentHtml = await (await open(redirectedTo(signedIn)!.href)).text();
  return submit(`${ISSUER}/consent`, {
    txn: hiddenInput(consentHtml, 'txn'),
    csrf_token: hiddenInput(consentHtml, 'csrf_token'),
    decision,
  });
}

function expectNoSecrets(events: readonly AuditEvent[], ...secrets: string[]): void {
  const text = JSON.stringify(events);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('audit log: sign-in and consent at the built-in pages', () => {
  it('records a password sign-in and an approved consent', async () => {
    const server = await auditServer('interactive');
    const approved = await signInAndDecide(server, 'alice-password', 'approve');
    expect(redirectedTo(approved!)?.searchParams.get('code')).toEqual(expect.any(String));
    expect(await activities(server, 'login')).toMatchObject([
      {
        sub: 'user-alice',
        clientId: CLIENTS.public.client_id,
        issuer: ISSUER,
        at: START,
        details: { method: 'password', amr: ['pwd'] },
      },
    ]);
    expect(await activities(server, 'consent-granted')).toMatchObject([
      { sub: 'user-alice', clientId: CLIENTS.public.client_id, details: { scope: 'mcp:tools', resource: RESOURCE } },
    ]);
    expect(await activities(server, 'login-failed')).toEqual([]);
    expectNoSecrets(await auditLog(server), 'alice-password');
  });

  it('records a refused sign-in without the password, and no sign-in', async () => {
    const server = await auditServer('interactive');
    await signInAndDecide(server, 'wrong-password');
    const [failed, ...more] = await activities(server, 'login-failed');
    expect(more).toEqual([]);
    expect(failed).toMatchObject({ clientId: CLIENTS.public.client_id, details: { username: 'alice' } });
    expect(failed!.sub).toBeUndefined();
    expect(await activities(server, 'login')).toEqual([]);
    expectNoSecrets(await auditLog(server), 'wrong-password');
  });

  it('records a denied consent, and issues nothing', async () => {
    const server = await auditServer('interactive');
    const denied = await signInAndDecide(server, 'alice-password', 'deny');
    expect(redirectedTo(denied!)?.searchParams.get('error')).toBe('access_denied');
    expect(await activities(server, 'consent-denied')).toMatchObject([{ sub: 'user-alice' }]);
    expect(await activities(server, 'consent-granted')).toEqual([]);
    expect(await activities(server, 'token-issued')).toEqual([]);
  });
});

describe('audit log: tokens issued and revoked', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await auditServer();
  });

  it('records an authorization code redemption by jti, never the token', async () => {
    const token = await userAccessToken(server);
    const [issued, ...more] = await activities(server, 'token-issued');
    expect(more).toEqual([]);
    expect(issued).toMatchObject({
      sub: 'user-alice',
      clientId: CLIENTS.public.client_id,
      details: {
        grant_type: 'authorization_code',
        jti: decodeJwt(token).jti,
        scope: 'mcp:tools',
        audience: RESOURCE,
        refresh_token: false,
      },
    });
    expectNoSecrets([issued!], token);
  });

  it('records a refresh, and the revocation of a refresh token family', async () => {
    const first = await offlineTokens(server);
    const refreshed = await postForm(server.handler, `${ISSUER}/token`, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      client_id: CLIENTS.public.client_id,
    });
    const second = (await refreshed.json()) as { access_token: string; refresh_token: string };
    const grants = (await activities(server, 'token-issued')).map((event) => event.details?.grant_type);
    expect(grants).toEqual(['authorization_code', 'refresh_token']);
    const revoked = await revoke(server, { token: second.refresh_token, client_id: CLIENTS.public.client_id });
    expect(revoked.status).toBe(200);
    expect(await activities(server, 'token-revoked')).toMatchObject([
      { sub: 'user-alice', details: { token_type: 'refresh_token', family: true } },
    ]);
    expectNoSecrets(await auditLog(server), first.refresh_token, second.refresh_token, second.access_token);
  });

  it('records client credentials with the client as its own subject', async () => {
    const response = await machineToken(server);
    const { access_token } = (await response.json()) as { access_token: string };
    expect(await auditLog(server, `?client_id=${M2M.client_id}`)).toMatchObject([
      {
        kind: 'token-issued',
        sub: M2M.client_id,
        details: { grant_type: 'client_credentials', jti: decodeJwt(access_token).jti },
      },
    ]);
  });

  it('records the revocation of an access token once, and nothing for a refused request', async () => {
    const token = await userAccessToken(server);
    await revoke(server, { token, client_id: CLIENTS.public.client_id });
    await revoke(server, { token, client_id: CLIENTS.public.client_id });
    const jti = decodeJwt(token).jti as string;
    expect(await activities(server, 'token-revoked')).toMatchObject([
      { sub: 'user-alice', details: { token_type: 'access_token', jti } },
    ]);
    const before = (await auditLog(server)).length;
    await expectOAuthError(await revoke(server, { client_id: CLIENTS.public.client_id }), 400, 'invalid_request');
    const stranger = basic('nobody', 'x');
    const refused = await postForm(server.handler, `${ISSUER}/token`, { grant_type: 'client_credentials' }, stranger);
    await expectOAuthError(refused, 401, 'invalid_client');
    expect(await auditLog(server)).toHaveLength(before);
  });

  it('records a replayed code as the revocation of its grant', async () => {
    const code = await obtainCode(server);
    expect((await redeem(server, code)).status).toBe(200);
    await expectOAuthError(await redeem(server, code), 400, 'invalid_grant');
    expect(await activities(server, 'token-revoked')).toMatchObject([
      { sub: 'user-alice', clientId: CLIENTS.public.client_id, details: { reason: 'code-replay' } },
    ]);
  });

  it('records a reused refresh token as the revocation of its grant', async () => {
    const { refresh_token } = await offlineTokens(server);
    const refresh = () =>
      postForm(server.handler, `${ISSUER}/token`, {
        grant_type: 'refresh_token',
        refresh_token,
        client_id: CLIENTS.public.client_id,
      });
    expect((await refresh()).status).toBe(200);
    await expectOAuthError(await refresh(), 400, 'invalid_grant');
    expect(await activities(server, 'token-revoked')).toMatchObject([
      { sub: 'user-alice', clientId: CLIENTS.public.client_id, details: { reason: 'refresh-reuse' } },
    ]);
  });

  it('records an administrator ending what users gave a client: revoke consent, then delete', async () => {
    await userAccessToken(server);
    const client = `${ISSUER}/admin/clients/${CLIENTS.public.client_id}`;
    const revoked = await server.handler(new Request(`${client}/revoke-consent`, { method: 'POST', headers: ADMIN }));
    expect(revoked.status).toBe(200);
    expect((await server.handler(new Request(client, { method: 'DELETE', headers: ADMIN }))).status).toBe(204);
    expect(await activities(server, 'token-revoked')).toMatchObject([
      { clientId: CLIENTS.public.client_id, details: { reason: 'consent-revoked', grants_revoked: 1 } },
      { clientId: CLIENTS.public.client_id, details: { reason: 'client-deleted', grants_revoked: 0 } },
    ]);
  });

  it('finds every event about one token by its jti', async () => {
    const token = await userAccessToken(server);
    await revoke(server, { token, client_id: CLIENTS.public.client_id });
    const kinds = (await auditLog(server, `?jti=${decodeJwt(token).jti}`)).map((event) => event.kind);
    expect(kinds).toEqual(['token-issued', 'token-revoked']);
  });
});

describe('GET /admin/audit', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await auditServer();
    await userAccessToken(server);
    server.clock.advance(60_000);
    await machineToken(server);
    server.clock.advance(60_000);
    await userAccessToken(server, { login_hint: 'bob' });
  });

  it('filters by kind (repeatable), user, client and time, oldest first', async () => {
    expect((await auditLog(server)).map((event) => event.at)).toEqual([START, START + 60_000, START + 120_000]);
    expect(await auditLog(server, '?kind=token-revoked&kind=login')).toEqual([]);
    expect(await auditLog(server, '?kind=token-revoked&kind=token-issued')).toHaveLength(3);
    expect((await auditLog(server, '?sub=user-bob')).map((event) => event.sub)).toEqual(['user-bob']);
    expect((await auditLog(server, `?client_id=${M2M.client_id}`)).map((event) => event.clientId)).toEqual([
      M2M.client_id,
    ]);
    expect((await auditLog(server, `?since=${START + 60_000}`)).map((event) => event.at)).toEqual([
      START + 60_000,
      START + 120_000,
    ]);
  });

  it('keeps the newest events under a limit', async () => {
    expect((await auditLog(server, '?limit=2')).map((event) => event.at)).toEqual([START + 60_000, START + 120_000]);
  });

  it('answers bad filters with 400 invalid_request', async () => {
    for (const query of ['?kind=nonsense', '?since=yesterday', '?limit=0', '?limit=5001', '?limit=-1']) {
      await expectOAuthError(await get(server.handler, `${ISSUER}/admin/audit${query}`, ADMIN), 400, 'invalid_request');
    }
  });

  it('is for administrators only (401 with a Bearer challenge), never cached', async () => {
    const refused = await get(server.handler, `${ISSUER}/admin/audit`, { Authorization: 'Bearer wrong' });
    await expectOAuthError(refused, 401, 'invalid_token');
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect((await get(server.handler, `${ISSUER}/admin/audit`, ADMIN)).headers.get('cache-control')).toBe('no-store');
  });

  it("shows a tenant issuer's events only there", async () => {
    await userAccessToken(server, {}, `${ISSUER}/t/acme`);
    const tenantLog = await get(server.handler, `${ISSUER}/t/acme/admin/audit`, ADMIN);
    const events = ((await tenantLog.json()) as { events: AuditEvent[] }).events;
    expect(events.map((event) => event.issuer)).toEqual([`${ISSUER}/t/acme`]);
    expect(await auditLog(server)).toHaveLength(3);
  });
});
