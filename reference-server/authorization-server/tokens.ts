import { epochSeconds } from '../../harness/clock.ts';
import type { AccessTokenRecord, ActorClaim, ClientRecord } from '../store/index.ts';
import type { IssuerContext } from './context.ts';
import { authenticationClaims } from './grant-authentication.ts';
import { base64url, randomToken } from './http.ts';
import type { SigningKeys } from './keys.ts';
import { holdsAt, VerifiedTokenMemo, verifiedToken } from './verified-tokens.ts';

const THIRTY_DAYS_SECONDS = 30 * 24 * 60 * 60;

export interface AccessTokenGrant {
  grantId: string;
  clientId: string;
  sub: string;
  resource: string;
  scope: string;
  /** RFC 8693 §4.1: who acts for `sub` (token exchange). */
  act?: ActorClaim;
  /** RFC 8693 §4.4: who may act for `sub` with this token (token exchange). */
  mayAct?: ActorClaim;
  /** A user's token, or a machine's (client credentials: `sub` is the client); default: a machine when sub = clientId. */
  subject?: 'user' | 'client';
}

/** OIDC Core §11, MCP 2026-07-28 (Refresh Tokens): asks for a refresh token; it grants nothing at any resource. */
export const OFFLINE_ACCESS = 'offline_access';

export function scopeItems(scope: string): string[] {
  return [...new Set(scope.split(' ').filter((item) => item !== ''))];
}

export function hasOfflineAccess(scope: string): boolean {
  return scopeItems(scope).includes(OFFLINE_ACCESS);
}

/** RFC 9068 §2.2.3: every scope of an access token is meaningful to its audience, so offline_access never is one. */
export function resourceScope(ctx: IssuerContext, scope: string): string {
  if (ctx.defects.has('offline-access-in-access-token')) return scope;
  return scopeItems(scope)
    .filter((item) => item !== OFFLINE_ACCESS)
    .join(' ');
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  record: AccessTokenRecord;
}

/** What a token response carries, noted as it is built so the token endpoint records it without reading it back. */
export interface IssuedTokenNote {
  record: AccessTokenRecord;
  withRefreshToken: boolean;
}

const ISSUED_IN_RESPONSE = new WeakMap<Response, IssuedTokenNote>();

export function noteIssuedToken(response: Response, note: IssuedTokenNote): Response {
  ISSUED_IN_RESPONSE.set(response, note);
  return response;
}

export function issuedTokenNoted(response: Response): IssuedTokenNote | undefined {
  return ISSUED_IN_RESPONSE.get(response);
}

/**
 * RFC 9068: a JWT access token typed `at+jwt` (§2.1), carrying iss, sub, aud, client_id, iat, exp, jti and scope
 * (§2.2), audience-restricted to the requested resource (§3, RFC 8707 §2). Recorded by `jti` with its grant, so
 * revoking the grant revokes the token. An opaque token is a random 256-bit string recorded with the same claims.
 */
export async function issueAccessToken(
  ctx: IssuerContext,
  grant: AccessTokenGrant,
  /** The client's record when the caller holds it already (it authenticated at this request). */
  knownClient?: ClientRecord,
): Promise<IssuedAccessToken> {
  const { defects } = ctx;
  const iat = epochSeconds(ctx.clock);
  const client = knownClient ?? (await ctx.store.clients.get(grant.clientId));
  const expiresIn = defects.has('long-lived-access-tokens') ? THIRTY_DAYS_SECONDS : accessTokenTtl(ctx, grant, client);
  const opaqueToken = ctx.accessTokenFormat === 'opaque' ? randomToken(32) : undefined;
  const record: AccessTokenRecord = {
    jti: opaqueToken === undefined ? randomToken(16) : await opaqueTokenId(opaqueToken),
    format: ctx.accessTokenFormat,
    grantId: grant.grantId,
    issuer: ctx.issuer,
    clientId: grant.clientId,
    sub: grant.sub,
    aud: defects.has('audience-not-bound') ? ctx.issuer : grant.resource,
    scope: resourceScope(ctx, grant.scope),
    iat,
    exp: iat + expiresIn,
    ...(grant.act ? { act: grant.act } : {}),
    ...(grant.mayAct ? { mayAct: grant.mayAct } : {}),
  };
  const accessToken = opaqueToken ?? (await signAccessToken(ctx, record, client));
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
    ...(record.mayAct ? { may_act: record.mayAct } : {}),
  };
}

/**
 * Seed 004 (Session Management): a client's custom lifetimes replace the server's: the session token timeout for user
 * tokens, the access key timeout for client credentials tokens.
 */
function accessTokenTtl(ctx: IssuerContext, grant: AccessTokenGrant, client: ClientRecord | undefined): number {
  const settings = ctx.defects.has('client-session-settings-ignored') ? undefined : client?.session_management;
  const machine = (grant.subject ?? (grant.sub === grant.clientId ? 'client' : 'user')) === 'client';
  const custom = machine ? settings?.access_key_ttl_seconds : settings?.session_token_ttl_seconds;
  return custom ?? ctx.accessTokenTtlSeconds;
}

/**
 * Seed 004 (Token Format): a client with custom session settings names the kind of JWT it gets, a user session
 * ("user-jwt") or a machine identity ("access-key-jwt"); the JWT carries it as the private claim `token_format`.
 */
function tokenFormatClaim(client: ClientRecord | undefined): Record<string, string> {
  const format = client?.session_management?.token_format;
  return format ? { token_format: format } : {};
}

/**
 * RFC 9068 §2.2.1 (acr, amr) and §2.2.3.1 (further claims): a flow grant's sign-in claims come first, so the
 * registered claims the server sets always win.
 */
function signAccessToken(ctx: IssuerContext, record: AccessTokenRecord, client: ClientRecord | undefined) {
  const signIn = authenticationClaims(ctx.grantAuthentications.get(record.grantId));
  const claims = { ...signIn, ...tokenClaims(record), ...tokenFormatClaim(client) };
  return ctx.keys.sign(claims, ctx.defects.has('at-typ-jwt') ? 'JWT' : 'at+jwt');
}

/** The store key of an opaque token: its SHA-256 digest, base64url encoded. */
async function opaqueTokenId(token: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))));
}

function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

/**
 * The record of a token this issuer issued: a JWT must verify (signature, issuer, and times unless `includeExpired`,
 * which leaves expiry to the record), an opaque token must be known by its digest. Undefined for anything else.
 * The record is read from the store on every call, so revocation and expiry always come from it.
 */
export async function findTokenRecord(
  ctx: IssuerContext,
  token: string,
  { includeExpired = false } = {},
): Promise<AccessTokenRecord | undefined> {
  const format = looksLikeJwt(token) ? 'jwt' : 'opaque';
  const verifiedAt = includeExpired ? new Date(0) : new Date(ctx.clock.now());
  const jti = format === 'jwt' ? await verifiedJti(ctx, token, verifiedAt) : await opaqueTokenId(token);
  if (jti === undefined) return undefined;
  const record = await ctx.store.tokens.get(jti);
  if (!record || record.issuer !== ctx.issuer || record.format !== format) return undefined;
  return record;
}

/** Verified JWTs by token string, one memo per key set (shared by the issuers that sign with it). */
const verifiedTokenMemos = new WeakMap<SigningKeys, VerifiedTokenMemo>();

function verifiedTokenMemo(keys: SigningKeys): VerifiedTokenMemo {
  let memo = verifiedTokenMemos.get(keys);
  if (!memo) {
    memo = new VerifiedTokenMemo(keys);
    verifiedTokenMemos.set(keys, memo);
  }
  return memo;
}

/**
 * RFC 7519 §7.2: the `jti` of a JWT whose signature, issuer and times hold at `now`. A token string verified before
 * under the same keys skips the signature check; its `exp` and `nbf` are judged again at `now`.
 */
async function verifiedJti(ctx: IssuerContext, token: string, now: Date): Promise<string | undefined> {
  const memo = verifiedTokenMemo(ctx.keys);
  const known = memo.recall(token);
  if (known?.issuer === ctx.issuer) return holdsAt(known, now) ? known.jti : undefined;
  const claims = await ctx.keys.verify(token, { issuer: ctx.issuer, now });
  const verified = claims && verifiedToken(ctx.issuer, claims);
  if (verified) memo.remember(token, verified);
  return verified?.jti;
}

export type InactiveReason = 'revoked' | 'expired';

/** RFC 7662 §4: why a token is no longer active (it or its grant revoked, or expired by the injected clock). */
export async function inactiveReason(
  ctx: IssuerContext,
  record: AccessTokenRecord,
): Promise<InactiveReason | undefined> {
  if (record.revokedAt !== undefined) return 'revoked';
  const grant = await ctx.store.grants.get(record.grantId);
  if (!grant || grant.revokedAt !== undefined) return 'revoked';
  if (epochSeconds(ctx.clock) >= record.exp) return 'expired';
  return undefined;
}

/** RFC 7662 §4: a token is active only while unexpired (by the injected clock) and neither it nor its grant is revoked. */
export async function activeTokenRecord(ctx: IssuerContext, token: string): Promise<AccessTokenRecord | undefined> {
  const record = await findTokenRecord(ctx, token);
  if (!record || (await inactiveReason(ctx, record)) !== undefined) return undefined;
  return record;
}

/** Revokes a grant and with it every token issued under it (OAuth 2.1 §4.1.3 on code replay). */
export async function revokeGrant(ctx: IssuerContext, grantId: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.store.grants.revoke(grantId, now);
  for (const token of await ctx.store.tokens.listByGrant(grantId)) await ctx.store.tokens.revoke(token.jti, now);
}
