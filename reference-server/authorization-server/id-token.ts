/**
 * OpenID Connect Core 1.0 §2: the ID Token, a JWT the OP signs about the authentication of the end-user for one
 * client: iss, sub, aud (the client_id), exp, iat and auth_time. Signed with the server's current key (§10.1) and
 * verified against every published one.
 */
import { epochSeconds } from '../../harness/clock.ts';
import type { IssuerContext } from './context.ts';
import { authenticationClaims } from './grant-authentication.ts';

/** ID tokens are short-lived proofs of one authentication, not credentials to keep. */
export const ID_TOKEN_TTL_SECONDS = 300;

export interface IdTokenSubject {
  sub: string;
  clientId: string;
  /** Epoch milliseconds: when the user authenticated (approved). */
  authTime: number;
  nonce?: string;
  /** The grant the ID token is issued under: a consent flow's sign-in claims (email, custom, amr, acr) come with it. */
  grantId?: string;
}

/** §2: the claims every ID token carries, signed with the server's key (§2: ID tokens MUST be signed, never alg none). */
export function issueIdToken(ctx: IssuerContext, subject: IdTokenSubject): Promise<string> {
  const iat = epochSeconds(ctx.clock);
  const signIn = subject.grantId ? ctx.grantAuthentications.get(subject.grantId) : undefined;
  const claims = {
    // §2: amr and acr describe the authentication; flow claims never replace the ones below.
    ...authenticationClaims(signIn),
    iss: ctx.issuer,
    sub: subject.sub,
    aud: subject.clientId,
    exp: iat + ID_TOKEN_TTL_SECONDS,
    iat,
    auth_time: Math.floor(subject.authTime / 1000),
    ...(subject.nonce ? { nonce: subject.nonce } : {}),
  };
  return ctx.keys.sign(claims, 'JWT');
}

/**
 * The `sub` of an unexpired ID token this issuer signed for `clientId` (an `id_token_hint`, CIBA Core §7.1), or
 * undefined when it is not one.
 */
export async function idTokenSubject(ctx: IssuerContext, token: string, clientId: string): Promise<string | undefined> {
  const claims = await ctx.keys.verify(token, { issuer: ctx.issuer, now: new Date(ctx.clock.now()) });
  if (!claims || typeof claims.sub !== 'string') return undefined;
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  return audience.includes(clientId) ? claims.sub : undefined;
}
