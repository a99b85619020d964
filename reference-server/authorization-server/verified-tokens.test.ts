import { decodeJwt } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import {
  CLIENTS,
  createTestServer,
  get,
  ISSUER,
  introspect,
  revoke,
  type TestServer,
  userAccessToken,
} from './test-support.ts';
import { holdsAt, VerifiedTokenMemo } from './verified-tokens.ts';

const TENANT = `${ISSUER}/t/acme`;

function userinfo(server: TestServer, token: string): Promise<Response> {
  return get(server.handler, `${ISSUER}/userinfo`, { authorization: `Bearer ${token}` });
}

async function isActive(server: TestServer, token: string, issuer = ISSUER): Promise<boolean> {
  return ((await introspect(server, token, issuer)) as { active: boolean }).active;
}

/** A server, one of its user tokens, and a count of the signature checks made after it was issued. */
async function serverWithToken() {
  const server = await createTestServer();
  const token = await userAccessToken(server);
  const verify = vi.spyOn(server.signingKeys, 'verify');
  return { server, token, verify };
}

describe('VerifiedTokenMemo', () => {
  const entry = (jti: string) => ({ issuer: ISSUER, jti });

  it('keeps at most its capacity, dropping the least recently used entry first', () => {
    const memo = new VerifiedTokenMemo({ generation: 0 }, 2);
    memo.remember('a', entry('1'));
    memo.remember('b', entry('2'));
    expect(memo.recall('a')?.jti).toBe('1');
    memo.remember('c', entry('3'));
    expect(memo.size).toBe(2);
    expect(memo.recall('b')).toBeUndefined();
    expect(memo.recall('a')?.jti).toBe('1');
    expect(memo.recall('c')?.jti).toBe('3');
  });

  it('forgets everything once the published keys change', () => {
    const keys = { generation: 0 };
    const memo = new VerifiedTokenMemo(keys);
    memo.remember('a', entry('1'));
    keys.generation = 1;
    expect(memo.recall('a')).toBeUndefined();
    expect(memo.size).toBe(0);
  });

  it('judges exp and nbf at whole seconds without leeway', () => {
    const at = (seconds: number) => new Date(seconds * 1000 + 999);
    expect(holdsAt({ ...entry('1'), exp: 100 }, at(99))).toBe(true);
    expect(holdsAt({ ...entry('1'), exp: 100 }, at(100))).toBe(false);
    expect(holdsAt({ ...entry('1'), nbf: 100 }, at(99))).toBe(false);
    expect(holdsAt({ ...entry('1'), nbf: 100 }, at(100))).toBe(true);
    expect(holdsAt(entry('1'), at(0))).toBe(true);
  });
});

describe('token lookup with verified tokens remembered', () => {
  it('checks the signature of a token presented again only once', async () => {
    const { server, token, verify } = await serverWithToken();
    expect(await isActive(server, token)).toBe(true);
    expect(await isActive(server, token)).toBe(true);
    expect((await userinfo(server, token)).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('still reads revocation from the stored record on every use', async () => {
    const { server, token } = await serverWithToken();
    expect(await isActive(server, token)).toBe(true);
    expect((await revoke(server, { token, client_id: CLIENTS.public.client_id })).status).toBe(200);
    expect(await isActive(server, token)).toBe(false);
    expect((await userinfo(server, token)).status).toBe(401);
  });

  it('still judges expiry at every use', async () => {
    const { server, token } = await serverWithToken();
    expect((await userinfo(server, token)).status).toBe(200);
    server.clock.set(decodeJwt(token).exp! * 1000);
    expect((await userinfo(server, token)).status).toBe(401);
    expect(await isActive(server, token)).toBe(false);
  });

  it('verifies again after a key rotation, and refuses once the signing key is retired', async () => {
    const { server, token, verify } = await serverWithToken();
    const oldKid = server.signingKeys.kid;
    expect(await isActive(server, token)).toBe(true);
    await server.signingKeys.rotate();
    expect(await isActive(server, token)).toBe(true);
    expect(verify).toHaveBeenCalledTimes(2);
    server.signingKeys.retire(oldKid);
    expect(await isActive(server, token)).toBe(false);
    expect((await userinfo(server, token)).status).toBe(401);
  });

  it('does not let a token remembered for one issuer pass at another issuer sharing the keys', async () => {
    const { server, token } = await serverWithToken();
    expect(await isActive(server, token)).toBe(true);
    expect(await isActive(server, token, TENANT)).toBe(false);
    expect(await isActive(server, token)).toBe(true);
  });

  it('never remembers a token whose signature does not hold', async () => {
    const { server, token, verify } = await serverWithToken();
    const [header, payload, signature] = token.split('.');
    const forged = `${header}.${payload}.${signature!.slice(0, -4)}AAAA`;
    expect(await isActive(server, forged)).toBe(false);
    expect(await isActive(server, forged)).toBe(false);
    expect(verify).toHaveBeenCalledTimes(2);
  });
});
