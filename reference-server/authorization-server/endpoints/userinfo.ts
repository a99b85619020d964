import type { JsonValue } from '../../flows/types.ts';
import type { AccessTokenRecord } from '../../store/index.ts';
import type { IssuerContext, ReferenceUser } from '../context.ts';
import { asOAuthError, errorResponse, jsonResponse, NO_STORE, OAuthError } from '../errors.ts';
import { authenticationClaims } from '../grant-authentication.ts';
import { mediaType, readForm, singleParam } from '../http.ts';
import { activeTokenRecord, findTokenRecord } from '../tokens.ts';

/** OIDC Discovery §3: where the userinfo endpoint is. */
export function userinfoMetadata(ctx: IssuerContext): Record<string, unknown> {
  return { userinfo_endpoint: ctx.endpoint('userinfo') };
}

/**
 * OIDC Core §5.3: GET or POST with an access token (RFC 6750 §2.1 header, or §2.2 form body on POST); the claims of
 * the token's user, never cached. Any active user token of this issuer is accepted, whatever its audience and scope:
 * MCP clients ask for MCP scopes, not `openid`, and the issuer is the party the claims come from. A token without a
 * user (client credentials) is 403 insufficient_scope; a missing or invalid one 401 (RFC 6750 §3.1).
 */
export async function handleUserinfo(ctx: IssuerContext, request: Request): Promise<Response> {
  try {
    const token = await presentedToken(ctx, request);
    const flowUser = await flowUserClaims(ctx, token);
    if (flowUser) return jsonResponse(flowUser, 200, { ...NO_STORE });
    const user = await userOfToken(ctx, token);
    return jsonResponse(userClaims(user), 200, { ...NO_STORE });
  } catch (thrown) {
    return errorResponse(asOAuthError(thrown));
  }
}

/** RFC 6750 §3: the Bearer challenge, with an error code only when a token was presented (§3.1). */
function bearerError(ctx: IssuerContext, error: string | undefined, description: string, status: number): OAuthError {
  const parameters = [`realm="${ctx.issuer}"`, ...(error ? [`error="${error}"`] : [])];
  const challenge = { 'WWW-Authenticate': `Bearer ${parameters.join(', ')}` };
  return new OAuthError(error ?? 'invalid_request', description, status, challenge);
}

/** RFC 6750 §2: exactly one method carries the token; the header scheme is case-insensitive (RFC 9110 §11.1). */
async function presentedToken(ctx: IssuerContext, request: Request): Promise<string> {
  const header = request.headers.get('authorization');
  const fromHeader = header === null ? undefined : /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header)?.[1];
  if (header !== null && fromHeader === undefined) {
    throw bearerError(ctx, 'invalid_request', 'the Authorization header is not "Bearer <token>"', 400);
  }
  const fromBody = await bodyToken(request);
  if (fromHeader !== undefined && fromBody !== undefined) {
    throw bearerError(ctx, 'invalid_request', 'send the access token once, in the header or the body', 400);
  }
  const token = fromHeader ?? fromBody;
  if (token === undefined) throw bearerError(ctx, undefined, 'an access token is required', 401);
  return token;
}

/** RFC 6750 §2.2: a form-encoded POST body may carry `access_token`. */
async function bodyToken(request: Request): Promise<string | undefined> {
  if (request.method !== 'POST' || mediaType(request) !== 'application/x-www-form-urlencoded') return undefined;
  return singleParam(await readForm(request), 'access_token');
}

/** The user of the active access token of this issuer the request presents (RFC 7662 §4's notion of active). */
async function userOfToken(ctx: IssuerContext, token: string): Promise<ReferenceUser> {
  if (ctx.defects.has('userinfo-accepts-invalid-tokens')) {
    const sub = (await findTokenRecord(ctx, token))?.sub;
    const user = ctx.users.find((candidate) => candidate.sub === sub) ?? ctx.users[0];
    if (user) return user;
  }
  const record = await activeTokenRecord(ctx, token);
  if (!record) throw bearerError(ctx, 'invalid_token', 'the access token is unknown, expired or revoked', 401);
  const user = ctx.defects.has('userinfo-wrong-user')
    ? ctx.users.find((candidate) => candidate.sub !== record.sub)
    : ctx.users.find((candidate) => candidate.sub === record.sub);
  if (!user) throw bearerError(ctx, 'insufficient_scope', 'the access token speaks for no user (a machine token)', 403);
  return user;
}

/** OIDC Core §5.1: `sub` always, with the standard profile and email claims this server holds. */
function userClaims(user: ReferenceUser): Record<string, string> {
  return { sub: user.sub, name: user.name, preferred_username: user.username, email: user.email };
}

/**
 * Seed 004 (Flows): a user who signed in through a consent flow lives in the user store; their claims are those of
 * the sign-in (email, custom claims, amr, acr), `sub` always last so nothing replaces it.
 */
async function flowUserClaims(ctx: IssuerContext, token: string): Promise<Record<string, JsonValue> | undefined> {
  const record: AccessTokenRecord | undefined = await activeTokenRecord(ctx, token);
  const signIn = record && ctx.grantAuthentications.get(record.grantId);
  if (!record || !signIn) return undefined;
  const user = await ctx.store.users.get(record.sub);
  const email: Record<string, string> = user?.email === undefined ? {} : { email: user.email };
  return { ...authenticationClaims(signIn), ...email, sub: record.sub };
}
