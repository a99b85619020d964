import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';

export interface DecodedJwt {
  header: ProtectedHeaderParameters;
  claims: JWTPayload;
}

/** The header and claims of a signed JWT (not verified), or undefined for an opaque (or encrypted) token. */
export function decodeAccessToken(token: string): DecodedJwt | undefined {
  if (token.split('.').length !== 3) return undefined;
  try {
    return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
  } catch {
    return undefined;
  }
}

/** `aud` as a list (RFC 7519 §4.1.3: a string or an array of strings). */
export function audiences(claims: JWTPayload): string[] {
  const { aud } = claims;
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((value): value is string => typeof value === 'string') : [];
}

/** RFC 8693 §4.1: the actors of an `act` claim, the current actor first and the earliest last. */
export function actorChain(act: unknown): string[] {
  if (typeof act !== 'object' || act === null) return [];
  const { sub, act: prior } = act as { sub?: unknown; act?: unknown };
  return typeof sub === 'string' ? [sub, ...actorChain(prior)] : [];
}

/** Who a delegated token speaks for (`sub`), where it goes (`aud`), and who acts (RFC 8693 §4.1). */
export interface DelegationChain {
  sub?: string;
  aud?: unknown;
  /** The actors, current first. */
  actors: string[];
}

/** The delegation a JWT carries; undefined for a token that is not a decodable JWT. */
export function delegationOf(token: string): DelegationChain | undefined {
  try {
    const claims = decodeJwt(token);
    return {
      ...(typeof claims.sub === 'string' ? { sub: claims.sub } : {}),
      aud: claims.aud,
      actors: actorChain(claims.act),
    };
  } catch {
    return undefined;
  }
}

/** True for a signed JWT (three segments, a decodable header and payload). */
export function isJwt(token: string): boolean {
  return decodeAccessToken(token) !== undefined;
}
