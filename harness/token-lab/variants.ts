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

function listedKid(kid: string, pair: LabKeyPair): SigningVariant {
  return { header: { alg: pair.alg, kid }, sign: asymmetricSigner(pair.alg, pair.privateKey) };
}

export function signingVariant(key: LabKey, keys: LabKeyring, attackerJwksUri: string): SigningVariant {
  const { es256, rs256, foreign, unlisted, attacker } = keys;
  switch (key) {
    case 'es256':
      return listedKid(es256.kid, es256);
    case 'rs256':
      return listedKid(rs256.kid, rs256);
    case 'foreign':
      return listedKid(es256.kid, foreign);
    case 'unlisted':
      return listedKid(unlisted.kid, unlisted);
    case 'none':
      // The kid names a listed key, so a verifier that looks the key up first still reaches the `alg` decision.
      return { header: { alg: 'none', kid: es256.kid }, sign: emptySigner };
    case 'hs256-public-key':
      return { header: { alg: 'HS256', kid: es256.kid }, sign: hmacSigner(keys.es256PublicPem) };
    case 'embedded-jwk':
      return { header: { alg: attacker.alg, jwk: attacker.bareJwk }, sign: asymmetricSigner('ES256', attacker.privateKey) };
    case 'jku':
      return {
        header: { alg: attacker.alg, jku: attackerJwksUri, kid: attacker.kid },
        sign: asymmetricSigner('ES256', attacker.privateKey),
      };
  }
}
