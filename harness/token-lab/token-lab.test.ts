import { createHmac } from 'node:crypto';
import {
  base64url,
  type CryptoKey,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  EmbeddedJWK,
  exportSPKI,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  jwtVerify,
} from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { createTokenLab, LAB_KEYS, serveTokenLab, type TokenLab } from './index.ts';

const ISSUER = 'https://token-lab.reference.test';
const AUDIENCE = 'https://mcp.reference.test/mcp';
const SCOPE = 'mcp:tools';
const START = Date.UTC(2030, 0, 1);

async function get(lab: TokenLab, url: string, method = 'GET'): Promise<Response> {
  return lab.handler(new Request(url, { method }));
}

async function labJwks(lab: TokenLab): Promise<JSONWebKeySet> {
  return (await get(lab, `${lab.issuer}/jwks`)).json() as Promise<JSONWebKeySet>;
}

async function verifyWithLabJwks(lab: TokenLab, token: string, clock: ManualClock) {
  return jwtVerify(token, createLocalJWKSet(await labJwks(lab)), {
    issuer: lab.issuer,
    audience: lab.audience,
    typ: 'at+jwt',
    currentDate: new Date(clock.now()),
    algorithms: ['ES256', 'RS256'],
  });
}

describe('token lab', () => {
  const clock = new ManualClock(START);
  let lab: TokenLab;

  beforeAll(async () => {
    lab = await createTokenLab({
      issuer: ISSUER,
      audience: AUDIENCE,
      scope: SCOPE,
      clock,
      defaultClaims: { acr: 'urn:mcp-auth-conformance:loa:2' },
    });
  });

  it('mints a default ES256 at+jwt that verifies against its own JWKS, with every RFC 9068 claim', async () => {
    const token = await lab.mint();
    const { payload, protectedHeader } = await verifyWithLabJwks(lab, token, clock);
    expect(protectedHeader.alg).toBe('ES256');
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(protectedHeader.kid).toEqual(expect.any(String));
    const now = START / 1000;
    expect(payload).toEqual({
      iss: ISSUER,
      sub: 'token-lab-user',
      aud: AUDIENCE,
      client_id: 'token-lab-client',
      scope: SCOPE,
      iat: now,
      exp: now + 300,
      jti: expect.any(String),
      acr: 'urn:mcp-auth-conformance:loa:2',
    });
  });

  it('gives every token its own jti', async () => {
    expect(decodeJwt(await lab.mint()).jti).not.toBe(decodeJwt(await lab.mint()).jti);
  });

  it('takes time from the clock', async () => {
    const clockOfItsOwn = new ManualClock(START);
    const timed = await createTokenLab({ issuer: ISSUER, audience: AUDIENCE, scope: SCOPE, clock: clockOfItsOwn });
    clockOfItsOwn.advance(3_600_000);
    const { iat, exp } = decodeJwt(await timed.mint());
    expect(iat).toBe(START / 1000 + 3600);
    expect(exp).toBe(START / 1000 + 3900);
  });

  it('uses the configured subject and client id', async () => {
    const named = await createTokenLab({
      issuer: ISSUER,
      audience: AUDIENCE,
      scope: SCOPE,
      clock,
      subject: 'alice',
      clientId: 'client-7',
    });
    expect(decodeJwt(await named.mint())).toMatchObject({ sub: 'alice', client_id: 'client-7' });
  });

  it('mints an RS256 token that verifies against its own JWKS', async () => {
    const { protectedHeader } = await verifyWithLabJwks(lab, await lab.mint({ key: 'rs256' }), clock);
    expect(protectedHeader.alg).toBe('RS256');
  });

  it.each(['foreign', 'unlisted'] as const)('a %s-key token fails verification against the JWKS', async (key) => {
    await expect(verifyWithLabJwks(lab, await lab.mint({ key }), clock)).rejects.toThrow();
  });

  it('a foreign-key token claims the listed ES256 kid; an unlisted one a kid the JWKS lacks', async () => {
    const listedKids = (await labJwks(lab)).keys.map((key) => key.kid);
    const defaultKid = decodeProtectedHeader(await lab.mint()).kid;
    expect(decodeProtectedHeader(await lab.mint({ key: 'foreign' })).kid).toBe(defaultKid);
    expect(listedKids).not.toContain(decodeProtectedHeader(await lab.mint({ key: 'unlisted' })).kid);
  });

  it('an alg none token has an empty signature', async () => {
    const token = await lab.mint({ key: 'none' });
    expect(decodeProtectedHeader(token).alg).toBe('none');
    expect(token.split('.')[2]).toBe('');
    expect(decodeJwt(token).iss).toBe(ISSUER);
  });

  it('an hs256-public-key token is an HMAC keyed with the SPKI PEM of the listed ES256 key', async () => {
    const token = await lab.mint({ key: 'hs256-public-key' });
    const header = decodeProtectedHeader(token);
    expect(header.alg).toBe('HS256');
    const listed = (await labJwks(lab)).keys.find((key) => key.kid === header.kid && key.kty === 'EC');
    expect(listed).toBeDefined();
    const pem = await exportSPKI((await importJWK(listed as JWK, 'ES256')) as CryptoKey);
    const { payload } = await jwtVerify(token, new TextEncoder().encode(pem), { algorithms: ['HS256'] });
    expect(payload.iss).toBe(ISSUER);
    const [encodedHeader, encodedPayload, signature] = token.split('.');
    const expected = createHmac('sha256', pem).update(`${encodedHeader}.${encodedPayload}`).digest();
    expect(signature).toBe(base64url.encode(expected));
  });

  it('an embedded-jwk token verifies only with the key it embeds', async () => {
    const token = await lab.mint({ key: 'embedded-jwk' });
    const header = decodeProtectedHeader(token);
    expect(header.jwk).toBeDefined();
    expect(header.kid).toBeUndefined();
    expect((await jwtVerify(token, EmbeddedJWK)).payload.iss).toBe(ISSUER);
    await expect(verifyWithLabJwks(lab, token, clock)).rejects.toThrow();
  });

  it('a jku token points at the attacker JWKS, which signs it and counts its fetches', async () => {
    const token = await lab.mint({ key: 'jku' });
    const header = decodeProtectedHeader(token);
    expect(header.jku).toBe(`${ISSUER}/attacker/jwks`);
    await expect(verifyWithLabJwks(lab, token, clock)).rejects.toThrow();
    const before = lab.attackerJwksFetches();
    const attackerJwks = (await (await get(lab, header.jku!)).json()) as JSONWebKeySet;
    expect(lab.attackerJwksFetches()).toBe(before + 1);
    expect(attackerJwks.keys.map((key) => key.kid)).toEqual([header.kid]);
    await jwtVerify(token, createLocalJWKSet(attackerJwks));
  });

  it('never lists an attacker or unlisted key in its JWKS', async () => {
    const listedKids = (await labJwks(lab)).keys.map((key) => key.kid);
    expect(listedKids).toHaveLength(2);
    for (const key of ['jku', 'unlisted'] as const) {
      expect(listedKids).not.toContain(decodeProtectedHeader(await lab.mint({ key })).kid);
    }
  });

  it('produces a distinct token for every lab key', async () => {
    const tokens = await Promise.all(LAB_KEYS.map((key) => lab.mint({ key })));
    expect(new Set(tokens.map((token) => token.split('.')[0])).size).toBe(LAB_KEYS.length - 1); // foreign = es256 header
  });

  it('overrides and removes claims and header members', async () => {
    const token = await lab.mint({
      claims: { aud: 'https://elsewhere.test/mcp', scope: 'mcp:admin', client_id: undefined, acr: undefined, extra: 1 },
      header: { typ: 'JWT', crit: ['urn:example:unknown'], 'urn:example:unknown': true, kid: undefined },
    });
    const payload = decodeJwt(token);
    expect(payload).toMatchObject({ aud: 'https://elsewhere.test/mcp', scope: 'mcp:admin', extra: 1 });
    expect(payload).not.toHaveProperty('client_id');
    expect(payload).not.toHaveProperty('acr');
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT', crit: ['urn:example:unknown'], 'urn:example:unknown': true });
  });

  it('signs with the chosen key even when the header announces another alg', async () => {
    const token = await lab.mint({ header: { alg: 'RS256' } });
    expect(decodeProtectedHeader(token).alg).toBe('RS256');
    await expect(verifyWithLabJwks(lab, token, clock)).rejects.toThrow();
  });

  it('serves RFC 8414 metadata at the well-known URL and the JWKS it names', async () => {
    const reply = await get(lab, `${ISSUER}/.well-known/oauth-authorization-server`);
    expect(reply.status).toBe(200);
    const metadata = (await reply.json()) as { issuer: string; jwks_uri: string };
    expect(metadata).toMatchObject({ issuer: ISSUER, jwks_uri: `${ISSUER}/jwks` });
    const jwks = (await (await get(lab, metadata.jwks_uri)).json()) as JSONWebKeySet;
    expect(jwks.keys.map((key) => key.kty).sort()).toEqual(['EC', 'RSA']);
    expect(jwks.keys.every((key) => key.d === undefined && key.p === undefined)).toBe(true);
    const oidc = await get(lab, `${ISSUER}/.well-known/openid-configuration`);
    expect(await oidc.json()).toMatchObject({ issuer: ISSUER });
  });

  it('answers anything else with 404 JSON and a non-GET with 405', async () => {
    const missing = await get(lab, `${ISSUER}/token`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).toBe('no-store');
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
    const posted = await get(lab, `${ISSUER}/jwks`, 'POST');
    expect(posted.status).toBe(405);
    expect(await posted.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('token lab with a path in its issuer', () => {
  const issuer = 'http://127.0.0.1:7777/lab';
  let lab: TokenLab;

  beforeAll(async () => {
    lab = await createTokenLab({ issuer, audience: AUDIENCE, scope: SCOPE, clock: new ManualClock(START) });
  });

  it('serves metadata at the path-inserted well-known URL and the appended OIDC one', async () => {
    for (const url of [
      'http://127.0.0.1:7777/.well-known/oauth-authorization-server/lab',
      'http://127.0.0.1:7777/lab/.well-known/openid-configuration',
    ]) {
      const reply = await get(lab, url);
      expect(reply.status, url).toBe(200);
      expect(await reply.json()).toMatchObject({ issuer, jwks_uri: `${issuer}/jwks` });
    }
    expect((await get(lab, 'http://127.0.0.1:7777/.well-known/oauth-authorization-server')).status).toBe(404);
  });

  it('serves the JWKS and the attacker JWKS under the path', async () => {
    expect((await get(lab, `${issuer}/jwks`)).status).toBe(200);
    expect(decodeProtectedHeader(await lab.mint({ key: 'jku' })).jku).toBe(`${issuer}/attacker/jwks`);
    expect((await get(lab, `${issuer}/attacker/jwks`)).status).toBe(200);
    expect(lab.attackerJwksFetches()).toBe(1);
    expect((await get(lab, 'http://127.0.0.1:7777/jwks')).status).toBe(404);
  });
});

describe('serveTokenLab', () => {
  let anyLab: TokenLab;

  beforeAll(async () => {
    anyLab = await createTokenLab({ issuer: ISSUER, audience: AUDIENCE, scope: SCOPE, clock: new ManualClock(START) });
  });

  it('serves the lab on its loopback port, then closes', async () => {
    const probe = await import('../network/serve.ts').then(({ serveOnLoopback }) =>
      serveOnLoopback(async () => new Response()),
    );
    const port = probe.port;
    await probe.close();
    const issuer = `http://localhost:${port}/lab`;
    const clock = new ManualClock(START);
    const lab = await createTokenLab({ issuer, audience: AUDIENCE, scope: SCOPE, clock });
    const served = await serveTokenLab(lab);
    try {
      const metadata = await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server/lab`);
      expect(await metadata.json()).toMatchObject({ issuer, jwks_uri: `${issuer}/jwks` });
      const jwks = (await (await fetch(`http://127.0.0.1:${port}/lab/jwks`)).json()) as JSONWebKeySet;
      await jwtVerify(await lab.mint(), createLocalJWKSet(jwks), { issuer, currentDate: new Date(START) });
    } finally {
      await served.close();
    }
    await expect(fetch(`http://127.0.0.1:${port}/lab/jwks`)).rejects.toThrow();
  });

  it.each([
    ['a non-loopback host', 'https://token-lab.example.com:7777'],
    ['an in-memory origin', 'https://token-lab.reference.test'],
    ['no explicit port', 'http://127.0.0.1/lab'],
    ['https on loopback', 'https://127.0.0.1:7777'],
  ])('refuses an issuer with %s, naming tokenLab.issuer', async (_, issuer) => {
    await expect(serveTokenLab({ ...anyLab, issuer })).rejects.toThrow(/^tokenLab\.issuer: /);
  });

  it('refuses an issuer that is not a URL', async () => {
    await expect(
      createTokenLab({ issuer: 'token-lab', audience: AUDIENCE, scope: SCOPE, clock: new ManualClock(START) }),
    ).rejects.toThrow(/^tokenLab\.issuer: /);
  });
});
