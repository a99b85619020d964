import { beforeAll, describe, expect, it } from 'vitest';
import { levelFor } from '../../harness/check.ts';
import { runConformance } from '../../harness/run.ts';
import { dcrManagementChecks, dcrManagementNegatives } from '../../suites/registration/dcr-management.ts';
import { REGISTRATION_DEFECTS } from '../defects/registration.ts';
import { configureRegistrationPolicy } from './endpoints/register.ts';
import {
  basic,
  createTestServer,
  expectOAuthError,
  get,
  ISSUER,
  introspect,
  obtainCode,
  PUBLIC_REDIRECT,
  postForm,
  postJson,
  redeem,
  redirectedTo,
  type TestServer,
} from './test-support.ts';

interface Registered {
  client_id: string;
  client_secret?: string;
  registration_access_token: string;
  registration_client_uri: string;
  [member: string]: unknown;
}

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});

async function registerClient(metadata: Record<string, unknown> = {}, on: TestServer = server): Promise<Registered> {
  const response = await postJson(on.handler, `${ISSUER}/register`, {
    redirect_uris: [PUBLIC_REDIRECT],
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    ...metadata,
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Registered;
}

function configuration(
  client: Registered,
  method: 'GET' | 'PUT' | 'DELETE',
  token: string | null = client.registration_access_token,
  body?: string,
): Promise<Response> {
  const headers: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/json' };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  return server.handler(new Request(client.registration_client_uri, { method, headers, ...(body ? { body } : {}) }));
}

/** RFC 7592 §2.2: the update body is the client information without the server-managed members. */
function updateOf(client: Registered, changes: Record<string, unknown> = {}): string {
  const {
    registration_access_token: _token,
    registration_client_uri: _uri,
    client_id_issued_at: _issued,
    client_secret_expires_at: _expires,
    ...metadata
  } = client;
  return JSON.stringify({ ...metadata, ...changes });
}

/** A token request with a bogus code: invalid_client means the secret was refused, invalid_grant that it worked. */
async function secretWorks(clientId: string, secret: string): Promise<boolean> {
  const response = await postForm(
    server.handler,
    `${ISSUER}/token`,
    {
      grant_type: 'authorization_code',
      code: 'no-such-code',
      redirect_uri: PUBLIC_REDIRECT,
      code_verifier: 'a'.repeat(43),
    },
    basic(clientId, secret),
  );
  return ((await response.json()) as { error: string }).error !== 'invalid_client';
}

describe('RFC 7592 read', () => {
  it('returns the current client information with the token, never cached', async () => {
    const client = await registerClient({ client_name: 'Reader' });
    const response = await configuration(client, 'GET');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({
      client_id: client.client_id,
      client_name: 'Reader',
      redirect_uris: [PUBLIC_REDIRECT],
      registration_access_token: client.registration_access_token,
      registration_client_uri: client.registration_client_uri,
    });
  });

  it('answers a missing token with 401 and a bare Bearer challenge', async () => {
    const client = await registerClient();
    const response = await configuration(client, 'GET', null);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="${ISSUER}/register"`);
    await expectOAuthError(response, 401, 'invalid_token');
  });

  it.each([
    [
      'a wrong token',
      async (client: Registered) => configuration(client, 'GET', `${client.registration_access_token}x`),
    ],
    [
      'another client’s token',
      async (client: Registered) => configuration(client, 'GET', (await registerClient()).registration_access_token),
    ],
    ['a token with spaces', async (client: Registered) => configuration(client, 'GET', 'a b c')],
    [
      'an unknown client_id',
      async (client: Registered) =>
        server.handler(
          new Request(`${ISSUER}/register/no-such-client`, {
            headers: { Authorization: `Bearer ${client.registration_access_token}` },
          }),
        ),
    ],
    [
      'a pre-registered client (no token issued)',
      async (client: Registered) =>
        server.handler(
          new Request(`${ISSUER}/register/public-client`, {
            headers: { Authorization: `Bearer ${client.registration_access_token}` },
          }),
        ),
    ],
    [
      'a malformed percent-encoding',
      async (client: Registered) =>
        server.handler(
          new Request(`${ISSUER}/register/%E0%A4%A`, {
            headers: { Authorization: `Bearer ${client.registration_access_token}` },
          }),
        ),
    ],
  ])('refuses %s with 401 invalid_token', async (_, call) => {
    const response = await call(await registerClient());
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm=".*"(, error="invalid_token")?$/);
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('serves tenant issuers at their own path', async () => {
    const response = await postJson(server.handler, `${ISSUER}/t/acme/register`, { redirect_uris: [PUBLIC_REDIRECT] });
    const client = (await response.json()) as Registered;
    expect(client.registration_client_uri).toBe(`${ISSUER}/t/acme/register/${client.client_id}`);
    expect((await configuration(client, 'GET')).status).toBe(200);
  });
});

describe('RFC 7592 update', () => {
  it('replaces the metadata, keeps administrator settings, and persists', async () => {
    const client = await registerClient({ client_name: 'Before', contacts: ['a@example.com'] });
    const stored = await server.store.clients.get(client.client_id);
    await server.store.clients.save({ ...stored!, tags: ['team-a'] });
    const response = await configuration(
      client,
      'PUT',
      undefined,
      updateOf(client, { client_name: 'After', contacts: undefined }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ client_id: client.client_id, client_name: 'After' });
    expect(body).not.toHaveProperty('contacts');
    const after = await server.store.clients.get(client.client_id);
    expect(after).toMatchObject({ client_name: 'After', tags: ['team-a'], registeredBy: 'dynamic-registration' });
    expect(after?.contacts).toBeUndefined();
    expect(after?.updated_at).toBe(server.clock.now());
  });

  it('rotates the secret of a confidential client: the old one stops working, the new one works', async () => {
    const client = await registerClient({ token_endpoint_auth_method: 'client_secret_basic', application_type: 'web' });
    expect(await secretWorks(client.client_id, client.client_secret!)).toBe(true);
    const response = await configuration(client, 'PUT', undefined, updateOf(client));
    const updated = (await response.json()) as Registered;
    expect(updated.client_secret).not.toBe(client.client_secret);
    expect(updated.client_secret_expires_at).toBe(0);
    expect(await secretWorks(client.client_id, client.client_secret!)).toBe(false);
    expect(await secretWorks(client.client_id, updated.client_secret!)).toBe(true);
  });

  it('drops the secret when the client becomes public', async () => {
    const client = await registerClient({ token_endpoint_auth_method: 'client_secret_basic' });
    const response = await configuration(
      client,
      'PUT',
      undefined,
      updateOf(client, { token_endpoint_auth_method: 'none', client_secret: undefined }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).not.toHaveProperty('client_secret');
    expect((await server.store.clients.get(client.client_id))?.client_secret).toBeUndefined();
  });

  it.each([
    ['another client_id', { client_id: 'someone-else' }, 'invalid_client_metadata'],
    ['no client_id', { client_id: undefined }, 'invalid_client_metadata'],
    ['a client_secret of its own choosing', { client_secret: 'my-own-secret' }, 'invalid_client_metadata'],
    [
      'an http redirect URI on a public host',
      { redirect_uris: ['http://evil.example.com/cb'] },
      'invalid_redirect_uri',
    ],
    ['no redirect URIs', { redirect_uris: [] }, 'invalid_redirect_uri'],
    ['an unknown grant', { grant_types: ['password'] }, 'invalid_client_metadata'],
    ['a client_name object', { client_name: { a: 1 } }, 'invalid_client_metadata'],
    ['a software statement', { software_statement: 'x' }, 'invalid_software_statement'],
  ])('refuses an update with %s, leaving the client as it was', async (_, changes, error) => {
    const client = await registerClient({ client_name: 'Unchanged' });
    const before = await server.store.clients.get(client.client_id);
    await expectOAuthError(await configuration(client, 'PUT', undefined, updateOf(client, changes)), 400, error);
    expect(await server.store.clients.get(client.client_id)).toEqual(before);
  });

  it.each([
    ['malformed JSON', '{"client_id":'],
    ['a JSON array', '[1,2]'],
    ['a 20 KiB body', JSON.stringify({ pad: 'x'.repeat(20_000) })],
    ['a huge list', JSON.stringify({ redirect_uris: Array.from({ length: 5000 }, () => PUBLIC_REDIRECT) })],
  ])('answers %s with 400 JSON, never 500', async (_, body) => {
    const client = await registerClient();
    const response = await configuration(client, 'PUT', undefined, body);
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a form-encoded update with 415', async () => {
    const client = await registerClient();
    const response = await server.handler(
      new Request(client.registration_client_uri, {
        method: 'PUT',
        headers: {
          Authorization: `Bearer ${client.registration_access_token}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: 'client_name=x',
      }),
    );
    expect(response.status).toBe(415);
  });
});

describe('RFC 7592 delete', () => {
  it('answers 204; the client_id, its token, codes and tokens stop working', async () => {
    const client = await registerClient();
    const code = await obtainCode(server, { client_id: client.client_id, scope: 'mcp:tools offline_access' });
    const tokenResponse = await redeem(server, code, { client_id: client.client_id });
    const tokens = (await tokenResponse.json()) as { access_token: string; refresh_token: string };
    const pending = await obtainCode(server, { client_id: client.client_id });

    const response = await configuration(client, 'DELETE');
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');

    expect((await configuration(client, 'GET')).status).toBe(401);
    expect((await configuration(client, 'DELETE')).status).toBe(401);
    const authorize = await get(
      server.handler,
      `${ISSUER}/authorize?response_type=code&client_id=${client.client_id}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
    );
    expect(redirectedTo(authorize)).toBeUndefined();
    await expectOAuthError(await redeem(server, pending, { client_id: client.client_id }), 401, 'invalid_client');
    const refresh = await postForm(server.handler, `${ISSUER}/token`, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: client.client_id,
    });
    expect(refresh.status).toBeGreaterThanOrEqual(400);
    expect(await introspect(server, tokens.access_token)).toMatchObject({ active: false });
  });

  it('leaves other clients alone', async () => {
    const kept = await registerClient();
    const removed = await registerClient();
    expect((await configuration(removed, 'DELETE')).status).toBe(204);
    expect((await configuration(kept, 'GET')).status).toBe(200);
  });

  it("withdraws the consents users gave the client, and only that client's", async () => {
    const kept = await registerClient();
    const removed = await registerClient();
    for (const client of [kept, removed]) {
      await server.store.consents.save({ userId: 'user-alice', clientId: client.client_id, scopes: [], grantedAt: 0 });
    }
    expect((await configuration(removed, 'DELETE')).status).toBe(204);
    expect(await server.store.consents.get('user-alice', removed.client_id)).toBeUndefined();
    expect(await server.store.consents.get('user-alice', kept.client_id)).toBeDefined();
  });
});

describe('RFC 7592 switched off', () => {
  it('answers 404 at the configuration endpoint', async () => {
    const client = await registerClient();
    configureRegistrationPolicy(server.store, { management: false });
    try {
      expect((await configuration(client, 'GET')).status).toBe(404);
    } finally {
      configureRegistrationPolicy(server.store, {});
    }
  });
});

describe('registration defects', () => {
  const probeFor = (defect: string) =>
    Object.entries(dcrManagementNegatives).find(([, negative]) => negative.defect === defect)?.[0];

  it('each has a check that shows it', () => {
    const unprobed = Object.keys(REGISTRATION_DEFECTS).filter((defect) => !probeFor(defect));
    expect(unprobed).toEqual([]);
  });

  it.each(Object.keys(REGISTRATION_DEFECTS))('%s shows only with the defect', async (defect) => {
    const id = probeFor(defect)!;
    const probe = dcrManagementChecks.find((candidate) => candidate.id === id)!;
    const spec = probe.specs.includes('2026-07-28') ? '2026-07-28' : probe.specs[0]!;
    const verdict = async (defects: string[]) =>
      (
        await runConformance({
          suites: ['registration'],
          checks: [id],
          spec,
          embedded: { defects: defects as never[] },
        })
      ).checks.find((entry) => entry.id === id);
    expect((await verdict([]))?.status).toBe('PASS');
    const broken = await verdict([defect]);
    expect(broken?.status).toBe(levelFor(probe, spec) === 'MUST' ? 'FAIL' : 'WARN');
    expect(broken?.message).not.toMatch(/blocked by/);
  });
});
