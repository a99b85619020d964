import { epochSeconds } from '../../harness/clock.ts';
import type { AccessTokenRecord, ActorClaim } from '../store/index.ts';
import type { IssuerContext } from './context.ts';
import { base64url, randomToken } from './http.ts';

const THIRTY_DAYS_SECONDS = 30 * 24 * 60 * 60;

export interface AccessTokenGrant {
  grantId: string;
  clientId: string;
  sub: string;
  resource: string;
  scope: string;
  /** RFC 8693 §4.1: who acts for `sub` (token exchange). */
  act?: ActorClaim;
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  record: AccessTokenRecord;
}

/**
 * RFC 9068: a JWT access token typed `at+jwt` (§2.1), carrying iss, sub, aud, client_id, iat, exp, jti and scope
 * (§2.2), audience-restricted to the requested resource (§3, RFC 8707 §2). Recorded by `jti` with its grant, so
 * revoking the grant revokes the token. An opaque token is a random 256-bit string recorded with the same claims.
 */
export async function issueAccessToken(ctx: IssuerContext, grant: AccessTokenGrant): Promise<IssuedAccessToken> {
  const { defects } = ctx;
  const iat = epochSeconds(ctx.clock);
  const expiresIn = defects.has('long-lived-access-tokens') ? THIRTY_DAYS_SECONDS : ctx.accessTokenTtlSeconds;
  const opaqueToken = ctx.accessTokenFormat === 'opaque' ? randomToken(32) : undefined;
  const record: AccessTokenRecord = {
    jti: opaqueToken === undefined ? randomToken(16) : await opaqueTokenId(opaqueToken),
    format: ctx.accessTokenFormat,
    grantId: grant.grantId,
    issuer: ctx.issuer,
    clientId: grant.clientId,
    sub: grant.sub,
    aud: defects.has('audience-not-bound') ? ctx.issuer : grant.resource,
    scope: grant.scope,
    iat,
    exp: iat + expiresIn,
    ...(grant.act ? { act: grant.act } : {}),
  };
  const accessToken = opaqueToken ?? (await signAccessToken(ctx, record));
  await ctx.store.tokens.save(record);
  return { accessToken, expiresIn, record };
}

/** The claims a token carries, as a JWT payload or an introspection response (RFC 7662 §2.2). */
export function tokenClaims(record: AccessTokenRecord): Record<string, unknown> {
  return {
    iss: record.issuer,
    sub: record.sub,
    aud: record.aud,
    client_id: record.clientId,
    iat: record.iat,
    exp: record.exp,
    jti: record.jti,
    ...(record.scope ? { scope: record.scope } : {}),
    ...(record.act ? { act: record.act } : {}),
  };
}

function signAccessToken(ctx: IssuerContext, record: AccessTokenRecord): Promise<string> {
  return ctx.keys.sign(tokenClaims(record), ctx.defects.has('at-typ-jwt') ? 'JWT' : 'at+jwt');
}

/** The store key of an opaque token: its SHA-256 digest, base64url encoded. */
async function opaqueTokenId(token: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))));
}

function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

/**
 * The record of a token this issuer issued, whatever its state: a JWT must verify (signature, issuer, times), an
 * opaque token must be known by its digest. Undefined for anything else.
 */
export async function findTokenRecord(ctx: IssuerContext, token: string): Promise<AccessTokenRecord | undefined> {
  const format = looksLikeJwt(token) ? 'jwt' : 'opaque';
  const jti = format === 'jwt' ? await verifiedJti(ctx, token) : await opaqueTokenId(token);
  if (jti === undefined) return undefined;
  const record = await ctx.store.tokens.get(jti);
  if (!record || record.issuer !== ctx.issuer || record.format !== format) return undefined;
  return record;
}

async function verifiedJti(ctx: IssuerContext, token: string): Promise<string | undefined> {
  const claims = await ctx.keys.verify(token, { issuer: ctx.issuer, now: new Date(ctx.clock.now()) });
  return typeof claims?.jti === 'string' ? claims.jti : undefined;
}

/** RFC 7662 §4: a token is active only while unexpired (by the injected clock) and neither it nor its grant is revoked. */
export async function activeTokenRecord(ctx: IssuerContext, token: string): Promise<AccessTokenRecord | undefined> {
  const record = await findTokenRecord(ctx, token);
  if (!record || record.revokedAt !== undefined) return undefined;
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
