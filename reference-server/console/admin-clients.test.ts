import { beforeEach, describe, expect, it } from 'vitest';
import {
  authorizeUrl,
  basic,
  CookieJar,
  createTestServer,
  expectOAuthError,
  get,
  hiddenInput,
  ISSUER,
  introspect,
  obtainCode,
  postForm,
  postJson,
  redeem,
  redirectedTo,
  type TestServer,
  WEB_REDIRECT,
} from '../authorization-server/test-support.ts';

const ADMIN_TOKEN = 'admin-token-for-tests';
const ADMIN = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const CLIENTS_URL = `${ISSUER}/admin/clients`;

interface ClientBody {
  client_id: string;
  client_secret?: string;
  client_name: string | null;
  type: string;
  tags: string[];
  grant_types: string[];
  description: string | null;
  skip_consent: boolean;
  session_management: Record<string, unknown> | null;
  created_at: string;
}

function admin(server: TestServer, method: string, url: string, body?: unknown, headers = ADMIN): Promise<Response> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.headers = { ...headers, 'Content-Type': 'application/json' };
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  return server.handler(new Request(url, init));
}

async function createClient(server: TestServer, body: Record<string, unknown>): Promise<ClientBody> {
  const response = await admin(server, 'POST', CLIENTS_URL, body);
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as ClientBody;
}

async function listIds(server: TestServer, ...filters: string[]): Promise<string[]> {
  const query = filters.map((filter) => `filter=${encodeURIComponent(filter)}`).join('&');
  const response = await admin(server, 'GET', `${CLIENTS_URL}?${query}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { clients: ClientBody[] }).clients.map((client) => client.client_id);
}

const webApp = {
  client_name: 'Web app',
  description: 'A pre-registered MCP client',
  logo_uri: 'https://app.example.com/logo.png',
  tags: ['prod', 'team-a'],
  grant_types: ['authorization_code', 'client_credentials'],
  redirect_uris: [WEB_REDIRECT],
  allowed_tenants: ['acme'],
  session_management: { token_format: 'user-jwt', refresh_token_ttl_seconds: 3600 },
};

/** Code flow with offline_access for a confidential client: its access and refresh tokens. */
async function userTokens(server: TestServer, client: ClientBody) {
  const code = await obtainCode(server, {
    client_id: client.client_id,
    redirect_uri: WEB_REDIRECT,
    scope: 'mcp:tools offline_access',
  });
  const response = await redeem(server, code, { client_id: undefined }, basic(client.client_id, client.client_secret!));
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { access_token: string; refresh_token: string };
}

function refresh(server: TestServer, client: ClientBody, refreshToken: string): Promise<Response> {
  return postForm(
    server.handler,
    `${ISSUER}/token`,
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    basic(client.client_id, client.client_secret!),
  );
}

describe('admin clients API', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer({ adminToken: ADMIN_TOKEN });
  });

  it('requires the admin token (401 with a Bearer challenge)', async () => {
    const missing = await admin(server, 'GET', CLIENTS_URL, undefined, {} as typeof ADMIN);
    await expectOAuthError(missing, 401, 'invalid_token');
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const wrong = await admin(server, 'POST', CLIENTS_URL, webApp, { Authorization: 'Bearer nope' });
    await expectOAuthError(wrong, 401, 'invalid_token');
    expect(await listIds(server)).not.toContain(undefined);
  });

  it('creates a manual client whose secret is shown once and works at the token endpoint', async () => {
    const created = await createClient(server, webApp);
    expect(created).toMatchObject({ type: 'manual', client_name: 'Web app', tags: ['prod', 'team-a'] });
    expect(created.client_secret).toMatch(/^[\w-]{40,}$/);
    const read = (await (await admin(server, 'GET', `${CLIENTS_URL}/${created.client_id}`)).json()) as ClientBody;
    expect(read.client_secret).toBeUndefined();
    expect(read.session_management).toEqual({ token_format: 'user-jwt', refresh_token_ttl_seconds: 3600 });
    const machine = await postForm(
      server.handler,
      `${ISSUER}/t/acme/token`,
      { grant_type: 'client_credentials' },
      basic(created.client_id, created.client_secret!),
    );
    expect(machine.status).toBe(200);
    const atRoot = await postForm(
      server.handler,
      `${ISSUER}/token`,
      { grant_type: 'client_credentials' },
      basic(created.client_id, created.client_secret!),
    );
    await expectOAuthError(atRoot, 400, 'unauthorized_client');
  });

  it('updates by merge: null resets, the whole result is validated', async () => {
    const created = await createClient(server, webApp);
    const url = `${CLIENTS_URL}/${created.client_id}`;
    const patched = await admin(server, 'PATCH', url, {
      client_name: 'Renamed',
      description: null,
      skip_consent: true,
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ client_name: 'Renamed', description: null, skip_consent: true });
    const inconsistent = await admin(server, 'PATCH', url, { grant_types: ['client_credentials'] });
    await expectOAuthError(inconsistent, 400, 'invalid_client_metadata');
    const readOnly = await admin(server, 'PATCH', url, { client_id: 'mine' });
    await expectOAuthError(readOnly, 400, 'invalid_client_metadata');
    const toPublic = await admin(server, 'PATCH', url, {
      grant_types: ['authorization_code'],
      allowed_tenants: null,
      token_endpoint_auth_method: 'none',
    });
    expect(((await toPublic.json()) as ClientBody).client_secret).toBeUndefined();
    const back = (await (
      await admin(server, 'PATCH', url, { token_endpoint_auth_method: 'client_secret_post' })
    ).json()) as ClientBody;
    expect(back.client_secret).toBeTruthy();
    await expectOAuthError(await admin(server, 'GET', `${CLIENTS_URL}/unknown`), 404, 'not_found');
  });

  it('filters with each operator, and refuses bad filters with 400', async () => {
    const a = await createClient(server, { ...webApp, client_name: 'Nightly agent', tags: ['batch'] });
    server.clock.advance(60_000);
    const b = await createClient(server, { ...webApp, client_name: 'Claude desktop', tags: ['prod', 'mcp'] });
    const registered = await postJson(server.handler, `${ISSUER}/register`, {
      redirect_uris: [WEB_REDIRECT],
      client_name: 'Dynamic one',
      token_endpoint_auth_method: 'none',
    });
    const dcrId = ((await registered.json()) as { client_id: string }).client_id;
    const cutoff = new Date(server.clock.now() - 30_000).toISOString();

    expect(await listIds(server, 'name:contains:AGENT')).toEqual([a.client_id]);
    expect(await listIds(server, 'name:equals:Claude desktop')).toEqual([b.client_id]);
    expect((await listIds(server, `client_id:in:${a.client_id},${b.client_id}`)).sort()).toEqual(
      [a.client_id, b.client_id].sort(),
    );
    expect(await listIds(server, 'name:matches:^night.*t$')).toEqual([a.client_id]);
    expect(await listIds(server, 'tags:equals:mcp')).toEqual([b.client_id]);
    expect(await listIds(server, 'type:equals:dcr')).toEqual([dcrId]);
    expect(await listIds(server, 'type:in:manual', 'tags:contains:bat')).toEqual([a.client_id]);
    expect(await listIds(server, 'grant_types:equals:client_credentials', `created:before:${cutoff}`)).toEqual([
      a.client_id,
    ]);
    expect((await listIds(server, `created:after:${cutoff}`)).sort()).toEqual([b.client_id, dcrId].sort());
    const epoch = String(Math.floor(server.clock.now() / 1000) - 30);
    expect(await listIds(server, 'tags:in:batch,mcp', `updated:before:${epoch}`)).toEqual([a.client_id]);

    for (const bad of [
      'colour:equals:red',
      'name:like:x',
      'name:before:2026-01-01',
      'created:contains:2026',
      'created:after:yesterday',
      'name:matches:(a+)+$',
      'name:matches:(a|aa)*',
      'name:matches:(x)\\1',
      'name:matches:[unclosed',
      `name:matches:${'a'.repeat(101)}`,
      'name',
      'name:equals:',
    ]) {
      const response = await admin(server, 'GET', `${CLIENTS_URL}?filter=${encodeURIComponent(bad)}`);
      await expectOAuthError(response, 400, 'invalid_request');
    }
  });

  it('adds and removes tags in bulk, all or none', async () => {
    const a = await createClient(server, { ...webApp, tags: ['old'] });
    const b = await createClient(server, { ...webApp, tags: [] });
    const bulk = (body: unknown) => admin(server, 'POST', `${CLIENTS_URL}/bulk`, body);
    const tagged = await bulk({
      client_ids: [a.client_id, b.client_id],
      add_tags: ['eu', 'prod'],
      remove_tags: ['old'],
    });
    expect(tagged.status).toBe(200);
    expect((await listIds(server, 'tags:equals:eu')).sort()).toEqual([a.client_id, b.client_id].sort());
    expect(await listIds(server, 'tags:equals:old')).toEqual([]);
    await expectOAuthError(await bulk({ client_ids: [a.client_id, 'ghost'], add_tags: ['x'] }), 400, 'invalid_request');
    expect(await listIds(server, 'tags:equals:x')).toEqual([]);
    await expectOAuthError(await bulk({ client_ids: [a.client_id] }), 400, 'invalid_request');
    await expectOAuthError(
      await bulk({ client_ids: [a.client_id], add_tags: ['a,b'] }),
      400,
      'invalid_client_metadata',
    );
    await expectOAuthError(
      await bulk({ client_ids: [a.client_id], delete: true, add_tags: ['x'] }),
      400,
      'invalid_request',
    );
    const deleted = await bulk({ client_ids: [a.client_id, b.client_id], delete: true });
    expect(await deleted.json()).toEqual({ deleted: [a.client_id, b.client_id] });
    expect(await listIds(server, 'tags:equals:eu')).toEqual([]);
    expect((await admin(server, 'GET', `${CLIENTS_URL}/${a.client_id}`)).status).toBe(404);
  });

  it('delete is immediate: the client id then fails at /authorize (error page) and /token (invalid_client)', async () => {
    const created = await createClient(server, webApp);
    const code = await obtainCode(server, { client_id: created.client_id, redirect_uri: WEB_REDIRECT });
    const deleted = await admin(server, 'DELETE', `${CLIENTS_URL}/${created.client_id}`);
    expect(deleted.status).toBe(204);
    const authorize = await get(
      server.handler,
      authorizeUrl({ response_type: 'code', client_id: created.client_id, redirect_uri: WEB_REDIRECT }),
    );
    expect(authorize.status).toBe(400);
    expect(redirectedTo(authorize)).toBeUndefined();
    expect(authorize.headers.get('content-type')).toMatch(/^text\/html/);
    const token = await redeem(
      server,
      code,
      { client_id: undefined },
      basic(created.client_id, created.client_secret!),
    );
    await expectOAuthError(token, 401, 'invalid_client');
    await expectOAuthError(await admin(server, 'DELETE', `${CLIENTS_URL}/${created.client_id}`), 404, 'not_found');
  });

  it('revoke consent keeps the client but ends its refresh tokens (invalid_grant) and access tokens (inactive)', async () => {
    const created = await createClient(server, webApp);
    const tokens = await userTokens(server, created);
    expect(await introspect(server, tokens.access_token)).toMatchObject({ active: true });
    const revoked = await admin(server, 'POST', `${CLIENTS_URL}/${created.client_id}/revoke-consent`);
    expect(await revoked.json()).toEqual({ client_id: created.client_id, revoked_grants: 1 });
    await expectOAuthError(await refresh(server, created, tokens.refresh_token), 400, 'invalid_grant');
    expect(await introspect(server, tokens.access_token)).toEqual({ active: false });
    expect((await admin(server, 'GET', `${CLIENTS_URL}/${created.client_id}`)).status).toBe(200);
    const again = await userTokens(server, created);
    expect((await refresh(server, created, again.refresh_token)).status).toBe(200);
  });

  it('delete and revoke consent withdraw the consents users gave the client, and only its', async () => {
    const [deleted, revoked, kept] = [
      await createClient(server, webApp),
      await createClient(server, webApp),
      await createClient(server, webApp),
    ];
    for (const client of [deleted, revoked, kept]) {
      await server.store.consents.save({ userId: 'user-alice', clientId: client.client_id, scopes: [], grantedAt: 0 });
    }
    expect((await admin(server, 'DELETE', `${CLIENTS_URL}/${deleted.client_id}`)).status).toBe(204);
    expect((await admin(server, 'POST', `${CLIENTS_URL}/${revoked.client_id}/revoke-consent`)).status).toBe(200);
    const remembered = async (client: ClientBody) => server.store.consents.get('user-alice', client.client_id);
    expect(await remembered(deleted)).toBeUndefined();
    expect(await remembered(revoked)).toBeUndefined();
    expect(await remembered(kept)).toBeDefined();
  });

  it('answers bad input with 400 JSON, never 500', async () => {
    const cases: [unknown, string][] = [
      ['{not json', 'invalid_request'],
      [[1, 2], 'invalid_request'],
      [{}, 'invalid_client_metadata'],
      [{ ...webApp, client_name: 42 }, 'invalid_client_metadata'],
      [{ ...webApp, grant_types: [] }, 'invalid_client_metadata'],
      [{ ...webApp, grant_types: ['password'] }, 'invalid_client_metadata'],
      [{ ...webApp, redirect_uris: ['http://evil.example/cb'] }, 'invalid_redirect_uri'],
      [{ ...webApp, redirect_uris: ['https://app.example.com/cb#x'] }, 'invalid_redirect_uri'],
      [{ ...webApp, redirect_uris: [] }, 'invalid_redirect_uri'],
      [{ ...webApp, grant_types: ['client_credentials'] }, 'invalid_client_metadata'],
      [{ ...webApp, allowed_tenants: ['bad tenant'] }, 'invalid_client_metadata'],
      [{ ...webApp, trusted_issuers: [{ jwks_uri: 'https://x.example/jwks' }] }, 'invalid_client_metadata'],
      [
        {
          ...webApp,
          grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'],
          redirect_uris: [],
          allowed_tenants: [],
          trusted_issuers: [{ issuer: 'https://idp.example', algorithms: ['HS256'] }],
        },
        'invalid_client_metadata',
      ],
      [{ ...webApp, ciba_link_expiry_seconds: 120 }, 'invalid_client_metadata'],
      [{ ...webApp, session_management: { token_format: 'xml' } }, 'invalid_client_metadata'],
      [{ ...webApp, session_management: { refresh_token_ttl_seconds: -1 } }, 'invalid_client_metadata'],
      [{ ...webApp, token_endpoint_auth_method: 'none' }, 'invalid_client_metadata'],
      [{ ...webApp, token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata'],
      [{ ...webApp, logo_uri: 'javascript:alert(1)' }, 'invalid_client_metadata'],
      [{ ...webApp, tags: 'prod' }, 'invalid_client_metadata'],
      [{ ...webApp, client_secret: 'chosen' }, 'invalid_client_metadata'],
    ];
    for (const [body, error] of cases) {
      const response = await admin(server, 'POST', CLIENTS_URL, body);
      expect(response.status, JSON.stringify(body).slice(0, 300)).toBe(400);
      await expectOAuthError(response, 400, error);
    }
    const wrongType = await server.handler(
      new Request(CLIENTS_URL, { method: 'POST', headers: { ...ADMIN, 'Content-Type': 'text/plain' }, body: '{}' }),
    );
    await expectOAuthError(wrongType, 400, 'invalid_request');
    const huge = await admin(server, 'POST', CLIENTS_URL, { ...webApp, description: 'x'.repeat(70_000) });
    await expectOAuthError(huge, 400, 'invalid_request');
    const badPath = await admin(server, 'GET', `${CLIENTS_URL}/%E0%A4%A`);
    expect(badPath.status).toBe(400);
  });

  it('creates CIBA and JWT bearer clients with their settings', async () => {
    const created = await createClient(server, {
      client_name: 'Workload',
      grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:openid:params:grant-type:ciba'],
      trusted_issuers: [
        {
          issuer: 'https://idp.example',
          jwks_uri: 'https://idp.example/jwks',
          algorithms: ['ES256'],
          userinfo_endpoint: 'https://idp.example/userinfo',
          login_id_field: 'email',
        },
      ],
      ciba_link_expiry_seconds: 300,
    });
    const stored = await server.store.clients.get(created.client_id);
    expect(stored).toMatchObject({
      ciba_link_expiry_seconds: 300,
      backchannel_token_delivery_mode: 'poll',
      trusted_issuers: [{ issuer: 'https://idp.example', login_id_field: 'email', algorithms: ['ES256'] }],
      response_types: [],
    });
  });
});

describe('skip consent (seed 004, Flows)', () => {
  async function consentStep(skipConsent: boolean): Promise<Response> {
    const server = await createTestServer({ adminToken: ADMIN_TOKEN, interaction: 'interactive' });
    const created = await createClient(server, {
      ...webApp,
      grant_types: ['authorization_code'],
      allowed_tenants: [],
      skip_consent: skipConsent,
    });
    const jar = new CookieJar();
    const start = await get(
      server.handler,
      authorizeUrl({
        response_type: 'code',
        client_id: created.client_id,
        redirect_uri: WEB_REDIRECT,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        resource: 'https://mcp.reference.test/mcp',
      }),
    );
    jar.store(start);
    const loginUrl = redirectedTo(start)!.href;
    const loginPage = await get(server.handler, loginUrl, jar.header());
    const html = await loginPage.text();
    const loggedIn = await postForm(
      server.handler,
      `${ISSUER}/login`,
      {
        txn: hiddenInput(html, 'txn'),
        csrf_token: hiddenInput(html, 'csrf_token'),
        username: 'alice',
        password: 'alice-password',
      },
      jar.header(),
    );
    jar.store(loggedIn);
    return get(server.handler, redirectedTo(loggedIn)!.href, jar.header());
  }

  it('a client set to skip consent gets its code straight after sign-in', async () => {
    const consent = await consentStep(true);
    const target = redirectedTo(consent);
    expect(target?.origin + (target?.pathname ?? '')).toBe(WEB_REDIRECT);
    expect(target?.searchParams.get('code')).toBeTruthy();
  });

  it('any other client still sees the consent page', async () => {
    const consent = await consentStep(false);
    expect(consent.status).toBe(200);
    expect(await consent.text()).toContain('Allow access?');
  });
});
