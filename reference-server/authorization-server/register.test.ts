import { beforeAll, describe, expect, it } from 'vitest';
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
