/**
 * OAuth 2.1 §4.3 refresh tokens. A refresh token is an opaque random string, stored only as its SHA-256 digest and
 * bound to the client, the grant (its family), the consented scope and resource, with an expiry. Every refresh
 * rotates it (§4.3.1): the presented token is spent, a successor is issued, and presenting a spent token again is
 * treated as theft, which revokes the whole family with every access token of the grant.
 */

import type { ClientRecord, RefreshTokenRecord } from '../../store/index.ts';
import { recordActivity } from '../activity.ts';
import { type AuthenticatedClient, isConfidential } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { canonicalResource } from '../endpoints/authorize.ts';
import { jsonResponse, NO_STORE, OAuthError } from '../errors.ts';
import { base64url, randomToken, singleParam } from '../http.ts';
import {
  hasOfflineAccess,
  type IssuedAccessToken,
  issueAccessToken,
  noteIssuedToken,
  OFFLINE_ACCESS,
  resourceScope,
  revokeGrant,
  scopeItems,
} from '../tokens.ts';

export const REFRESH_TOKEN_GRANT = 'refresh_token';

/** RFC 9700 §4.14.2: refresh tokens expire; thirty days of validity from issue (each rotation starts a new period). */
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60_000;

/** What a refresh token is bound to. */
export interface RefreshTokenBinding {
  grantId: string;
  clientId: string;
  sub: string;
  scope: string;
  resource: string;
  parentId?: string;
}

/**
 * RFC 7591 §2: a client registered for the refresh_token grant type receives refresh tokens; MCP 2026-07-28 (Refresh
 * Tokens) and OIDC Core §11: so does one whose granted `scope` includes offline_access, which asks for one.
 */
export function mayRefresh(client: ClientRecord, scope?: string): boolean {
  return client.grant_types.includes(REFRESH_TOKEN_GRANT) || (scope !== undefined && hasOfflineAccess(scope));
}

async function refreshTokenId(token: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))));
}

/** Issues a refresh token; the store keeps its digest, never the token itself. */
export async function issueRefreshToken(ctx: IssuerContext, binding: RefreshTokenBinding): Promise<string> {
  const token = randomToken(32);
  const now = ctx.clock.now();
  await ctx.store.refreshTokens.save({
    id: await refreshTokenId(token),
    issuer: ctx.issuer,
    ...binding,
    issuedAt: now,
    expiresAt: now + (await refreshTokenTtlMs(ctx, binding.clientId)),
  });
  return token;
}

/** Seed 004 (Session Management): a client's custom refresh token timeout replaces the server's thirty days. */
async function refreshTokenTtlMs(ctx: IssuerContext, clientId: string): Promise<number> {
  if (ctx.defects.has('client-session-settings-ignored')) return REFRESH_TOKEN_TTL_MS;
  const custom = (await ctx.store.clients.get(clientId))?.session_management?.refresh_token_ttl_seconds;
  return custom === undefined ? REFRESH_TOKEN_TTL_MS : custom * 1000;
}

/** The record of a refresh token this issuer issued, whatever its state. */
export async function findRefreshToken(ctx: IssuerContext, token: string): Promise<RefreshTokenRecord | undefined> {
  const record = await ctx.store.refreshTokens.get(await refreshTokenId(token));
  return record?.issuer === ctx.issuer ? record : undefined;
}

/** Why a refresh token can no longer be used (revoked, its grant revoked, expired), or undefined while it can. */
async function deadReason(ctx: IssuerContext, record: RefreshTokenRecord): Promise<string | undefined> {
  const grant = await ctx.store.grants.get(record.grantId);
  if (record.revokedAt !== undefined || !grant || grant.revokedAt !== undefined) return 'the refresh token was revoked';
  // RFC 9700 §4.14.2: refresh tokens expire.
  if (ctx.clock.now() >= record.expiresAt && !ctx.defects.has('refresh-never-expires')) {
    return 'the refresh token has expired';
  }
  return undefined;
}

/** RFC 7662 §2.2: a refresh token is active while usable: alive and not yet spent by a rotation. */
export async function refreshTokenUsable(ctx: IssuerContext, record: RefreshTokenRecord): Promise<boolean> {
  return record.rotatedAt === undefined && (await deadReason(ctx, record)) === undefined;
}

export async function activeRefreshToken(ctx: IssuerContext, token: string): Promise<RefreshTokenRecord | undefined> {
  const record = await findRefreshToken(ctx, token);
  return record && (await refreshTokenUsable(ctx, record)) ? record : undefined;
}

/** The members an introspection response (RFC 7662 §2.2) carries for a refresh token. */
export function refreshTokenClaims(record: RefreshTokenRecord): Record<string, unknown> {
  return {
    iss: record.issuer,
    sub: record.sub,
    aud: record.resource,
    client_id: record.clientId,
    iat: Math.floor(record.issuedAt / 1000),
    exp: Math.floor(record.expiresAt / 1000),
    ...(record.scope ? { scope: record.scope } : {}),
    token_type: 'refresh_token',
  };
}

/** OAuth 2.1 §4.3.1 and RFC 7009 §2.1: the family goes at once, every refresh token and access token of the grant. */
export async function revokeRefreshTokenFamily(ctx: IssuerContext, grantId: string): Promise<void> {
  const now = ctx.clock.now();
  for (const token of await ctx.store.refreshTokens.listByGrant(grantId)) {
    await ctx.store.refreshTokens.revoke(token.id, now);
  }
  await revokeGrant(ctx, grantId);
}

/** OAuth 2.1 §3.2.3: the token response, JSON with token_type and expires_in, never cached. */
export function tokenEndpointResponse(
  ctx: IssuerContext,
  issued: IssuedAccessToken,
  scope: string,
  refreshToken: string | undefined,
): Response {
  // RFC 6749 §5.1: `scope` is the access token's, which never includes offline_access.
  const accessScope = resourceScope(ctx, scope);
  const body = {
    access_token: issued.accessToken,
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    ...(accessScope ? { scope: accessScope } : {}),
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
  };
  const response = jsonResponse(body, 200, ctx.defects.has('token-response-cacheable') ? {} : { ...NO_STORE });
  return noteIssuedToken(response, { record: issued.record, withRefreshToken: refreshToken !== undefined });
}

function invalidGrant(description: string): OAuthError {
  return new OAuthError('invalid_grant', description);
}

// OAuth 2.1 §4.3: the refresh token grant; §4.3.1: the token is checked against its client, grant, scope and resource.
export async function refreshTokenGrant(
  ctx: IssuerContext,
  { client }: AuthenticatedClient,
  form: URLSearchParams,
): Promise<Response> {
  const { defects } = ctx;
  const presented = singleParam(form, 'refresh_token');
  if (!presented) throw new OAuthError('invalid_request', 'refresh_token is required');
  const record = await findRefreshToken(ctx, presented);
  if (!record) throw invalidGrant('the refresh token is unknown');
  // §4.3.1: the refresh token is bound to the client it was issued to.
  if (record.clientId !== client.client_id && !defects.has('refresh-not-bound-to-client')) {
    throw invalidGrant('the refresh token was issued to another client');
  }
  if (!mayRefresh(client, record.scope)) {
    throw new OAuthError('unauthorized_client', `client ${client.client_id} is not registered for refresh_token`);
  }
  const dead = await deadReason(ctx, record);
  if (dead) throw invalidGrant(dead);
  if (record.rotatedAt !== undefined) await refuseReuse(ctx, record);
  const scope = refreshedScope(ctx, record, singleParam(form, 'scope'));
  const resource = refreshedResource(ctx, record, singleParam(form, 'resource'));
  // §4.3.1: public clients' refresh tokens rotate; confidential clients' rotate too, which costs nothing.
  const rotate = isConfidential(client) || !defects.has('refresh-not-rotated');
  if (rotate && !(await ctx.store.refreshTokens.markRotated(record.id, ctx.clock.now()))) {
    await refuseReuse(ctx, record);
  }
  const issued = await issueAccessToken(ctx, {
    grantId: record.grantId,
    clientId: client.client_id,
    sub: record.sub,
    resource,
    scope,
  });
  // §4.3.3: the successor keeps the scope (and resource) of the token presented, whatever this request narrowed.
  const successor = rotate
    ? await issueRefreshToken(ctx, {
        grantId: record.grantId,
        clientId: record.clientId,
        sub: record.sub,
        scope: record.scope,
        resource: record.resource,
        parentId: record.id,
      })
    : undefined;
  return tokenEndpointResponse(ctx, issued, scope, successor);
}

/**
 * §4.3.1: a spent (rotated) refresh token presented again means either the client or an attacker holds a stolen
 * copy; the server cannot tell which, so the whole family is revoked and the request refused.
 */
async function refuseReuse(ctx: IssuerContext, record: RefreshTokenRecord): Promise<void> {
  if (ctx.defects.has('refresh-reuse-undetected')) return;
  if (ctx.defects.has('refresh-reuse-keeps-family')) throw invalidGrant('the refresh token was already used');
  await revokeRefreshTokenFamily(ctx, record.grantId);
  await recordActivity(ctx, {
    kind: 'token-revoked',
    sub: record.sub,
    clientId: record.clientId,
    summary: 'a spent refresh token was presented again: every token of its grant was revoked',
    details: { reason: 'refresh-reuse', grant_id: record.grantId },
  });
  throw invalidGrant('the refresh token was already used; every token of its grant was revoked');
}

/**
 * §4.3: a requested scope must not include any scope not originally granted (`invalid_scope`); absent, all of it.
 * offline_access is always acceptable here: the client already holds the refresh token it asks for.
 */
function refreshedScope(ctx: IssuerContext, record: RefreshTokenRecord, requested: string | undefined): string {
  if (requested === undefined) return record.scope;
  const granted = scopeItems(record.scope);
  const wanted = scopeItems(requested);
  const beyond = wanted.filter((item) => !granted.includes(item) && item !== OFFLINE_ACCESS);
  if (beyond.length > 0 && !ctx.defects.has('refresh-scope-widening')) {
    throw new OAuthError('invalid_scope', `scope ${beyond.join(' ')} was not granted with this refresh token`);
  }
  return wanted.join(' ');
}

/** RFC 8707 §2.2 and RFC 9700 §4.14.2: a refresh stays within the resource the grant covers (`invalid_target`). */
function refreshedResource(ctx: IssuerContext, record: RefreshTokenRecord, requested: string | undefined): string {
  if (requested === undefined) return record.resource;
  if (ctx.defects.has('refresh-resource-widening')) return requested;
  if (canonicalResource(requested) !== canonicalResource(record.resource)) {
    throw new OAuthError('invalid_target', `resource "${requested}" was not authorized with this refresh token`);
  }
  return record.resource;
}
