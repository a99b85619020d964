import { beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, get, ISSUER, postForm, type TestServer } from './test-support.ts';

const TENANT = `${ISSUER}/t/acme`;

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});

async function fetchJson(url: string): Promise<{ status: number; type: string | null; body: Record<string, unknown> }> {
  const response = await get(server.handler, url);
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
}

function expectNoEmptyArrays(document: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(document)) {
    if (Array.isArray(value)) expect(value.length, name).toBeGreaterThan(0);
  }
}

describe('RFC 8414 authorization server metadata', () => {
  it('serves the root issuer document with every field MCP clients rely on', async () => {
    const { status, type, body } = await fetchJson(`${ISSUER}/.well-known/oauth-authorization-server`);
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/json/);
    expect(body).toMatchObject({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      registration_endpoint: `${ISSUER}/register`,
      jwks_uri: `${ISSUER}/jwks`,
      introspection_endpoint: `${ISSUER}/introspect`,
      revocation_endpoint: `${ISSUER}/revoke`,
      scopes_supported: ['mcp:tools', 'mcp:admin', 'offline_access'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: [
        'authorization_code',
        'refresh_token',
        'client_credentials',
        'urn:ietf:params:oauth:grant-type:token-exchange',
        'urn:ietf:params:oauth:grant-type:jwt-bearer',
        'urn:openid:params:grant-type:ciba',
      ],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['ES256', 'RS256', 'PS256'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    });
    expectNoEmptyArrays(body);
  });

  it('serves tenant metadata by path insertion, with the tenant issuer and tenant endpoints', async () => {
    const { status, body } = await fetchJson(`${ISSUER}/.well-known/oauth-authorization-server/t/acme`);
    expect(status).toBe(200);
    expect(body.issuer).toBe(TENANT);
    expect(body.token_endpoint).toBe(`${TENANT}/token`);
    expect(body.revocation_endpoint).toBe(`${TENANT}/revoke`);
    expect(body.authorization_endpoint).toBe(`${TENANT}/authorize`);
  });

  it('does not serve tenant RFC 8414 metadata at the appended URL', async () => {
    const response = await get(server.handler, `${TENANT}/.well-known/oauth-authorization-server`);
    expect(response.status).toBe(404);
  });

  it('answers unknown tenants with 404 JSON', async () => {
    const { status, body } = await fetchJson(`${ISSUER}/.well-known/oauth-authorization-server/t/nobody`);
    expect(status).toBe(404);
    expect(body.error).toBe('not_found');
  });
});

describe('OpenID Connect discovery', () => {
  it('serves the root configuration with OpenID members and PKCE methods', async () => {
    const { status, body } = await fetchJson(`${ISSUER}/.well-known/openid-configuration`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      issuer: ISSUER,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
    });
    expectNoEmptyArrays(body);
  });

  it.each([
    ['appended (OIDC Discovery §4)', `${TENANT}/.well-known/openid-configuration`],
    ['inserted (RFC 8414 §5)', `${ISSUER}/.well-known/openid-configuration/t/acme`],
  ])('serves tenant configuration %s', async (_, url) => {
    const { status, body } = await fetchJson(url);
    expect(status).toBe(200);
    expect(body.issuer).toBe(TENANT);
    expect(body.jwks_uri).toBe(`${TENANT}/jwks`);
  });

  it('lists every issuer it serves', () => {
    expect(server.issuers).toEqual([ISSUER, TENANT]);
  });
});

describe('JWKS', () => {
  it('publishes public ES256 keys with kid, alg and use, and no private members', async () => {
    const { status, body } = await fetchJson(`${ISSUER}/jwks`);
    expect(status).toBe(200);
    const keys = body.keys as Record<string, unknown>[];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: server.signingKeys.kid });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('keeps the old public key after rotation', async () => {
    const rotating = await createTestServer();
    const oldKid = rotating.signingKeys.kid;
    const newKid = await rotating.signingKeys.rotate();
    const body = (await (await get(rotating.handler, `${ISSUER}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(body.keys.map((key) => key.kid)).toEqual([newKid, oldKid]);
    rotating.signingKeys.retire(oldKid);
    const after = (await (await get(rotating.handler, `${ISSUER}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(after.keys.map((key) => key.kid)).toEqual([newKid]);
  });
});

describe('routing', () => {
  it('answers unknown routes with 404 JSON, not cached', async () => {
    const response = await get(server.handler, `${ISSUER}/nothing-here`);
    expect(response.status).toBe(404);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ error: 'not_found' });
  });

  it('answers a wrong method with 405 JSON and Allow', async () => {
    const response = await get(server.handler, `${ISSUER}/token`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('refuses an issuer with a trailing slash at construction', async () => {
    await expect(createTestServer({ issuer: `${ISSUER}/` })).rejects.toThrow(/trailing slash/);
  });
});

describe('cross-origin access to the machine-facing endpoints (browser-based MCP clients)', () => {
  it('answers a preflight with the methods and headers it accepts', async () => {
    const response = await server.handler(
      new Request(`${ISSUER}/token`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example.com',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      }),
    );
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toMatch(/Authorization/i);
  });

  it('lets any origin read answers, errors and refused methods included; never the pages', async () => {
    const origin = { origin: 'https://app.example.com' };
    const metadata = await get(server.handler, `${ISSUER}/.well-known/oauth-authorization-server`, origin);
    const error = await postForm(server.handler, `${ISSUER}/token`, { grant_type: 'password' }, origin);
    const refused = await get(server.handler, `${ISSUER}/token`, origin);
    for (const response of [metadata, error, refused]) {
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
    }
    expect([error.status, refused.status]).toEqual([401, 405]);
    const page = await get(server.handler, `${ISSUER}/authorize?client_id=x`, origin);
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
  });
});
