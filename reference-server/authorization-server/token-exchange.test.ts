import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_TOKEN_TYPE,
  basic,
  CLIENTS,
  createTestServer,
  DOWNSTREAM_RESOURCE,
  exchange,
  expectOAuthError,
  ISSUER,
  introspect,
  obtainCode,
  RESOURCE,
  redeem,
  revoke,
  START,
  type TestServer,
  TOKEN_EXCHANGE,
  userAccessToken,
} from './test-support.ts';

const SECOND_EXCHANGER = { client_id: 'second-exchanger', client_secret: 'second-secret' };

let server: TestServer;

/** The test server plus a downstream resource to exchange for and a second exchanging client (client_secret_post). */
async function createTestServerWithDownstream(): Promise<TestServer> {
  const created = await createTestServer({
    resources: [
      { resource: RESOURCE, scopes: ['mcp:tools', 'mcp:admin'] },
      { resource: DOWNSTREAM_RESOURCE, scopes: ['mcp:tools', 'downstream:read'] },
    ],
  });
  await created.store.clients.save({
    ...SECOND_EXCHANGER,
    client_id_issued_at: START / 1000,
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: [TOKEN_EXCHANGE],
    response_types: [],
    application_type: 'web',
    registeredBy: 'configuration',
  });
  return created;
}

async function exchanged(response: Response): Promise<Record<string, unknown>> {
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('token exchange (RFC 8693): issuing', () => {
  beforeAll(async () => {
    server = await createTestServerWithDownstream();
  });

  it('issues a token for the target resource, for the same user, naming the client in act', async () => {
    const subject = await userAccessToken(server, { scope: 'mcp:tools mcp:admin' });
    const response = await exchange(server, subject);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await exchanged(response);
    expect(body).toMatchObject({ issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: 900 });
    expect(body.scope).toBe('mcp:tools');
    const token = body.access_token as string;
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    const { payload } = await jwtVerify(token, createLocalJWKSet(server.signingKeys.jwks()), {
      issuer: ISSUER,
      audience: DOWNSTREAM_RESOURCE,
      currentDate: new Date(START),
    });
    expect(payload).toMatchObject({
      sub: 'user-alice',
      client_id: CLIENTS.exchanger.client_id,
      scope: 'mcp:tools',
      act: { sub: CLIENTS.exchanger.client_id },
    });
    expect(await introspect(server, token)).toMatchObject({
      active: true,
      aud: DOWNSTREAM_RESOURCE,
      act: { sub: CLIENTS.exchanger.client_id },
    });
  });

  it('accepts the target as audience instead of resource', async () => {
    const subject = await userAccessToken(server);
    const body = await exchanged(
      await exchange(server, subject, { resource: undefined, audience: DOWNSTREAM_RESOURCE }),
    );
    expect(await introspect(server, body.access_token as string)).toMatchObject({ aud: DOWNSTREAM_RESOURCE });
  });

  it('narrows to the requested scope', async () => {
    const subject = await userAccessToken(server, { scope: 'mcp:tools mcp:admin' });
    const body = await exchanged(await exchange(server, subject, { resource: RESOURCE, scope: 'mcp:admin' }));
    expect(body.scope).toBe('mcp:admin');
    expect(await introspect(server, body.access_token as string)).toMatchObject({ scope: 'mcp:admin' });
  });

  it('nests the previous actor when an exchanged token is exchanged again (§4.1)', async () => {
    const subject = await userAccessToken(server);
    const first = await exchanged(await exchange(server, subject));
    const second = await exchanged(
      await exchange(server, first.access_token as string, { resource: RESOURCE, ...SECOND_EXCHANGER }, {}),
    );
    expect(await introspect(server, second.access_token as string)).toMatchObject({
      sub: 'user-alice',
      client_id: SECOND_EXCHANGER.client_id,
      act: { sub: SECOND_EXCHANGER.client_id, act: { sub: CLIENTS.exchanger.client_id } },
    });
  });

  it('records the token: the exchanging client can revoke it', async () => {
    const subject = await userAccessToken(server);
    const token = (await exchanged(await exchange(server, subject))).access_token as string;
    const auth = basic(CLIENTS.exchanger.client_id, CLIENTS.exchanger.client_secret);
    expect((await revoke(server, { token }, auth)).status).toBe(200);
    expect(await introspect(server, token)).toEqual({ active: false });
    expect(await introspect(server, subject)).toMatchObject({ active: true });
  });

  it('ends with the user’s grant: a replayed code revokes the exchanged token too', async () => {
    const issued = await obtainCode(server);
    const subject = ((await (await redeem(server, issued)).json()) as { access_token: string }).access_token;
    const token = (await exchanged(await exchange(server, subject))).access_token as string;
    expect((await redeem(server, issued)).status).toBe(400);
    expect(await introspect(server, token)).toEqual({ active: false });
  });
});

describe('token exchange (RFC 8693): refusals', () => {
  let subject: string;
  beforeAll(async () => {
    server = await createTestServerWithDownstream();
    subject = await userAccessToken(server);
  });

  it('refuses a public client with unauthorized_client', async () => {
    const response = await exchange(server, subject, { client_id: CLIENTS.public.client_id }, {});
    await expectOAuthError(response, 400, 'unauthorized_client');
  });

  it('refuses a confidential client not registered for the grant with unauthorized_client', async () => {
    const response = await exchange(server, subject, {}, basic(CLIENTS.basic.client_id, CLIENTS.basic.client_secret));
    await expectOAuthError(response, 400, 'unauthorized_client');
  });

  it('refuses a wrong client secret with invalid_client', async () => {
    const response = await exchange(server, subject, {}, basic(CLIENTS.exchanger.client_id, 'wrong'));
    await expectOAuthError(response, 401, 'invalid_client');
  });

  it.each([
    ['subject_token is missing', { subject_token: undefined }],
    ['subject_token_type is missing', { subject_token_type: undefined }],
    ['subject_token_type is not an access token', { subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }],
    ['requested_token_type is not an access token', { requested_token_type: 'urn:ietf:params:oauth:token-type:jwt' }],
    ['an actor_token is sent', { actor_token: 'x', actor_token_type: ACCESS_TOKEN_TYPE }],
    ['actor_token_type comes without actor_token', { actor_token_type: ACCESS_TOKEN_TYPE }],
    ['the subject token is garbage', { subject_token: 'not-a-token' }],
  ])('answers invalid_request when %s', async (_, overrides) => {
    await expectOAuthError(await exchange(server, subject, overrides), 400, 'invalid_request');
  });

  it('answers invalid_request for a revoked subject token (§2.2.2)', async () => {
    const revoked = await userAccessToken(server);
    await revoke(server, { token: revoked, client_id: CLIENTS.public.client_id });
    await expectOAuthError(await exchange(server, revoked), 400, 'invalid_request');
  });

  it('answers invalid_request for an expired subject token (by the injected clock)', async () => {
    const expiring = await createTestServerWithDownstream();
    const token = await userAccessToken(expiring);
    expiring.clock.advance(900_000);
    await expectOAuthError(await exchange(expiring, token), 400, 'invalid_request');
  });

  it('answers invalid_request for a subject token of another issuer (tenant)', async () => {
    const tenantToken = await userAccessToken(server, {}, `${ISSUER}/t/acme`);
    await expectOAuthError(await exchange(server, tenantToken), 400, 'invalid_request');
  });

  it.each([
    ['an unregistered resource', { resource: 'https://unknown.example/api' }],
    ['a resource with a fragment', { resource: `${DOWNSTREAM_RESOURCE}#x` }],
    ['no target at all', { resource: undefined }],
    ['two targets', { audience: RESOURCE }],
  ])('answers invalid_target for %s', async (_, overrides) => {
    await expectOAuthError(await exchange(server, subject, overrides), 400, 'invalid_target');
  });

  it('answers invalid_scope for a scope beyond the subject token’s', async () => {
    await expectOAuthError(await exchange(server, subject, { scope: 'mcp:admin' }), 400, 'invalid_scope');
  });

  it('answers invalid_scope for a scope the target does not understand', async () => {
    const wide = await userAccessToken(server, { scope: 'mcp:tools mcp:admin' });
    await expectOAuthError(await exchange(server, wide, { scope: 'mcp:admin' }), 400, 'invalid_scope');
  });
});
