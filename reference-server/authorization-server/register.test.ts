import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { configureRegistrationPolicy } from './endpoints/register.ts';
import { createTestServer, get, ISSUER, postJson, redirectedTo, type TestServer } from './test-support.ts';

const REGISTER = `${ISSUER}/register`;

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});

function register(body: unknown): Promise<Response> {
  return postJson(server.handler, REGISTER, body);
}

async function expectRegistrationError(body: unknown, error: string): Promise<void> {
  const response = await register(body);
  expect(response.status).toBe(400);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const json = (await response.json()) as Record<string, unknown>;
  expect(json.error).toBe(error);
  expect(typeof json.error_description).toBe('string');
}

describe('dynamic client registration (RFC 7591)', () => {
  it('registers a public native client: 201, every field echoed, no secret', async () => {
    const response = await register({
      client_name: 'Test MCP Client',
      redirect_uris: ['http://127.0.0.1:33418/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      application_type: 'native',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      client_name: 'Test MCP Client',
      redirect_uris: ['http://127.0.0.1:33418/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      application_type: 'native',
    });
    expect(typeof body.client_id).toBe('string');
    expect(typeof body.client_id_issued_at).toBe('number');
    expect(body).not.toHaveProperty('client_secret');
  });

  it('defaults to client_secret_basic and issues a secret that never expires', async () => {
    const body = (await (await register({ redirect_uris: ['https://app.example.com/cb'] })).json()) as Record<
      string,
      unknown
    >;
    expect(body.token_endpoint_auth_method).toBe('client_secret_basic');
    expect(body.grant_types).toEqual(['authorization_code']);
    expect(body.response_types).toEqual(['code']);
    expect(typeof body.client_secret).toBe('string');
    expect(body.client_secret_expires_at).toBe(0);
  });

  it('gives every registration its own client_id', async () => {
    const ids = new Set<unknown>();
    for (let index = 0; index < 3; index++) {
      const body = (await (await register({ redirect_uris: ['https://app.example.com/cb'] })).json()) as {
        client_id: unknown;
      };
      ids.add(body.client_id);
    }
    expect(ids.size).toBe(3);
  });

  it('ignores unknown metadata', async () => {
    const response = await register({ redirect_uris: ['https://app.example.com/cb'], x_vendor_flag: true });
    expect(response.status).toBe(201);
    expect(await response.json()).not.toHaveProperty('x_vendor_flag');
  });

  it('lets the registered client start an authorization', async () => {
    const client = (await (
      await register({ redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'none' })
    ).json()) as { client_id: string };
    const url = new URL(`${ISSUER}/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    const location = redirectedTo(await get(server.handler, url.href));
    expect(location?.origin).toBe('https://app.example.com');
    expect(location?.searchParams.get('code')).toBeTruthy();
  });

  it.each([
    ['missing redirect_uris', {}],
    ['empty redirect_uris', { redirect_uris: [] }],
    ['http on a public host', { redirect_uris: ['http://app.example.com/cb'] }],
    ['a fragment', { redirect_uris: ['https://app.example.com/cb#frag'] }],
    ['a relative URI', { redirect_uris: ['/callback'] }],
    ['a private-use scheme for a web client', { redirect_uris: ['com.example.app:/cb'] }],
    ['a scheme that is no reverse domain', { redirect_uris: ['myapp:/cb'], application_type: 'native' }],
    ['a non-string entry', { redirect_uris: [42] }],
  ])('refuses %s with invalid_redirect_uri', async (_, body) => {
    await expectRegistrationError(body, 'invalid_redirect_uri');
  });

  it.each([
    ['http://127.0.0.1:8080/cb', 'web'],
    ['http://[::1]/cb', 'native'],
    ['http://localhost:3000/cb', 'web'],
    ['com.example.app:/oauth/cb', 'native'],
  ])('accepts %s (%s)', async (uri, applicationType) => {
    const response = await register({ redirect_uris: [uri], application_type: applicationType });
    expect(response.status).toBe(201);
  });

  it.each([
    ['an unknown grant type', { grant_types: ['password'] }],
    ['authorization_code without the code response type', { grant_types: ['authorization_code'], response_types: [] }],
    ['an unsupported response type', { response_types: ['token'] }],
    ['an unknown auth method', { token_endpoint_auth_method: 'private_key_jwt' }],
    ['an unknown application_type', { application_type: 'desktop' }],
    ['a non-string client_name', { client_name: 7 }],
  ])('refuses %s with invalid_client_metadata', async (_, metadata) => {
    await expectRegistrationError(
      { redirect_uris: ['https://app.example.com/cb'], ...metadata },
      'invalid_client_metadata',
    );
  });

  it('refuses a form-encoded body with 415 JSON', async () => {
    const response = await server.handler(
      new Request(REGISTER, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'redirect_uris=https%3A%2F%2Fapp.example.com%2Fcb',
      }),
    );
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it.each([
    ['malformed JSON', '{"redirect_uris": ['],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['a body over 64 KiB', JSON.stringify({ redirect_uris: ['https://app.example.com/cb'], pad: 'x'.repeat(70_000) })],
  ])('answers %s with 400 JSON, never 500', async (_, body) => {
    const response = await server.handler(
      new Request(REGISTER, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toHaveProperty('error');
  });
});

describe('registration policy and metadata rules (RFC 7591 §2)', () => {
  const WEB = { redirect_uris: ['https://app.example.com/cb'] };

  async function publicKey(): Promise<JWK> {
    const { publicKey: key } = await generateKeyPair('ES256', { extractable: true });
    return exportJWK(key);
  }

  it('returns RFC 7592 credentials and keeps only the digest of the registration access token', async () => {
    const body = (await (await register(WEB)).json()) as Record<string, string>;
    expect(body.registration_client_uri).toBe(`${ISSUER}/register/${body.client_id}`);
    expect(body.registration_access_token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const stored = await server.store.clients.get(body.client_id!);
    expect(stored?.registration_access_token_digest).toBeTruthy();
    expect(JSON.stringify(stored)).not.toContain(body.registration_access_token);
    expect(body).not.toHaveProperty('registration_access_token_digest');
  });

  it('registers private_key_jwt with jwks, or with an https jwks_uri', async () => {
    const byValue = await register({
      ...WEB,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [await publicKey()] },
    });
    expect(byValue.status).toBe(201);
    const byReference = await register({
      ...WEB,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: 'https://app.example.com/jwks.json',
    });
    expect(byReference.status).toBe(201);
    expect(await byReference.json()).toMatchObject({ jwks_uri: 'https://app.example.com/jwks.json' });
  });

  it.each([
    [
      'jwks and jwks_uri together',
      async () => ({ jwks: { keys: [await publicKey()] }, jwks_uri: 'https://app.example.com/jwks' }),
    ],
    ['private_key_jwt without keys', async () => ({ token_endpoint_auth_method: 'private_key_jwt' })],
    ['an http jwks_uri', async () => ({ jwks_uri: 'http://app.example.com/jwks' })],
    ['a relative jwks_uri', async () => ({ jwks_uri: '/jwks' })],
    ['a private key in jwks', async () => ({ jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] } })],
    ['an empty key set', async () => ({ jwks: { keys: [] } })],
    ['a scope outside scopes_supported', async () => ({ scope: 'mcp:tools root' })],
    ['a javascript: logo_uri', async () => ({ logo_uri: 'javascript:alert(1)' })],
    [
      'client_credentials for a public client',
      async () => ({ token_endpoint_auth_method: 'none', grant_types: ['client_credentials'], response_types: [] }),
    ],
    [
      'the JWT bearer grant (needs configured trusted issuers)',
      async () => ({ grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'], response_types: [] }),
    ],
    [
      'CIBA without backchannel_token_delivery_mode',
      async () => ({ grant_types: ['urn:openid:params:grant-type:ciba'], response_types: [] }),
    ],
    [
      'CIBA in push mode',
      async () => ({
        grant_types: ['urn:openid:params:grant-type:ciba'],
        response_types: [],
        backchannel_token_delivery_mode: 'push',
      }),
    ],
    ['21 contacts', async () => ({ contacts: Array.from({ length: 21 }, (_, index) => `c${index}@example.com`) })],
    ['a 3000-character client_name', async () => ({ client_name: 'n'.repeat(3000) })],
    ['contacts holding a number', async () => ({ contacts: [1] })],
    ['grant_types as a string', async () => ({ grant_types: 'authorization_code' })],
    ['client_name as an object', async () => ({ client_name: { en: 'x' } })],
    ['scope as an array', async () => ({ scope: ['mcp:tools'] })],
    ['application_type as a number', async () => ({ application_type: 1 })],
  ])('refuses %s with invalid_client_metadata', async (_, metadata) => {
    await expectRegistrationError({ ...WEB, ...(await metadata()) }, 'invalid_client_metadata');
  });

  it.each([
    [
      '200 redirect URIs',
      { redirect_uris: Array.from({ length: 200 }, (_, index) => `https://app.example.com/cb${index}`) },
    ],
    ['a 3000-character redirect URI', { redirect_uris: [`https://app.example.com/${'p'.repeat(3000)}`] }],
    ['redirect_uris as a string', { redirect_uris: 'https://app.example.com/cb' }],
    ['a private-use scheme for a web client', { redirect_uris: ['com.example.app:/cb'], application_type: 'web' }],
  ])('refuses %s with invalid_redirect_uri', async (_, body) => {
    await expectRegistrationError(body, 'invalid_redirect_uri');
  });

  it('registers confidential clients for client_credentials, token exchange and CIBA (poll)', async () => {
    for (const grant of ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange']) {
      const response = await register({
        grant_types: [grant],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      });
      expect(response.status).toBe(201);
    }
    const ciba = await register({
      grant_types: ['urn:openid:params:grant-type:ciba'],
      response_types: [],
      backchannel_token_delivery_mode: 'poll',
    });
    expect(ciba.status).toBe(201);
    expect(await ciba.json()).toMatchObject({ backchannel_token_delivery_mode: 'poll' });
  });

  it('registers an allowed scope, deduplicated, and keeps unicode names intact', async () => {
    const response = await register({
      ...WEB,
      scope: 'mcp:tools  mcp:tools offline_access',
      client_name: 'Klïent 🚀 名前',
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ scope: 'mcp:tools offline_access', client_name: 'Klïent 🚀 名前' });
  });

  it('refuses a software statement: malformed → invalid_software_statement, well-formed → unapproved', async () => {
    await expectRegistrationError({ ...WEB, software_statement: 'not-a-jwt' }, 'invalid_software_statement');
    await expectRegistrationError({ ...WEB, software_statement: 42 }, 'invalid_software_statement');
    const unsigned = `${btoa('{"alg":"none"}')}.${btoa('{"software_id":"x"}')}.`.replaceAll('=', '');
    await expectRegistrationError({ ...WEB, software_statement: unsigned }, 'unapproved_software_statement');
  });

  it.each([
    ['a 20 KiB document', JSON.stringify({ ...WEB, pad: 'x'.repeat(20_000) })],
    [
      'lone surrogates and control characters',
      '{"redirect_uris":["https://app.example.com/cb"],"client_name":"\\ud800\\u0000"}',
    ],
    [
      'a deeply nested value',
      `{"redirect_uris":["https://app.example.com/cb"],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    ],
    ['an invalid UTF-8 body', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
  ])('answers %s without a 500', async (_, body) => {
    const response = await server.handler(
      new Request(REGISTER, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }),
    );
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a 20 KiB document as invalid_client_metadata', async () => {
    const response = await server.handler(
      new Request(REGISTER, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...WEB, pad: 'x'.repeat(20_000) }),
      }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_client_metadata' });
  });
});

describe('registration policy switches', () => {
  it('closes registration: 404 at the endpoint', async () => {
    const closed = await createTestServer();
    configureRegistrationPolicy(closed.store, { enabled: false });
    const response = await postJson(closed.handler, REGISTER, { redirect_uris: ['https://app.example.com/cb'] });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'not_found' });
  });

  it('narrows the registrable scopes to the allowed ones', async () => {
    const narrow = await createTestServer();
    configureRegistrationPolicy(narrow.store, { allowedScopes: ['mcp:tools'] });
    const allowed = await postJson(narrow.handler, REGISTER, {
      redirect_uris: ['https://app.example.com/cb'],
      scope: 'mcp:tools',
    });
    expect(allowed.status).toBe(201);
    const refused = await postJson(narrow.handler, REGISTER, {
      redirect_uris: ['https://app.example.com/cb'],
      scope: 'mcp:admin',
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client_metadata' });
  });

  it('registers without RFC 7592 credentials when management is off', async () => {
    const unmanaged = await createTestServer();
    configureRegistrationPolicy(unmanaged.store, { management: false });
    const body = (await (
      await postJson(unmanaged.handler, REGISTER, { redirect_uris: ['https://app.example.com/cb'] })
    ).json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty('registration_access_token');
    expect(body).not.toHaveProperty('registration_client_uri');
  });
});
