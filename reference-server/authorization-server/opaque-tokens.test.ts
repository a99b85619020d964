import { beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENTS,
  createTestServer,
  DOWNSTREAM_RESOURCE,
  exchange,
  ISSUER,
  introspect,
  RESOURCE,
  revoke,
  type TestServer,
  userAccessToken,
} from './test-support.ts';

const OPAQUE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer({
    accessTokenFormat: 'opaque',
    resources: [
      { resource: RESOURCE, scopes: ['mcp:tools', 'mcp:admin'] },
      { resource: DOWNSTREAM_RESOURCE, scopes: ['mcp:tools'] },
    ],
  });
});

describe("accessTokenFormat 'opaque'", () => {
  it('issues random 256-bit base64url strings that introspection resolves to the same claims as a JWT', async () => {
    const token = await userAccessToken(server);
    expect(token).toMatch(OPAQUE_SHAPE);
    const claims = (await introspect(server, token)) as Record<string, unknown>;
    expect(claims).toMatchObject({
      active: true,
      iss: ISSUER,
      sub: 'user-alice',
      aud: RESOURCE,
      client_id: CLIENTS.public.client_id,
      scope: 'mcp:tools',
      token_type: 'Bearer',
    });
    expect(claims.jti).not.toBe(token);
  });

  it('does not keep the token value in the store', async () => {
    const token = await userAccessToken(server);
    expect(await server.store.tokens.get(token)).toBeUndefined();
  });

  it('expires by the injected clock', async () => {
    const expiring = await createTestServer({ accessTokenFormat: 'opaque' });
    const token = await userAccessToken(expiring);
    expiring.clock.advance(899_000);
    expect(await introspect(expiring, token)).toMatchObject({ active: true });
    expiring.clock.advance(1_000);
    expect(await introspect(expiring, token)).toEqual({ active: false });
  });

  it('is revocable', async () => {
    const token = await userAccessToken(server);
    expect((await revoke(server, { token, client_id: CLIENTS.public.client_id })).status).toBe(200);
    expect(await introspect(server, token)).toEqual({ active: false });
  });

  it('is inactive at another issuer of the same server (tenant)', async () => {
    const token = await userAccessToken(server);
    expect(await introspect(server, token, `${ISSUER}/t/acme`)).toEqual({ active: false });
  });

  it('can be exchanged, and the exchanged token is opaque too', async () => {
    const subject = await userAccessToken(server);
    const response = await exchange(server, subject);
    expect(response.status).toBe(200);
    const token = ((await response.json()) as { access_token: string }).access_token;
    expect(token).toMatch(OPAQUE_SHAPE);
    expect(await introspect(server, token)).toMatchObject({ active: true, aud: DOWNSTREAM_RESOURCE });
  });

  it('reports unknown opaque strings as inactive', async () => {
    expect(await introspect(server, 'A'.repeat(43))).toEqual({ active: false });
  });
});

describe("accessTokenFormat 'jwt' (the default)", () => {
  it('issues JWTs, and a JWT’s jti presented as an opaque token is inactive', async () => {
    const jwtServer = await createTestServer();
    const token = await userAccessToken(jwtServer);
    expect(token.split('.')).toHaveLength(3);
    const { jti } = (await introspect(jwtServer, token)) as { jti: string };
    expect(await introspect(jwtServer, jti)).toEqual({ active: false });
  });
});
