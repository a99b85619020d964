import { createHmac } from 'node:crypto';
import { base64url, type CryptoKey } from 'jose';
import type { LabSigningAlg } from './keys.ts';

/** Produces the signature bytes over a JWS signing input. */
export type Signer = (signingInput: Uint8Array<ArrayBuffer>) => Promise<Uint8Array>;

const WEB_CRYPTO_PARAMS: Record<LabSigningAlg, AlgorithmIdentifier | EcdsaParams> = {
  // RFC 7518 §3.4: ECDSA P-256 SHA-256, signature = R || S (WebCrypto's raw form).
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  // RFC 7518 §3.3: RSASSA-PKCS1-v1_5 SHA-256.
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
};

export function asymmetricSigner(alg: LabSigningAlg, privateKey: CryptoKey): Signer {
  return async (signingInput) =>
    new Uint8Array(await crypto.subtle.sign(WEB_CRYPTO_PARAMS[alg], privateKey, signingInput));
}

/** RFC 7518 §3.2: HMAC SHA-256 with the given secret text. */
export function hmacSigner(secret: string): Signer {
  return async (signingInput) => new Uint8Array(createHmac('sha256', secret).update(signingInput).digest());
}

/** RFC 7518 §3.6: `alg: none` carries an empty signature. */
export const emptySigner: Signer = async () => new Uint8Array();

function encodeSegment(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

/**
 * RFC 7515 §7.1 compact serialization, assembled directly so that any header a test asks for (an unknown `crit`,
 * an `alg` that does not match the key, `b64`) can be produced; the signature comes from `sign`, not from the header.
 */
export async function compactJws(header: object, payload: object, sign: Signer): Promise<string> {
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`;
  const signature = await sign(new TextEncoder().encode(signingInput));
  return `${signingInput}.${base64url.encode(signature)}`;
}
