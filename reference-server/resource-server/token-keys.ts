import {
  createLocalJWKSet,
  EmbeddedJWK,
  exportSPKI,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
  type ProtectedHeaderParameters,
} from 'jose';
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

/**
 * RFC 8725 §3.1, §3.10: the key comes only from the issuer's published JWKS, found through its metadata; the token's
 * own header never supplies a key, a key URL or a symmetric algorithm. Each planted defect is one way to break that.
 */
export async function verificationKey(
  header: ProtectedHeaderParameters,
  issuer: DiscoveredIssuer,
  defects: Defects,
  fetch: Fetch,
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
  return { key: issuer.keys, algorithms };
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
