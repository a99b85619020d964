import { asymmetricSigner, emptySigner, hmacSigner, type Signer } from './jws.ts';
import type { LabKeyPair, LabKeyring } from './keys.ts';

/** Every way the lab can sign a token, valid ones first. */
export const LAB_KEYS = [
  'es256', // the lab's listed ES256 key (default)
  'rs256', // the lab's listed RS256 key (RFC 9068 §4: RS256 is mandatory to support)
  'foreign', // a key not in the JWKS, under the ES256 key's kid → bad signature
  'unlisted', // a key not in the JWKS, under a kid that is not in the JWKS either
  'none', // RFC 7519 §6 unsecured JWT: alg "none", empty signature
  'hs256-public-key', // RFC 8725 §2.1 key confusion: HS256 keyed with the ES256 public key's SPKI PEM
  'embedded-jwk', // an attacker key carried in the `jwk` header (RFC 7515 §4.1.3), no kid
  'jku', // an attacker key whose JWKS the `jku` header (RFC 7515 §4.1.2) points at
] as const;

export type LabKey = (typeof LAB_KEYS)[number];

/** The protected header members a variant fixes (before `typ` and the caller's overrides) and how it signs. */
export interface SigningVariant {
  header: Record<string, unknown>;
  sign: Signer;
}

/** Signs with `pair`, announcing its alg and the given header members. */
function signedBy(pair: LabKeyPair, members: Record<string, unknown>): SigningVariant {
  return { header: { alg: pair.alg, ...members }, sign: asymmetricSigner(pair.alg, pair.privateKey) };
}

export function signingVariant(key: LabKey, keys: LabKeyring, attackerJwksUri: string): SigningVariant {
  const { es256, rs256, foreign, unlisted, attacker } = keys;
  switch (key) {
    case 'es256':
      return signedBy(es256, { kid: es256.kid });
    case 'rs256':
      return signedBy(rs256, { kid: rs256.kid });
    case 'foreign':
      return signedBy(foreign, { kid: es256.kid });
    case 'unlisted':
      return signedBy(unlisted, { kid: unlisted.kid });
    case 'none':
      // The kid names a listed key, so a verifier that looks the key up first still reaches the `alg` decision.
      return { header: { alg: 'none', kid: es256.kid }, sign: emptySigner };
    case 'hs256-public-key':
      return { header: { alg: 'HS256', kid: es256.kid }, sign: hmacSigner(keys.es256PublicPem) };
    case 'embedded-jwk':
      return signedBy(attacker, { jwk: attacker.bareJwk });
    case 'jku':
      return signedBy(attacker, { jku: attackerJwksUri, kid: attacker.kid });
  }
}
