import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  CLIENTS,
  createTestServer,
  ISSUER,
  introspect,
  obtainCode,
  PUBLIC_REDIRECT,
  postForm,
  RESOURCE,
  redeem,
  START,
  type TestServer,
  WEB_REDIRECT,
} from './test-support.ts';

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});

async function expectTokenError(response: Response, status: number, error: string): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body.error).toBe(error);
  expect(typeof body.error_description).toBe('string');
  return body;
}

async function accessToken(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

describe('token endpoint: authorization_code with PKCE', () => {
  it('issues an RFC 9068 access token, not cached', async () => {
    const issued = await obtainCode(server);
    const response = await redeem(server, issued);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'mcp:tools' });
    const token = body.access_token as string;
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: server.signingKeys.kid });
    const { payload } = await jwtVerify(token, createLocalJWKSet(server.signingKeys.jwks()), {
      issuer: ISSUER,
      audience: RESOURCE,
      typ: 'at+jwt',
      currentDate: new Date(START),
    });
    expect(payload).toMatchObject({
      sub: 'user-alice',
      client_id: CLIENTS.public.client_id,
      scope: 'mcp:tools',
      iat: START / 1000,
      exp: START / 1000 + 900,
    });
    expect(typeof payload.jti).toBe('string');
    expect(await introspect(server, token)).toMatchObject({
      active: true,
      iss: ISSUER,
      sub: 'user-alice',
      aud: RESOURCE,
      client_id: CLIENTS.public.client_id,
      scope: 'mcp:tools',
      token_type: 'Bearer',
      jti: payload.jti,
    });
  });

  it('authenticates a client_secret_basic client', async () => {
    const issued = await obtainCode(server, { client_id: CLIENTS.basic.client_id, redirect_uri: WEB_REDIRECT });
    const auth = basic(CLIENTS.basic.client_id, CLIENTS.basic.client_secret);
    await accessToken(await redeem(server, issued, { client_id: undefined }, auth));
  });

  it('authenticates a client_secret_post client', async () => {
    const issued = await obtainCode(server, { client_id: CLIENTS.post.client_id, redirect_uri: WEB_REDIRECT });
    const overrides = { client_id: CLIENTS.post.client_id, client_secret: CLIENTS.post.client_secret };
    await accessToken(await redeem(server, issued, overrides));
  });

  it('accepts the resource again when it equals the authorized one', async () => {
    await accessToken(await redeem(server, await obtainCode(server), { resource: RESOURCE }));
  });
});

describe('token endpoint: client authentication (RFC 6749 §2.3, §5.2)', () => {
  it('refuses a confidential client that does not authenticate', async () => {
    const issued = await obtainCode(server, { client_id: CLIENTS.basic.client_id, redirect_uri: WEB_REDIRECT });
    await expectTokenError(await redeem(server, issued, { client_id: CLIENTS.basic.client_id }), 401, 'invalid_client');
  });

  it('answers a wrong Basic secret with 401 and WWW-Authenticate', async () => {
    const issued = await obtainCode(server, { client_id: CLIENTS.basic.client_id, redirect_uri: WEB_REDIRECT });
    const response = await redeem(server, issued, { client_id: undefined }, basic(CLIENTS.basic.client_id, 'wrong'));
    await expectTokenError(response, 401, 'invalid_client');
    expect(response.headers.get('www-authenticate')).toBe(`Basic realm="${ISSUER}"`);
  });

  it('answers a wrong client_secret_post secret with 401', async () => {
    const issued = await obtainCode(server, { client_id: CLIENTS.post.client_id, redirect_uri: WEB_REDIRECT });
    const response = await redeem(server, issued, { client_id: CLIENTS.post.client_id, client_secret: 'wrong' });
    await expectTokenError(response, 401, 'invalid_client');
  });

  it('answers an unknown client with 401', async () => {
    await expectTokenError(
      await redeem(server, await obtainCode(server), { client_id: 'nobody' }),
      401,
      'invalid_client',
    );
  });

  it('answers a garbled Authorization header with 401 and WWW-Authenticate', async () => {
    const response = await redeem(server, await obtainCode(server), {}, { Authorization: 'Basic %%%' });
    await expectTokenError(response, 401, 'invalid_client');
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });
});

describe('token endpoint: what the code is bound to (OAuth 2.1 §4.1.3)', () => {
  it('refuses a code redeemed by another client', async () => {
    const issued = await obtainCode(server);
    const otherClient = { client_id: CLIENTS.post.client_id, client_secret: CLIENTS.post.client_secret };
    await expectTokenError(await redeem(server, issued, otherClient), 400, 'invalid_grant');
  });

  it('refuses a different redirect_uri', async () => {
    const issued = await obtainCode(server);
    const response = await redeem(server, issued, { redirect_uri: 'http://127.0.0.1:5555/other' });
    await expectTokenError(response, 400, 'invalid_grant');
  });

  it('refuses an omitted redirect_uri when the authorization request had one', async () => {
    await expectTokenError(
      await redeem(server, await obtainCode(server), { redirect_uri: undefined }),
      400,
      'invalid_grant',
    );
  });

  it('accepts an omitted redirect_uri when the authorization request had none', async () => {
    const issued = await obtainCode(server, { redirect_uri: undefined });
    await accessToken(await redeem(server, issued, { redirect_uri: undefined }));
  });

  it('refuses a wrong code_verifier', async () => {
    const issued = await obtainCode(server);
    const response = await redeem(server, issued, { code_verifier: 'x'.repeat(43) });
    await expectTokenError(response, 400, 'invalid_grant');
  });

  it('refuses a missing code_verifier', async () => {
    await expectTokenError(
      await redeem(server, await obtainCode(server), { code_verifier: undefined }),
      400,
      'invalid_grant',
    );
  });

  it.each([
    ['too short', 'a'.repeat(42)],
    ['too long', 'a'.repeat(129)],
    ['outside the charset', `${'a'.repeat(42)}!`],
  ])('refuses a code_verifier %s', async (_, verifier) => {
    await expectTokenError(
      await redeem(server, await obtainCode(server), { code_verifier: verifier }),
      400,
      'invalid_grant',
    );
  });

  it('refuses a different resource with invalid_target', async () => {
    const response = await redeem(server, await obtainCode(server), { resource: 'https://other.reference.test/mcp' });
    await expectTokenError(response, 400, 'invalid_target');
  });

  it('refuses an expired code (by the injected clock)', async () => {
    const expiring = await createTestServer();
    const issued = await obtainCode(expiring);
    expiring.clock.advance(61_000);
    await expectTokenError(await redeem(expiring, issued), 400, 'invalid_grant');
  });

  it('accepts a code just before it expires', async () => {
    const expiring = await createTestServer();
    const issued = await obtainCode(expiring);
    expiring.clock.advance(59_000);
    await accessToken(await redeem(expiring, issued));
  });

  it('refuses a code issued by another tenant', async () => {
    const issued = await obtainCode(server, {}, `${ISSUER}/t/acme`);
    await expectTokenError(await redeem(server, issued), 400, 'invalid_grant');
  });

  it('issues tenant tokens with the tenant issuer', async () => {
    const tenant = `${ISSUER}/t/acme`;
    const issued = await obtainCode(server, {}, tenant);
    const token = await accessToken(await redeem(server, issued, {}, {}, tenant));
    expect(await introspect(server, token, tenant)).toMatchObject({ active: true, iss: tenant });
    expect(await introspect(server, token)).toEqual({ active: false });
  });
});

describe('token endpoint: code replay (OAuth 2.1 §4.1.3, §7.5.3)', () => {
  it('refuses the second redemption and revokes the first token', async () => {
    const issued = await obtainCode(server);
    const token = await accessToken(await redeem(server, issued));
    expect(await introspect(server, token)).toMatchObject({ active: true });
    const replay = await expectTokenError(await redeem(server, issued), 400, 'invalid_grant');
    expect(replay.error_description).toMatch(/revoked/);
    expect(await introspect(server, token)).toEqual({ active: false });
  });

  it('does not revoke on a replay with an invalid verifier', async () => {
    const issued = await obtainCode(server);
    const token = await accessToken(await redeem(server, issued));
    await expectTokenError(await redeem(server, issued, { code_verifier: 'y'.repeat(43) }), 400, 'invalid_grant');
    expect(await introspect(server, token)).toMatchObject({ active: true });
  });
});

describe('token endpoint: malformed requests', () => {
  it('answers an unsupported grant type', async () => {
    const response = await postForm(server.handler, `${ISSUER}/token`, {
      grant_type: 'password',
      client_id: CLIENTS.public.client_id,
    });
    await expectTokenError(response, 400, 'unsupported_grant_type');
  });

  it('answers JSON bodies with 400 invalid_request', async () => {
    const response = await server.handler(
      new Request(`${ISSUER}/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }),
    );
    await expectTokenError(response, 400, 'invalid_request');
  });

  it('answers a repeated parameter with invalid_request', async () => {
    const response = await server.handler(
      new Request(`${ISSUER}/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `grant_type=authorization_code&code=a&code=b&client_id=${CLIENTS.public.client_id}`,
      }),
    );
    await expectTokenError(response, 400, 'invalid_request');
  });

  it('answers an unknown code with invalid_grant', async () => {
    const response = await redeem(server, { code: 'nope', verifier: 'v'.repeat(43), redirectUri: PUBLIC_REDIRECT });
    await expectTokenError(response, 400, 'invalid_grant');
  });

  it('answers a huge body with 400', async () => {
    const response = await postForm(server.handler, `${ISSUER}/token`, { grant_type: 'x'.repeat(70_000) });
    await expectTokenError(response, 400, 'invalid_request');
  });
});

describe('introspection (RFC 7662)', () => {
  it('reports expired tokens as inactive (by the injected clock)', async () => {
    const expiring = await createTestServer();
    const token = await accessToken(await redeem(expiring, await obtainCode(expiring)));
    expiring.clock.advance(899_000);
    expect(await introspect(expiring, token)).toMatchObject({ active: true });
    expiring.clock.advance(1_000);
    expect(await introspect(expiring, token)).toEqual({ active: false });
  });

  it('reports unknown and garbage tokens as inactive', async () => {
    expect(await introspect(server, 'not-a-jwt')).toEqual({ active: false });
  });

  it('requires a confidential caller', async () => {
    const response = await postForm(server.handler, `${ISSUER}/introspect`, {
      token: 'x',
      client_id: CLIENTS.public.client_id,
    });
    await expectTokenError(response, 401, 'invalid_client');
  });

  it('requires the token parameter', async () => {
    const { client_id, client_secret } = CLIENTS.resourceServer;
    const response = await postForm(server.handler, `${ISSUER}/introspect`, {}, basic(client_id, client_secret));
    await expectTokenError(response, 400, 'invalid_request');
  });

  it('verifies tokens signed by a key that was since rotated out of signing', async () => {
    const rotating = await createTestServer();
    const token = await accessToken(await redeem(rotating, await obtainCode(rotating)));
    await rotating.signingKeys.rotate();
    expect(await introspect(rotating, token)).toMatchObject({ active: true });
  });
});
