import { type CryptoKey, calculateJwkThumbprint, exportJWK, exportSPKI, generateKeyPair, type JWK } from 'jose';

export type LabSigningAlg = 'ES256' | 'RS256';

export interface LabKeyPair {
  alg: LabSigningAlg;
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The bare public JWK (no kid, alg or use), as an embedded `jwk` header carries it. */
  bareJwk: JWK;
  /** The public JWK as a key set publishes it: with `kid`, `alg` and `use`. */
  publishedJwk: JWK;
}

/** Every key the lab signs with: the two it publishes and the ones an attacker would hold. */
export interface LabKeyring {
  es256: LabKeyPair;
  rs256: LabKeyPair;
  /** Never published; its tokens claim the ES256 key's kid. */
  foreign: LabKeyPair;
  /** Never published, under its own kid. */
  unlisted: LabKeyPair;
  /** Embedded in `jwk` headers and served only at the attacker JWKS. */
  attacker: LabKeyPair;
  /** SPKI PEM text of the published ES256 public key (the secret of the HS256 key-confusion token). */
  es256PublicPem: string;
}

async function generateLabKeyPair(alg: LabSigningAlg): Promise<LabKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const bareJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(bareJwk);
  return { alg, kid, privateKey, publicKey, bareJwk, publishedJwk: { ...bareJwk, kid, alg, use: 'sig' } };
}

export async function createLabKeyring(): Promise<LabKeyring> {
  const [es256, rs256, foreign, unlisted, attacker] = await Promise.all([
    generateLabKeyPair('ES256'),
    generateLabKeyPair('RS256'),
    generateLabKeyPair('ES256'),
    generateLabKeyPair('ES256'),
    generateLabKeyPair('ES256'),
  ]);
  return { es256, rs256, foreign, unlisted, attacker, es256PublicPem: await exportSPKI(es256.publicKey) };
}
