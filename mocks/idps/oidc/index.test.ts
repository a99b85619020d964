import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../harness/clock.ts';
import { createUpstreamOidc, STALE_NONCE, type UpstreamFault, type UpstreamOidc } from './index.ts';

const ISSUER = 'https://idp.upstream.test';
const REDIRECT = 'https://as.reference.test/federation/callback';
const CLIENT = { client_id: 'broker', client_secret: 'broker-secret', redirect_uris: [REDIRECT] };
const ES_CLIENT = {
  client_id: 'broker-es',
  client_secret: 'es-secret',
  redirect_uris: [REDIRECT],
  id_token_signed_response_alg: 'ES256' as const,
};
const VERIFIER = 'v'.repeat(43);

let clock: ManualClock;
let upstream: UpstreamOidc;
let slept: number[];

beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  slept = [];
  upstream = await createUpstreamOidc({
    issuer: ISSUER,
    clock,
    clients: [CLIENT, ES_CLIENT],
    claims: { tenant: 'acme' },
    slowMs: 5000,
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
});

async function challengeFor(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return Buffer.from(digest).toString('base64url');
}

async function authorize(overrides: Record<string, string | undefined> = {}): Promise<Response> {
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: CLIENT.client_id,
    redirect_uri: REDIRECT,
    scope: 'openid email profile',
    state: 'state-1',
    nonce: 'nonce-1',
    code_challenge: await challengeFor(VERIFIER),
    code_challenge_method: 'S256',
    ...overrides,
  };
  const url = new URL(upstream.endpoints.authorization);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return upstream.handler(new Request(url));
}

function redirectParams(response: Response): URLSearchParams {
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get('location')!);
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
  return location.searchParams;
}

async function codeFrom(overrides: Record<string, string | undefined> = {}): Promise<string> {
  const code = redirectParams(await authorize(overrides)).get('code');
  expect(code).toBeTruthy();
  return code!;
}

const basic = (client: { client_id: string; client_secret: string }) =>
  `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`;

async function redeem(
  code: string,
  fields: Record<string, string | undefined> = {},
  authorization: string | null = basic(CLIENT),
): Promise<Response> {
  const all: Record<string, string | undefined> = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    code_verifier: VERIFIER,
    ...fields,
  };
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(all)) if (value !== undefined) body.set(name, value);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (authorization) headers.authorization = authorization;
  return upstream.handler(new Request(upstream.endpoints.token, { method: 'POST', headers, body }));
}

interface TokenBody {
  access_token: string;
  id_token: string;
  token_type: string;
  expires_in: number;
}

async function tokens(overrides: Record<string, string | undefined> = {}): Promise<TokenBody> {
  const response = await redeem(await codeFrom(overrides));
  expect(response.status).toBe(200);
  return (await response.json()) as TokenBody;
}

async function verifyIdToken(idToken: string, audience = CLIENT.client_id): Promise<JWTPayload> {
  const jwks = createLocalJWKSet(await (await upstream.handler(new Request(upstream.endpoints.jwks))).json());
  const { payload } = await jwtVerify(idToken, jwks, {
    issuer: ISSUER,
    audience,
    currentDate: new Date(clock.now()),
  });
  return payload;
}

function userinfo(accessToken: string | undefined): Promise<Response> {
  const headers: Record<string, string> = accessToken ? { authorization: `Bearer ${accessToken}` } : {};
  return upstream.handler(new Request(upstream.endpoints.userinfo, { headers }));
}

async function expectError(response: Response, status: number, error: string): Promise<void> {
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = (await response.json()) as Record<string, unknown>;
  expect({ status: response.status, error: body.error }).toEqual({ status, error });
  expect(typeof body.error_description).toBe('string');
}

function expectRedirectError(response: Response, error: string): void {
  const params = redirectParams(response);
  expect(params.get('error')).toBe(error);
  expect(params.get('state')).toBe('state-1');
  expect(params.get('iss')).toBe(ISSUER);
  expect(params.get('code')).toBeNull();
}

describe('upstream OpenID provider: discovery and keys', () => {
  it('serves OpenID discovery naming every endpoint, S256 only, both algorithms', async () => {
    const metadata = await (await upstream.handler(new Request(`${ISSUER}/.well-known/openid-configuration`))).json();
    expect(metadata).toMatchObject({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      userinfo_endpoint: `${ISSUER}/userinfo`,
      jwks_uri: `${ISSUER}/jwks`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
    });
  });

  it('publishes one RS256 and one ES256 key', async () => {
    const { keys } = (await (await upstream.handler(new Request(upstream.endpoints.jwks))).json()) as {
      keys: { alg: string; kid: string; d?: string }[];
    };
    expect(keys.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(keys.every((key) => key.kid && key.d === undefined)).toBe(true);
  });
});

describe('upstream OpenID provider: the authorization-code flow', () => {
  it('runs authorize → code → token → verified ID token → userinfo', async () => {
    const params = redirectParams(await authorize());
    expect(params.get('state')).toBe('state-1');
    expect(params.get('iss')).toBe(ISSUER);
    const response = await redeem(params.get('code')!);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as TokenBody;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(decodeProtectedHeader(body.id_token).alg).toBe('RS256');
    const claims = await verifyIdToken(body.id_token);
    const now = clock.now() / 1000;
    expect(claims).toMatchObject({
      iss: ISSUER,
      sub: 'upstream-erin',
      aud: CLIENT.client_id,
      nonce: 'nonce-1',
      iat: now,
      auth_time: now,
      email: 'erin@upstream.example',
      email_verified: true,
      name: 'Erin Upstream',
      groups: ['engineering'],
      tenant: 'acme',
    });
    expect(claims.exp).toBeGreaterThan(now);
    const info = await userinfo(body.access_token);
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ sub: 'upstream-erin', email: 'erin@upstream.example', tenant: 'acme' });
  });

  it('signs with ES256 for a client registered for it, and accepts client_secret_post', async () => {
    const code = await codeFrom({ client_id: ES_CLIENT.client_id });
    const response = await redeem(
      code,
      { client_id: ES_CLIENT.client_id, client_secret: ES_CLIENT.client_secret },
      null,
    );
    const body = (await response.json()) as TokenBody;
    expect(decodeProtectedHeader(body.id_token).alg).toBe('ES256');
    expect((await verifyIdToken(body.id_token, ES_CLIENT.client_id)).aud).toBe(ES_CLIENT.client_id);
  });

  it('chooses the user by login_hint (email or sub), by setNextUser once, or the first user', async () => {
    const byEmail = await tokens({ login_hint: 'frank@upstream.example' });
    expect(decodeJwt(byEmail.id_token)).toMatchObject({ sub: 'upstream-frank', email_verified: false });
    upstream.setNextUser('upstream-frank');
    expect(decodeJwt((await tokens({ login_hint: 'upstream-erin' })).id_token).sub).toBe('upstream-frank');
    expect(decodeJwt((await tokens()).id_token).sub).toBe('upstream-erin');
    expect(() => upstream.setNextUser('nobody')).toThrow(/no user nobody/);
    expectRedirectError(await authorize({ login_hint: 'nobody@upstream.example' }), 'access_denied');
  });

  it('omits nonce from the ID token when the request had none', async () => {
    expect(decodeJwt((await tokens({ nonce: undefined })).id_token).nonce).toBeUndefined();
  });

  it('records every request with method, path, time and status', async () => {
    await authorize({ client_id: 'unknown' });
    await tokens();
    expect(upstream.requests()).toEqual([
      { method: 'GET', path: '/authorize', at: '2026-01-01T00:00:00.000Z', status: 400 },
      { method: 'GET', path: '/authorize', at: '2026-01-01T00:00:00.000Z', status: 302 },
      { method: 'POST', path: '/token', at: '2026-01-01T00:00:00.000Z', status: 200 },
    ]);
  });
});

describe('upstream OpenID provider: bad input gets the right OAuth error, never a 500', () => {
  it('shows 400 (no redirect) for an unknown client or a redirect_uri that is not registered exactly', async () => {
    await expectError(await authorize({ client_id: 'unknown' }), 400, 'invalid_request');
    await expectError(await authorize({ redirect_uri: `${REDIRECT}/x` }), 400, 'invalid_request');
    await expectError(await authorize({ redirect_uri: undefined }), 400, 'invalid_request');
  });

  it('redirects with an error for missing or plain PKCE, a wrong response_type or no openid scope', async () => {
    expectRedirectError(await authorize({ code_challenge: undefined }), 'invalid_request');
    expectRedirectError(await authorize({ code_challenge_method: 'plain' }), 'invalid_request');
    expectRedirectError(await authorize({ code_challenge_method: undefined }), 'invalid_request');
    expectRedirectError(await authorize({ response_type: 'token' }), 'unsupported_response_type');
    expectRedirectError(await authorize({ scope: 'email' }), 'invalid_scope');
  });

  it('refuses a wrong or missing code_verifier', async () => {
    await expectError(await redeem(await codeFrom(), { code_verifier: 'w'.repeat(43) }), 400, 'invalid_grant');
    await expectError(await redeem(await codeFrom(), { code_verifier: undefined }), 400, 'invalid_request');
  });

  it('refuses a reused code and revokes the access token the first use obtained', async () => {
    const code = await codeFrom();
    const first = (await (await redeem(code)).json()) as TokenBody;
    await expectError(await redeem(code), 400, 'invalid_grant');
    await expectError(await userinfo(first.access_token), 401, 'invalid_token');
  });

  it('refuses an expired code, another client’s code, or a different redirect_uri', async () => {
    const expiring = await codeFrom();
    clock.advance(601_000);
    await expectError(await redeem(expiring), 400, 'invalid_grant');
    const esCode = await codeFrom({ client_id: ES_CLIENT.client_id });
    await expectError(await redeem(esCode), 400, 'invalid_grant');
    await expectError(await redeem(await codeFrom(), { redirect_uri: `${REDIRECT}/x` }), 400, 'invalid_grant');
  });

  it('refuses bad client authentication, other grants and malformed requests', async () => {
    const code = await codeFrom();
    await expectError(await redeem(code, {}, null), 401, 'invalid_client');
    await expectError(await redeem(code, {}, basic({ ...CLIENT, client_secret: 'wrong' })), 401, 'invalid_client');
    await expectError(await redeem(code, {}, 'Basic !!!'), 401, 'invalid_client');
    await expectError(await redeem(code, { grant_type: 'client_credentials' }), 400, 'unsupported_grant_type');
    await expectError(await redeem('', {}), 400, 'invalid_request');
    const json = new Request(upstream.endpoints.token, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic(CLIENT) },
      body: '{}',
    });
    await expectError(await upstream.handler(json), 400, 'invalid_request');
    await expectError(await authorize({ client_id: undefined, state: undefined }), 400, 'invalid_request');
    const duplicated = new Request(`${upstream.endpoints.authorization}?client_id=a&client_id=b`);
    await expectError(await upstream.handler(duplicated), 400, 'invalid_request');
    expect((await upstream.handler(new Request(upstream.endpoints.token))).status).toBe(405);
    expect((await upstream.handler(new Request(`${ISSUER}/nothing`))).status).toBe(404);
  });

  it('answers userinfo without a token with a bare Bearer challenge, and an unknown one with invalid_token', async () => {
    const bare = await userinfo(undefined);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe('Bearer');
    await expectError(await userinfo('not-a-token'), 401, 'invalid_token');
    const { access_token } = await tokens();
    clock.advance(3601_000);
    await expectError(await userinfo(access_token), 401, 'invalid_token');
  });
});

describe('upstream OpenID provider: faults', () => {
  async function idTokenUnder(kind: UpstreamFault): Promise<string> {
    upstream.fault(kind);
    return (await tokens()).id_token;
  }

  it('bad-id-token-signature: the ID token does not verify against the published keys', async () => {
    const idToken = await idTokenUnder('bad-id-token-signature');
    await expect(verifyIdToken(idToken)).rejects.toThrow(/signature/);
  });

  it('wrong-audience: aud is not the client', async () => {
    const idToken = await idTokenUnder('wrong-audience');
    expect(decodeJwt(idToken).aud).not.toBe(CLIENT.client_id);
    await expect(verifyIdToken(idToken)).rejects.toThrow(/aud/);
  });

  it('wrong-issuer: iss is not the issuer', async () => {
    const idToken = await idTokenUnder('wrong-issuer');
    expect(decodeJwt(idToken).iss).not.toBe(ISSUER);
    await expect(verifyIdToken(idToken)).rejects.toThrow(/iss/);
  });

  it('expired-id-token: exp is in the past', async () => {
    const idToken = await idTokenUnder('expired-id-token');
    expect(decodeJwt(idToken).exp).toBeLessThan(clock.now() / 1000);
    await expect(verifyIdToken(idToken)).rejects.toThrow(/exp/);
  });

  it('nonce-replayed: the ID token carries the nonce of an earlier flow', async () => {
    upstream.fault('nonce-replayed');
    expect(decodeJwt((await tokens({ nonce: 'first' })).id_token).nonce).toBe(STALE_NONCE);
    expect(decodeJwt((await tokens({ nonce: 'second' })).id_token).nonce).toBe('first');
    upstream.fault('none');
    expect(decodeJwt((await tokens({ nonce: 'third' })).id_token).nonce).toBe('third');
  });

  it('missing-nonce: the ID token has no nonce although the request had one', async () => {
    expect(decodeJwt(await idTokenUnder('missing-nonce')).nonce).toBeUndefined();
  });

  it('token-endpoint-500: the token endpoint fails with server_error', async () => {
    const code = await codeFrom();
    upstream.fault('token-endpoint-500');
    await expectError(await redeem(code), 500, 'server_error');
    upstream.fault('none');
    expect((await redeem(code)).status).toBe(200);
  });

  it('userinfo-500: userinfo fails with server_error', async () => {
    const { access_token } = await tokens();
    upstream.fault('userinfo-500');
    await expectError(await userinfo(access_token), 500, 'server_error');
  });

  it('slow: every answer waits the configured latency first', async () => {
    await tokens();
    expect(slept).toEqual([]);
    upstream.fault('slow');
    await tokens();
    expect(slept).toEqual([5000, 5000]);
  });
});
