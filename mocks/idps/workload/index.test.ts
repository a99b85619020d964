import { compactVerify, createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../harness/clock.ts';
import { createWorkloadIssuer, WORKLOAD_TOKEN_TTL_SECONDS, type WorkloadIssuer } from './index.ts';

const ISSUER = 'https://workload.example.test';
const AUDIENCE = 'https://as.example.test';

let clock: ManualClock;
let issuer: WorkloadIssuer;

beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  issuer = await createWorkloadIssuer({ issuer: ISSUER, clock, audience: AUDIENCE });
});

const get = (url: string, token?: string) =>
  issuer.handler(new Request(url, token ? { headers: { authorization: `Bearer ${token}` } } : {}));

async function jwks(url = `${ISSUER}/jwks`) {
  return createLocalJWKSet((await (await get(url)).json()) as JSONWebKeySet);
}

describe('workload identity issuer', () => {
  it('serves OpenID and RFC 8414 metadata naming its JWKS and userinfo', async () => {
    for (const url of [
      `${ISSUER}/.well-known/openid-configuration`,
      `${ISSUER}/.well-known/oauth-authorization-server`,
    ]) {
      expect(await (await get(url)).json()).toMatchObject({
        issuer: ISSUER,
        jwks_uri: `${ISSUER}/jwks`,
        userinfo_endpoint: `${ISSUER}/userinfo`,
      });
    }
    const untrusted = await (await get(`${issuer.untrustedIssuer}/.well-known/openid-configuration`)).json();
    expect(untrusted).toMatchObject({ issuer: issuer.untrustedIssuer, jwks_uri: `${issuer.untrustedIssuer}/jwks` });
  });

  it('mints ES256 and RS256 tokens lasting five minutes that verify with its JWKS', async () => {
    for (const alg of ['ES256', 'RS256'] as const) {
      const token = await issuer.mint({ alg });
      await expect(compactVerify(token, await jwks())).resolves.toBeDefined();
      const claims = decodeJwt(token);
      expect(claims).toMatchObject({ iss: ISSUER, sub: issuer.workload.sub, aud: AUDIENCE });
      expect(claims.exp! - claims.iat!).toBe(WORKLOAD_TOKEN_TTL_SECONDS);
      expect(claims.iat).toBe(Math.floor(clock.now() / 1000));
    }
  });

  it('signs with the untrusted key only verifiable by the untrusted issuer, and overrides claims and header', async () => {
    const token = await issuer.mint({ key: 'untrusted', claims: { jti: undefined, extra: 1 }, header: { typ: 'x' } });
    await expect(compactVerify(token, await jwks())).rejects.toThrow();
    await expect(compactVerify(token, await jwks(`${issuer.untrustedIssuer}/jwks`))).resolves.toBeDefined();
    expect(decodeJwt(token)).not.toHaveProperty('jti');
    expect(decodeJwt(token).extra).toBe(1);
    expect(decodeProtectedHeader(token).typ).toBe('x');
    expect((await issuer.mint({ header: { alg: 'none' } })).endsWith('.')).toBe(true);
  });

  it('answers userinfo for tokens it minted, with a planted profile when asked, and 401 otherwise', async () => {
    const userinfo = async (token?: string) => get(`${ISSUER}/userinfo`, token);
    expect(await (await userinfo(await issuer.mint())).json()).toEqual(issuer.workload);
    const planted = await issuer.mint({ userinfo: { sub: 'other' } });
    expect(await (await userinfo(planted)).json()).toEqual({ sub: 'other' });
    expect((await userinfo('forged.token.value')).status).toBe(401);
    expect((await userinfo()).status).toBe(401);
    expect(issuer.userinfoRequests()).toBe(4);
  });
});
