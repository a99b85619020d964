import { type CryptoKey, decodeJwt, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_ASSERTION_TYPE } from './clients.ts';
import {
  basic,
  CLIENTS,
  createTestServer,
  expectOAuthError,
  get,
  ISSUER,
  introspect,
  postForm,
  postJson,
  RESOURCE,
  type TestServer,
} from './test-support.ts';

const TOKEN_ENDPOINT = `${ISSUER}/token`;
const M2M = { client_id: 'm2m-basic', client_secret: 'm2m-basic-secret' };
const M2M_POST = { client_id: 'm2m-post', client_secret: 'm2m-post-secret' };
const M2M_JWT = 'm2m-jwt';
const PUBLIC_M2M = 'm2m-public';
const WEB_ONLY = { client_id: 'web-only', client_secret: 'web-only-secret' };

interface Signer {
  privateKey: CryptoKey;
  kid: string;
}

async function es256Signer(kid = 'm2m-key'): Promise<Signer & { publicJwk: Record<string, unknown> }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, kid, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } };
}

let server: TestServer;
let signer: Signer;

beforeEach(async () => {
  const key = await es256Signer();
  signer = key;
  server = await createTestServer({
    clients: [
      {
        ...M2M,
        redirect_uris: [],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        ...M2M_POST,
        redirect_uris: [],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        client_id: M2M_JWT,
        redirect_uris: [],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [key.publicJwk] },
      },
      {
        client_id: PUBLIC_M2M,
        redirect_uris: [],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'none',
      },
      { ...WEB_ONLY, redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'client_secret_basic' },
      {
        ...CLIENTS.resourceServer,
        redirect_uris: [],
        grant_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
  });
});

const now = () => Math.floor(server.clock.now() / 1000);

function assertionClaims(overrides: JWTPayload = {}): JWTPayload {
  return { iss: M2M_JWT, sub: M2M_JWT, aud: TOKEN_ENDPOINT, exp: now() + 60, jti: crypto.randomUUID(), ...overrides };
}

function signAssertion(claims: JWTPayload = assertionClaims(), key: Signer = signer): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(key.privateKey);
}

function unsignedAssertion(claims: JWTPayload = assertionClaims()): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.`;
}

function clientCredentials(fields: Record<string, string> = {}, headers = basic(M2M.client_id, M2M.client_secret)) {
  return postForm(server.handler, TOKEN_ENDPOINT, { grant_type: 'client_credentials', ...fields }, headers);
}

function withAssertion(assertion: string, fields: Record<string, string> = {}) {
  return clientCredentials(
    { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion, ...fields },
    {},
  );
}

async function tokenBody(response: Response): Promise<Record<string, unknown>> {
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('client credentials grant (OAuth 2.1 §4.2)', () => {
  it('issues a token for the client itself, audience-bound to the resource, without a refresh token', async () => {
    const response = await clientCredentials({ resource: RESOURCE, scope: 'mcp:admin' });
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await tokenBody(response);
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'mcp:admin' });
    expect(body).not.toHaveProperty('refresh_token');
    const claims = decodeJwt(String(body.access_token));
    expect(claims).toMatchObject({ iss: ISSUER, sub: M2M.client_id, client_id: M2M.client_id, aud: RESOURCE });
    expect(await introspect(server, String(body.access_token))).toMatchObject({ active: true, sub: M2M.client_id });
  });

  it('defaults to the single registered resource and its first scope', async () => {
    const body = await tokenBody(await clientCredentials());
    expect(body.scope).toBe('mcp:tools');
    expect(decodeJwt(String(body.access_token)).aud).toBe(RESOURCE);
  });

  it('accepts client_secret_post', async () => {
    await tokenBody(await clientCredentials({ ...M2M_POST }, {}));
  });

  it('refuses a wrong secret with 401 invalid_client', async () => {
    await expectOAuthError(await clientCredentials({}, basic(M2M.client_id, 'wrong')), 401, 'invalid_client');
  });

  it('refuses public clients and clients not registered for the grant with unauthorized_client', async () => {
    await expectOAuthError(await clientCredentials({ client_id: PUBLIC_M2M }, {}), 400, 'unauthorized_client');
    const webOnly = basic(WEB_ONLY.client_id, WEB_ONLY.client_secret);
    await expectOAuthError(await clientCredentials({}, webOnly), 400, 'unauthorized_client');
  });

  it('refuses scopes the resource does not have and resources it does not know', async () => {
    await expectOAuthError(await clientCredentials({ scope: 'mcp:tools mcp:root' }), 400, 'invalid_scope');
    const unknown = await clientCredentials({ resource: 'https://elsewhere.example/mcp' });
    await expectOAuthError(unknown, 400, 'invalid_target');
  });
});

describe('private_key_jwt client authentication (RFC 7523 §2.2, §3)', () => {
  it('accepts an assertion for the token endpoint or the issuer, signed by a registered key', async () => {
    const body = await tokenBody(await withAssertion(await signAssertion()));
    expect(decodeJwt(String(body.access_token)).sub).toBe(M2M_JWT);
    await tokenBody(await withAssertion(await signAssertion(assertionClaims({ aud: [ISSUER, 'https://x.example'] }))));
    await tokenBody(await withAssertion(await signAssertion(), { client_id: M2M_JWT }));
  });

  it('refuses a replayed assertion until it expires', async () => {
    const assertion = await signAssertion();
    await tokenBody(await withAssertion(assertion));
    await expectOAuthError(await withAssertion(assertion), 401, 'invalid_client');
  });

  const refusals: [string, () => Promise<string>][] = [
    ['another audience', () => signAssertion(assertionClaims({ aud: 'https://other.example/token' }))],
    ['an expired assertion', () => signAssertion(assertionClaims({ exp: now() - 1 }))],
    ['no exp', () => signAssertion(assertionClaims({ exp: undefined }))],
    ['no jti', () => signAssertion(assertionClaims({ jti: undefined }))],
    ['iss different from sub', () => signAssertion(assertionClaims({ iss: 'someone-else' }))],
    ['nbf in the future', () => signAssertion(assertionClaims({ nbf: now() + 120 }))],
    ['a key the client never registered', async () => signAssertion(assertionClaims(), await es256Signer())],
    ['alg none', async () => unsignedAssertion()],
    ['an unknown client', () => signAssertion(assertionClaims({ iss: 'nobody', sub: 'nobody' }))],
    ['garbage', async () => 'not.a.jwt'],
  ];

  it.each(refusals)('refuses %s with 401 invalid_client', async (_name, assertion) => {
    await expectOAuthError(await withAssertion(await assertion()), 401, 'invalid_client');
  });

  it('refuses a wrong assertion type and a second authentication method', async () => {
    const assertion = await signAssertion();
    const wrongType = await clientCredentials({ client_assertion_type: 'urn:x', client_assertion: assertion }, {});
    await expectOAuthError(wrongType, 401, 'invalid_client');
    const both = await clientCredentials(
      { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion },
      basic(M2M.client_id, M2M.client_secret),
    );
    await expectOAuthError(both, 400, 'invalid_request');
    const mismatch = await withAssertion(await signAssertion(), { client_id: M2M.client_id });
    await expectOAuthError(mismatch, 401, 'invalid_client');
  });

  it('is not accepted at the revocation endpoint, which does not list it', async () => {
    const response = await postForm(server.handler, `${ISSUER}/revoke`, {
      token: 'x',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: await signAssertion(),
    });
    await expectOAuthError(response, 401, 'invalid_client');
  });
});

describe('registration and metadata for machine clients', () => {
  it('registers a private_key_jwt client with inline jwks, which then authenticates', async () => {
    const key = await es256Signer('dcr-key');
    const response = await postJson(server.handler, `${ISSUER}/register`, {
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['client_credentials'],
      response_types: [],
      jwks: { keys: [key.publicJwk] },
    });
    expect(response.status).toBe(201);
    const registered = (await response.json()) as { client_id: string; client_secret?: string };
    expect(registered.client_secret).toBeUndefined();
    const claims = assertionClaims({ iss: registered.client_id, sub: registered.client_id });
    await tokenBody(await withAssertion(await signAssertion(claims, key)));
  });

  it('authenticates a private_key_jwt client registered with a jwks_uri, with the keys fetched from it', async () => {
    const key = await es256Signer('dcr-remote-key');
    const jwksUri = 'https://keys.client.test/jwks';
    const keyServer = await createTestServer({
      fetch: async (input) =>
        String(input) === jwksUri ? Response.json({ keys: [key.publicJwk] }) : new Response(null, { status: 404 }),
    });
    const response = await postJson(keyServer.handler, `${ISSUER}/register`, {
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['client_credentials'],
      response_types: [],
      jwks_uri: jwksUri,
    });
    expect(response.status).toBe(201);
    const { client_id } = (await response.json()) as { client_id: string };
    const assertion = await signAssertion(assertionClaims({ iss: client_id, sub: client_id }), key);
    const token = await postForm(keyServer.handler, `${ISSUER}/token`, {
      grant_type: 'client_credentials',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    });
    expect(token.status).toBe(200);
  });

  it.each([
    ['no jwks', {}],
    ['a private key in jwks', { jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] } }],
  ])('refuses private_key_jwt with %s', async (_name, extra) => {
    const response = await postJson(server.handler, `${ISSUER}/register`, {
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['client_credentials'],
      response_types: [],
      ...extra,
    });
    await expectOAuthError(response, 400, 'invalid_client_metadata');
  });

  it('advertises the grant, private_key_jwt and asymmetric signing algorithms only', async () => {
    const metadata = (await (await get(server.handler, `${ISSUER}/.well-known/oauth-authorization-server`)).json()) as {
      grant_types_supported: string[];
      token_endpoint_auth_methods_supported: string[];
      token_endpoint_auth_signing_alg_values_supported: string[];
    };
    expect(metadata.grant_types_supported).toContain('client_credentials');
    expect(metadata.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(metadata.token_endpoint_auth_signing_alg_values_supported).toEqual(['ES256', 'RS256', 'PS256']);
  });
});
