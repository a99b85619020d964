import { RESERVED_CLAIMS } from '../flows/claims.ts';
/**
 * How the user behind a grant signed in through a consent flow: the claims every token of the grant carries
 * (RFC 9068 §2.2.1 allows `acr`, `amr` and further claims in JWT access tokens; OIDC Core §2 in ID tokens).
 */

import type { JsonValue } from '../flows/types.ts';

export interface GrantAuthentication {
  /** `email` and the flow's custom claims. */
  claims: Record<string, JsonValue>;
  /** RFC 8176 method references, e.g. ['pwd', 'otp']. */
  amr: string[];
  acr?: string;
  /** Epoch milliseconds. */
  authTime: number;
  flowId: string;
}

/** Kept beside the grants (by grant id), so refreshed access tokens carry the same claims. */
export class GrantAuthentications {
  readonly #byGrant = new Map<string, GrantAuthentication>();

  save(grantId: string, authentication: GrantAuthentication): void {
    this.#byGrant.set(grantId, structuredClone(authentication));
  }

  get(grantId: string): GrantAuthentication | undefined {
    const found = this.#byGrant.get(grantId);
    return found && structuredClone(found);
  }
}

/** Claims the server sets itself; flow claims never replace them (the registered ones, and these). */
const PROTECTED_CLAIMS: ReadonlySet<string> = new Set([
  ...RESERVED_CLAIMS,
  'act',
  'may_act',
  'azp',
  'nonce',
  'auth_time',
  'at_hash',
  'token_format',
]);

/** The claims a token of the grant adds to the ones the server sets: email, custom claims, amr and acr. */
export function authenticationClaims(authentication: GrantAuthentication | undefined): Record<string, JsonValue> {
  if (!authentication) return {};
  const claims: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(authentication.claims)) {
    if (!PROTECTED_CLAIMS.has(name)) claims[name] = value;
  }
  if (authentication.amr.length > 0) claims.amr = [...authentication.amr];
  if (authentication.acr !== undefined) claims.acr = authentication.acr;
  return claims;
}
