import { beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  CLIENTS,
  createTestServer,
  expectOAuthError,
  ISSUER,
  introspect,
  obtainCode,
  redeem,
  revoke,
  type TestServer,
  userAccessToken,
  WEB_REDIRECT,
} from './test-support.ts';

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});

const asPublicClient = { client_id: CLIENTS.public.client_id };
const basicClientAuth = basic(CLIENTS.basic.client_id, CLIENTS.basic.client_secret);

async function expectEmpty200(response: Response): Promise<void> {
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(await response.text()).toBe('');
}

describe('revocation endpoint (RFC 7009)', () => {
  it('revokes a public client’s own access token; introspection then reports it inactive', async () => {
    const token = await userAccessToken(server);
    const sibling = await userAccessToken(server);
    expect(await introspect(server, token)).toMatchObject({ active: true });
    await expectEmpty200(await revoke(server, { token, ...asPublicClient }));
    expect(await introspect(server, token)).toEqual({ active: false });
    expect(await introspect(server, sibling)).toMatchObject({ active: true });
  });

  it('revokes a confidential client’s token when it authenticates with Basic', async () => {
    const token = await basicClientToken();
    await expectEmpty200(await revoke(server, { token }, basicClientAuth));
    expect(await introspect(server, token)).toEqual({ active: false });
  });

  it('searches every token type whatever token_type_hint says (§2.1)', async () => {
    const token = await userAccessToken(server);
    await expectEmpty200(await revoke(server, { token, token_type_hint: 'refresh_token', ...asPublicClient }));
    expect(await introspect(server, token)).toEqual({ active: false });
  });

  it('answers 200 for an unknown or garbage token (§2.2)', async () => {
    await expectEmpty200(await revoke(server, { token: 'never-issued', ...asPublicClient }));
    await expectEmpty200(await revoke(server, { token: 'a.b.c', ...asPublicClient }));
  });

  it('answers 200 but leaves another client’s token active (§2.1)', async () => {
    const token = await userAccessToken(server);
    await expectEmpty200(await revoke(server, { token }, basicClientAuth));
    expect(await introspect(server, token)).toMatchObject({ active: true });
  });

  it('answers 200 but leaves a token of another tenant active', async () => {
    const tenant = `${ISSUER}/t/acme`;
    const token = await userAccessToken(server, {}, tenant);
    await expectEmpty200(await revoke(server, { token, ...asPublicClient }));
    expect(await introspect(server, token, tenant)).toMatchObject({ active: true });
  });

  it('requires the token parameter', async () => {
    await expectOAuthError(await revoke(server, asPublicClient), 400, 'invalid_request');
  });

  it('refuses a confidential client that does not authenticate', async () => {
    const token = await basicClientToken();
    await expectOAuthError(await revoke(server, { token, client_id: CLIENTS.basic.client_id }), 401, 'invalid_client');
    expect(await introspect(server, token)).toMatchObject({ active: true });
  });

  it('refuses a wrong secret with 401 and a Basic challenge', async () => {
    const response = await revoke(server, { token: 'x' }, basic(CLIENTS.basic.client_id, 'wrong'));
    expect(response.headers.get('www-authenticate')).toBe(`Basic realm="${ISSUER}"`);
    await expectOAuthError(response, 401, 'invalid_client');
  });

  it('refuses a request with no client identification', async () => {
    await expectOAuthError(await revoke(server, { token: 'x' }), 401, 'invalid_client');
  });

  it('refuses a JSON body and GET', async () => {
    const json = await server.handler(
      new Request(`${ISSUER}/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token: 'x', client_id: CLIENTS.public.client_id }),
      }),
    );
    await expectOAuthError(json, 400, 'invalid_request');
    const get = await server.handler(new Request(`${ISSUER}/revoke`));
    expect(get.headers.get('allow')).toBe('POST');
    await expectOAuthError(get, 405, 'invalid_request');
  });
});

/** A token issued to the client_secret_basic client through its own code redemption. */
async function basicClientToken(): Promise<string> {
  const issued = await obtainCode(server, { client_id: CLIENTS.basic.client_id, redirect_uri: WEB_REDIRECT });
  const response = await redeem(server, issued, { client_id: undefined }, basicClientAuth);
  return ((await response.json()) as { access_token: string }).access_token;
}
