import { epochSeconds } from '../../harness/clock.ts';
import type { AccessTokenRecord } from '../store/index.ts';
import type { IssuerContext } from './context.ts';
import { randomToken } from './http.ts';

const THIRTY_DAYS_SECONDS = 30 * 24 * 60 * 60;

export interface AccessTokenGrant {
  grantId: string;
  clientId: string;
  sub: string;
  resource: string;
  scope: string;
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  record: AccessTokenRecord;
}

/**
 * RFC 9068: a JWT access token typed `at+jwt` (§2.1), carrying iss, sub, aud, client_id, iat, exp, jti and scope
 * (§2.2), audience-restricted to the requested resource (§3, RFC 8707 §2). Recorded by `jti` with its grant, so
 * revoking the grant revokes the token.
 */
export async function issueAccessToken(ctx: IssuerContext, grant: AccessTokenGrant): Promise<IssuedAccessToken> {
  const { defects } = ctx;
  const iat = epochSeconds(ctx.clock);
  const expiresIn = defects.has('long-lived-access-tokens') ? THIRTY_DAYS_SECONDS : ctx.accessTokenTtlSeconds;
  const record: AccessTokenRecord = {
    jti: randomToken(16),
    grantId: grant.grantId,
    issuer: ctx.issuer,
    clientId: grant.clientId,
    sub: grant.sub,
    aud: defects.has('audience-not-bound') ? ctx.issuer : grant.resource,
    scope: grant.scope,
    iat,
    exp: iat + expiresIn,
  };
  const claims = {
    iss: record.issuer,
    sub: record.sub,
    aud: record.aud,
    client_id: record.clientId,
    iat: record.iat,
    exp: record.exp,
    jti: record.jti,
    ...(record.scope ? { scope: record.scope } : {}),
  };
  const accessToken = await ctx.keys.sign(claims, defects.has('at-typ-jwt') ? 'JWT' : 'at+jwt');
  await ctx.store.tokens.save(record);
  return { accessToken, expiresIn, record };
}

/** RFC 7662 §4: a token is active only while unexpired (by the injected clock) and neither it nor its grant is revoked. */
export async function activeTokenRecord(ctx: IssuerContext, token: string): Promise<AccessTokenRecord | undefined> {
  const claims = await ctx.keys.verify(token, { issuer: ctx.issuer, now: new Date(ctx.clock.now()) });
  if (typeof claims?.jti !== 'string') return undefined;
  const record = await ctx.store.tokens.get(claims.jti);
  if (!record || record.issuer !== ctx.issuer || record.revokedAt !== undefined) return undefined;
  if (epochSeconds(ctx.clock) >= record.exp) return undefined;
  const grant = await ctx.store.grants.get(record.grantId);
  if (!grant || grant.revokedAt !== undefined) return undefined;
  return record;
}

/** Revokes a grant and with it every token issued under it (OAuth 2.1 §4.1.3 on code replay). */
export async function revokeGrant(ctx: IssuerContext, grantId: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.store.grants.revoke(grantId, now);
  for (const token of await ctx.store.tokens.listByGrant(grantId)) await ctx.store.tokens.revoke(token.jti, now);
}
