import {
  createLocalJWKSet,
  EmbeddedJWK,
  errors,
  exportSPKI,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
  type ProtectedHeaderParameters,
} from 'jose';
import type { Clock } from '../../harness/clock.ts';
import type { Fetch } from '../../harness/network/types.ts';
import type { Defects } from '../defects.ts';
import type { DiscoveredIssuer } from './issuer-directory.ts';

/** RFC 9068 §4, RFC 8725 §3.1: asymmetric algorithms only; never `none`, never a shared-secret HMAC. */
export const ACCEPTED_ALGORITHMS = ['ES256', 'RS256', 'PS256'];

/** The key (or key set) a token is verified with, and the algorithms allowed with it. */
export interface VerificationKey {
  key: JWTVerifyGetKey | CryptoKey | Uint8Array;
  algorithms: string[];
}

/** How long a read key set is trusted, and how soon after a read a token naming an unknown `kid` may cause another. */
export interface KeyCacheTiming {
  maxAgeMs: number;
  cooldownMs: number;
}

/** The defaults of jose's remote key set: keys kept 10 minutes, an unknown kid re-reads at most every 30 seconds. */
export const KEY_CACHE_TIMING: KeyCacheTiming = { maxAgeMs: 10 * 60_000, cooldownMs: 30_000 };

/**
 * An issuer's published key set as this resource server holds it, aged by the server's own clock (so simulated time
 * ages it too). RFC 7517 §4.5: a token naming an unknown `kid` means the issuer has rotated, so the set is read again,
 * but no more often than the cooldown allows; a retired key keeps verifying until the set is read again.
 */
export class IssuerKeyCache {
  readonly #read: () => Promise<JSONWebKeySet>;
  readonly #clock: Clock;
  readonly #timing: KeyCacheTiming;
  #keys: JWTVerifyGetKey | undefined;
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<JWTVerifyGetKey> | undefined;

  constructor(read: () => Promise<JSONWebKeySet>, clock: Clock, timing: KeyCacheTiming = KEY_CACHE_TIMING) {
    this.#read = read;
    this.#clock = clock;
    this.#timing = timing;
  }

  /** The key a token's header names (jose's key resolver); jose's JWKSNoMatchingKey when the issuer has none. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const keys = this.#keys && !this.#olderThan(this.#timing.maxAgeMs) ? this.#keys : await this.#reread();
    try {
      return await keys(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || !this.#olderThan(this.#timing.cooldownMs)) throw error;
      return (await this.#reread())(header, token);
    }
  };

  #olderThan(ms: number): boolean {
    return this.#clock.now() - this.#readAt >= ms;
  }

  /** One read at a time: concurrent verifications wait for the same answer. */
  #reread(): Promise<JWTVerifyGetKey> {
    this.#reading ??= this.#read()
      .then((jwks) => {
        this.#keys = createLocalJWKSet(jwks);
        this.#readAt = this.#clock.now();
        return this.#keys;
      })
      .finally(() => {
        this.#reading = undefined;
      });
    return this.#reading;
  }
}

const keyCaches = new WeakMap<DiscoveredIssuer, IssuerKeyCache>();

/** The key cache of a discovered issuer (one per discovery, so per resource server and its clock). */
function issuerKeyCache(issuer: DiscoveredIssuer, clock: Clock): IssuerKeyCache {
  let cache = keyCaches.get(issuer);
  if (!cache) {
    cache = new IssuerKeyCache(() => issuer.jwks(), clock);
    keyCaches.set(issuer, cache);
  }
  return cache;
}

/**
 * RFC 8725 §3.1, §3.10: the key comes only from the issuer's published JWKS, found through its metadata; the token's
 * own header never supplies a key, a key URL or a symmetric algorithm. Each planted defect is one way to break that.
 */
export async function verificationKey(
  header: ProtectedHeaderParameters,
  issuer: DiscoveredIssuer,
  defects: Defects,
  fetch: Fetch,
  clock: Clock,
): Promise<VerificationKey> {
  const algorithms = defects.has('rs256-rejected')
    ? ACCEPTED_ALGORITHMS.filter((alg) => alg !== 'RS256')
    : ACCEPTED_ALGORITHMS;
  if (header.alg === 'HS256' && defects.has('hs256-public-key-accepted')) {
    return { key: await publicKeyAsHmacSecret(issuer, header.kid), algorithms: ['HS256'] };
  }
  if (header.jwk && defects.has('embedded-jwk-trusted')) return { key: EmbeddedJWK, algorithms };
  if (typeof header.jku === 'string' && defects.has('jku-followed')) {
    return { key: createLocalJWKSet(await fetchKeySet(header.jku, fetch)), algorithms };
  }
  return { key: issuerKeyCache(issuer, clock).getKey, algorithms };
}

/** The alg-confusion bug: the issuer's ES256 public key, as SPKI PEM text, used as an HMAC secret. */
async function publicKeyAsHmacSecret(issuer: DiscoveredIssuer, kid: string | undefined): Promise<Uint8Array> {
  const { keys } = await issuer.jwks();
  const ecKeys = keys.filter((key: JWK) => key.kty === 'EC' && key.crv === 'P-256');
  const jwk = ecKeys.find((key) => kid === undefined || key.kid === kid) ?? ecKeys[0];
  if (!jwk) throw new Error('the issuer publishes no ES256 key');
  const publicKey = await importJWK({ ...jwk, alg: 'ES256' }, 'ES256', { extractable: true });
  if (publicKey instanceof Uint8Array) throw new Error('the issuer key is not an ES256 public key');
  return new TextEncoder().encode(await exportSPKI(publicKey));
}

async function fetchKeySet(url: string, fetch: Fetch): Promise<JSONWebKeySet> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return (await response.json()) as JSONWebKeySet;
}
