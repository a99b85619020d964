import { errors, exportJWK, generateKeyPair, type JSONWebKeySet, type JWK, jwtVerify, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../harness/clock.ts';
import { IssuerKeyCache, KEY_CACHE_TIMING } from './token-keys.ts';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

function sign(key: SigningKey): Promise<string> {
  return new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(key.privateKey);
}

/** An issuer whose published set the test changes, counting how often the resource server reads it. */
class Issuer {
  published: SigningKey[] = [];
  reads = 0;

  read = async (): Promise<JSONWebKeySet> => {
    this.reads += 1;
    return { keys: this.published.map((key) => key.publicJwk) };
  };
}

async function verifies(cache: IssuerKeyCache, token: string): Promise<boolean> {
  try {
    await jwtVerify(token, cache.getKey, { algorithms: ['ES256'] });
    return true;
  } catch (error) {
    if (error instanceof errors.JWKSNoMatchingKey) return false;
    throw error;
  }
}

describe('IssuerKeyCache: the resource server keeps an issuer key set by its own clock', () => {
  let first: SigningKey;
  let second: SigningKey;
  beforeAll(async () => {
    [first, second] = await Promise.all([signingKey('first'), signingKey('second')]);
  });

  function setup() {
    const issuer = new Issuer();
    issuer.published = [first];
    const clock = new ManualClock(1_000_000);
    return { issuer, clock, cache: new IssuerKeyCache(issuer.read, clock) };
  }

  it('reads the set once, on first use, and keeps it while it is younger than its max age', async () => {
    const { issuer, clock, cache } = setup();
    const token = await sign(first);
    expect(issuer.reads).toBe(0);
    await Promise.all([verifies(cache, token), verifies(cache, token), verifies(cache, token)]);
    expect(issuer.reads).toBe(1);
    clock.advance(KEY_CACHE_TIMING.maxAgeMs - 1);
    expect(await verifies(cache, token)).toBe(true);
    expect(issuer.reads).toBe(1);
  });

  it('a retired key keeps verifying until the max age passes on the clock, then its tokens fail', async () => {
    const { issuer, clock, cache } = setup();
    const old = await sign(first);
    expect(await verifies(cache, old)).toBe(true);
    issuer.published = [second];
    clock.advance(KEY_CACHE_TIMING.maxAgeMs - 1000);
    expect(await verifies(cache, old)).toBe(true);
    clock.advance(1000);
    expect(await verifies(cache, old)).toBe(false);
    expect(issuer.reads).toBe(2);
  });

  it('a token naming an unknown kid re-reads the set, at most once per cooldown of the clock', async () => {
    const { issuer, clock, cache } = setup();
    expect(await verifies(cache, await sign(first))).toBe(true);
    issuer.published = [second, first];
    const rotated = await sign(second);
    expect(await verifies(cache, rotated)).toBe(false);
    expect(issuer.reads).toBe(1);
    clock.advance(KEY_CACHE_TIMING.cooldownMs);
    expect(await verifies(cache, rotated)).toBe(true);
    expect(issuer.reads).toBe(2);
    const unknown = await sign(await signingKey('never-published'));
    expect(await verifies(cache, unknown)).toBe(false);
    expect(issuer.reads).toBe(2);
  });

  it('a failed read is not kept: the next verification reads again', async () => {
    const { issuer } = setup();
    let failing = true;
    const flaky = new IssuerKeyCache(async () => {
      if (failing) throw new Error('JWKS unreachable');
      return issuer.read();
    }, new ManualClock());
    const token = await sign(first);
    await expect(verifies(flaky, token)).rejects.toThrow('JWKS unreachable');
    failing = false;
    expect(await verifies(flaky, token)).toBe(true);
  });
});
