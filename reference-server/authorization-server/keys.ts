import {
  CompactSign,
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';

export const SIGNING_ALG = 'ES256';
const UTF8 = new TextEncoder();

interface KeyPair {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
}

/** The authorization server's signing keys: one current key signs, retired public keys stay published for verifiers. */
export interface SigningKeys {
  readonly alg: typeof SIGNING_ALG;
  /** `kid` of the key that signs new tokens. */
  readonly kid: string;
  /** Changes whenever `rotate` or `retire` changes the published keys: what verified before may no longer verify. */
  readonly generation: number;
  /** RFC 7517 key set of every published public key (current first): what `jwks_uri` serves. */
  jwks(): JSONWebKeySet;
  /** The private halves too; only the `jwks-leaks-private-key` defect ever serves this. */
  privateJwks(): JSONWebKeySet;
  /** Signs `claims` with the current key; the header carries `alg`, `kid` and the given `typ`. */
  sign(claims: JWTPayload, typ: string): Promise<string>;
  /** Verifies a JWT signed by any published key; undefined when the signature, issuer or times do not hold. */
  verify(token: string, expected: { issuer: string; now: Date }): Promise<JWTPayload | undefined>;
  /** Starts signing with a fresh key; the old public key stays in the JWKS until `retire` (tokens it signed still verify). */
  rotate(): Promise<string>;
  /** Removes a non-current key from the JWKS, once every token it signed has expired. */
  retire(kid: string): void;
}

async function generateSigningKey(): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const bare = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(bare);
  const decorate = (jwk: JWK): JWK => ({ ...jwk, kid, alg: SIGNING_ALG, use: 'sig' });
  return { kid, privateKey, publicJwk: decorate(bare), privateJwk: decorate(await exportJWK(privateKey)) };
}

/** RFC 7518 §3.4 ES256 keys, identified by their RFC 7638 thumbprint. */
export async function createSigningKeys(): Promise<SigningKeys> {
  const keys: KeyPair[] = [await generateSigningKey()];
  const current = (): KeyPair => keys[0]!;
  // The published keys as a verifier, built once per key set change: jose imports each key once, on first use.
  let verifier: JWTVerifyGetKey | undefined;
  let generation = 0;
  const keysChanged = () => {
    verifier = undefined;
    generation++;
  };
  const publishedKeys = (): JWTVerifyGetKey => {
    verifier ??= createLocalJWKSet({ keys: keys.map((key) => key.publicJwk) });
    return verifier;
  };
  return {
    alg: SIGNING_ALG,
    get kid() {
      return current().kid;
    },
    get generation() {
      return generation;
    },
    jwks: () => ({ keys: keys.map((key) => ({ ...key.publicJwk })) }),
    privateJwks: () => ({ keys: keys.map((key) => ({ ...key.privateJwk })) }),
    async sign(claims, typ) {
      const { kid, privateKey } = current();
      // RFC 7519 §7.1: a JWT is a JWS whose payload is the claims set as JSON (the claims are this server's own).
      const payload = UTF8.encode(JSON.stringify(claims));
      return new CompactSign(payload).setProtectedHeader({ alg: SIGNING_ALG, typ, kid }).sign(privateKey);
    },
    async verify(token, { issuer, now }) {
      try {
        const { payload } = await jwtVerify(token, publishedKeys(), {
          issuer,
          algorithms: [SIGNING_ALG],
          currentDate: now,
        });
        return payload;
      } catch {
        return undefined;
      }
    },
    async rotate() {
      keys.unshift(await generateSigningKey());
      keysChanged();
      return current().kid;
    },
    retire(kid) {
      const index = keys.findIndex((key) => key.kid === kid);
      if (index > 0) {
        keys.splice(index, 1);
        keysChanged();
      }
    },
  };
}
