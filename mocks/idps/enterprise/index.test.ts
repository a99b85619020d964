import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../harness/clock.ts';
import {
  createEnterpriseIdp,
  ENTERPRISE_TOKEN_TTL_SECONDS,
  type EnterpriseIdp,
  ID_JAG_TOKEN_TYPE,
  ID_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT,
} from './index.ts';

const ISSUER = 'https://idp.enterprise.test';
const AS = 'https://as.reference.test';
const RESOURCE = 'https://mcp.reference.test/mcp';
const CLIENT = { client_id: 'wiki-app', client_secret: 'wiki-secret' };
const OTHER = { client_id: 'chat-app', client_secret: 'chat-secret' };

let clock: ManualClock;
let idp: EnterpriseIdp;

beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  idp = await createEnterpriseIdp({
    issuer: ISSUER,
    clock,
    clients: [
      { ...CLIENT, audiences: { [AS]: [RESOURCE] }, scopes: ['mcp:tools'] },
      { ...OTHER, audiences: {}, scopes: [] },
    ],
    users: [
      { sub: 'user-alice', email: 'alice@example.test' },
      { sub: 'user-bob', email: 'bob@example.test' },
    ],
  });
});

const basic = ({ client_id, client_secret }: { client_id: string; client_secret: string }) =>
  `Basic ${btoa(`${client_id}:${client_secret}`)}`;

async function exchange(fields: Record<string, string | undefined>, authorization: string | null = basic(CLIENT)) {
  const all: Record<string, string | undefined> = {
    grant_type: TOKEN_EXCHANGE_GRANT,
    requested_token_type: ID_JAG_TOKEN_TYPE,
    subject_token: await idp.idToken({ clientId: CLIENT.client_id }),
    subject_token_type: ID_TOKEN_TYPE,
    audience: AS,
    resource: RESOURCE,
    scope: 'mcp:tools',
    ...fields,
  };
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(all)) if (value !== undefined) body.set(name, value);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (authorization) headers.authorization = authorization;
  return idp.handler(new Request(idp.tokenEndpoint, { method: 'POST', headers, body }));
}

async function expectError(response: Response, status: number, error: string) {
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = (await response.json()) as Record<string, unknown>;
  expect({ status: response.status, error: body.error }).toEqual({ status, error });
  expect(typeof body.error_description).toBe('string');
}

async function publishedKeys() {
  const response = await idp.handler(new Request(`${ISSUER}/jwks`));
  return createLocalJWKSet(await response.json());
}

describe('enterprise IdP metadata and keys', () => {
  it('serves OpenID and RFC 8414 metadata with the token endpoint, JWKS and the ID-JAG token type', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const metadata = await (await idp.handler(new Request(`${ISSUER}${path}`))).json();
      expect(metadata).toMatchObject({
        issuer: ISSUER,
        token_endpoint: `${ISSUER}/token`,
        jwks_uri: `${ISSUER}/jwks`,
        identity_chaining_requested_token_types_supported: [ID_JAG_TOKEN_TYPE],
      });
    }
  });

  it('issues ID tokens for the client, verifiable with the JWKS, five minutes long', async () => {
    const token = await idp.idToken({ clientId: CLIENT.client_id, sub: 'user-bob' });
    const { payload } = await jwtVerify(token, await publishedKeys(), { currentDate: new Date(clock.now()) });
    expect(payload).toMatchObject({ iss: ISSUER, sub: 'user-bob', aud: CLIENT.client_id, email: 'bob@example.test' });
    expect(payload.exp! - payload.iat!).toBe(ENTERPRISE_TOKEN_TTL_SECONDS);
    expect(payload.nonce).toBeUndefined();
  });

  it('mints ID-JAGs with any claim or header replaced, signed by a published or an unpublished key', async () => {
    const jag = await idp.mintIdJag({ clientId: 'c', audience: AS, resource: RESOURCE, scope: 'mcp:tools' });
    expect(decodeProtectedHeader(jag).typ).toBe('oauth-id-jag+jwt');
    await jwtVerify(jag, await publishedKeys(), { currentDate: new Date(clock.now()) });
    const odd = await idp.mintIdJag({
      clientId: 'c',
      audience: AS,
      claims: { jti: undefined, aud: [AS, 'x'] },
      header: { typ: undefined },
    });
    expect(decodeJwt(odd).jti).toBeUndefined();
    expect(decodeJwt(odd).aud).toEqual([AS, 'x']);
    expect(decodeProtectedHeader(odd).typ).toBeUndefined();
    const forged = await idp.mintIdJag({ clientId: 'c', audience: AS, key: 'untrusted' });
    await expect(jwtVerify(forged, await publishedKeys(), { currentDate: new Date(clock.now()) })).rejects.toThrow(
      /signature/,
    );
    expect((await idp.mintIdJag({ clientId: 'c', audience: AS, key: 'none' })).endsWith('.')).toBe(true);
  });

  it('keeps the previous key published after a rotation', async () => {
    const before = await idp.idToken({ clientId: CLIENT.client_id });
    await idp.rotateKey();
    const after = await idp.idToken({ clientId: CLIENT.client_id });
    expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid);
    const currentDate = new Date(clock.now());
    for (const token of [before, after]) await jwtVerify(token, await publishedKeys(), { currentDate });
  });
});

describe('enterprise IdP token exchange (ID token → ID-JAG)', () => {
  it('answers an RFC 8693 response carrying the ID-JAG', async () => {
    const response = await exchange({});
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      issued_token_type: ID_JAG_TOKEN_TYPE,
      token_type: 'N_A',
      expires_in: 300,
      scope: 'mcp:tools',
    });
    expect(body.refresh_token).toBeUndefined();
    const jag = body.access_token as string;
    expect(decodeProtectedHeader(jag).typ).toBe('oauth-id-jag+jwt');
    const claims = decodeJwt(jag);
    expect(claims).toMatchObject({
      iss: ISSUER,
      sub: 'user-alice',
      aud: AS,
      client_id: CLIENT.client_id,
      resource: RESOURCE,
      scope: 'mcp:tools',
      email: 'alice@example.test',
    });
    expect(typeof claims.jti).toBe('string');
    expect(claims.exp! - claims.iat!).toBe(300);
  });

  it('accepts client_secret_post and narrows the scope to what the client is granted', async () => {
    const response = await exchange({ ...CLIENT, scope: 'mcp:tools mcp:admin' }, null);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { scope: string }).scope).toBe('mcp:tools');
  });

  it('refuses unauthenticated or wrongly authenticated clients with 401 invalid_client', async () => {
    await expectError(await exchange({}, null), 401, 'invalid_client');
    await expectError(await exchange({}, basic({ ...CLIENT, client_secret: 'wrong' })), 401, 'invalid_client');
  });

  it('refuses an ID token issued to another client, expired, or not signed by it', async () => {
    await expectError(
      await exchange({ subject_token: await idp.idToken({ clientId: OTHER.client_id }) }),
      400,
      'invalid_grant',
    );
    const expired = await idp.idToken({ clientId: CLIENT.client_id });
    clock.advance(301_000);
    await expectError(await exchange({ subject_token: expired }), 400, 'invalid_grant');
    const forged = await idp.mintIdJag({ clientId: CLIENT.client_id, audience: CLIENT.client_id, key: 'untrusted' });
    await expectError(await exchange({ subject_token: forged }), 400, 'invalid_grant');
    await expectError(await exchange({ subject_token: 'not-a-jwt' }), 400, 'invalid_grant');
  });

  it('refuses audiences and resources outside the configured pairs', async () => {
    await expectError(await exchange({ audience: 'https://elsewhere.example' }), 400, 'invalid_target');
    await expectError(await exchange({ resource: 'https://mcp.reference.test/other' }), 400, 'invalid_target');
    await expectError(await exchange({ audience: undefined }), 400, 'invalid_request');
  });

  it('refuses other grants, token types and scopes it cannot grant', async () => {
    await expectError(await exchange({ grant_type: 'client_credentials' }), 400, 'unsupported_grant_type');
    await expectError(await exchange({ requested_token_type: ID_TOKEN_TYPE }), 400, 'invalid_request');
    await expectError(await exchange({ subject_token_type: ID_JAG_TOKEN_TYPE }), 400, 'invalid_request');
    await expectError(await exchange({ scope: 'mcp:admin' }), 400, 'invalid_scope');
    await expectError(await exchange({ subject_token: undefined }), 400, 'invalid_request');
  });

  it('answers bad HTTP with OAuth errors, never 500', async () => {
    const wrongType = await idp.handler(
      new Request(idp.tokenEndpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
    );
    await expectError(wrongType, 400, 'invalid_request');
    expect((await idp.handler(new Request(idp.tokenEndpoint))).status).toBe(405);
    expect((await idp.handler(new Request(`${ISSUER}/nothing`))).status).toBe(404);
  });
});
