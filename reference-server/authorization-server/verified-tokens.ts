import type { JWTPayload } from 'jose';
import type { SigningKeys } from './keys.ts';

/** What one successful verification of a JWT established, besides its signature: whose it is and when it holds. */
export interface VerifiedToken {
  issuer: string;
  jti: string;
  /** The JWT's own `exp` and `nbf` (RFC 7519 §4.1.4, §4.1.5), re-checked on every use as the verifier checks them. */
  exp?: number;
  nbf?: number;
}

export const VERIFIED_TOKEN_MEMO_SIZE = 4096;

/**
 * The token ids of JWTs the published keys already verified, by exact token string, so a token presented again (the
 * resource server asking whether it is still active) costs no second signature check. Bounded: the least recently
 * used entry leaves first. Any change to the published keys (rotation, retirement) forgets everything.
 */
export class VerifiedTokenMemo {
  readonly #entries = new Map<string, VerifiedToken>();
  #generation: number;

  constructor(
    private readonly keys: Pick<SigningKeys, 'generation'>,
    readonly capacity = VERIFIED_TOKEN_MEMO_SIZE,
  ) {
    this.#generation = keys.generation;
  }

  get size(): number {
    return this.#entries.size;
  }

  recall(token: string): VerifiedToken | undefined {
    this.#forgetOnKeyChange();
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    this.#entries.delete(token);
    this.#entries.set(token, entry);
    return entry;
  }

  remember(token: string, verified: VerifiedToken): void {
    this.#forgetOnKeyChange();
    this.#entries.delete(token);
    this.#entries.set(token, verified);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  #forgetOnKeyChange(): void {
    if (this.keys.generation === this.#generation) return;
    this.#entries.clear();
    this.#generation = this.keys.generation;
  }
}

/** The memo entry for a verified payload; undefined when it carries no string `jti` (nothing to look up by). */
export function verifiedToken(issuer: string, payload: JWTPayload): VerifiedToken | undefined {
  if (typeof payload.jti !== 'string') return undefined;
  return {
    issuer,
    jti: payload.jti,
    ...(payload.exp !== undefined ? { exp: payload.exp } : {}),
    ...(payload.nbf !== undefined ? { nbf: payload.nbf } : {}),
  };
}

/** RFC 7519 §4.1.4, §4.1.5 with no leeway, at whole seconds: as jose's `jwtVerify` judges `exp` and `nbf`. */
export function holdsAt(verified: VerifiedToken, at: Date): boolean {
  const now = Math.floor(at.getTime() / 1000);
  if (verified.nbf !== undefined && verified.nbf > now) return false;
  return verified.exp === undefined || verified.exp > now;
}
