import type { AuthorizationTransaction } from '../store/index.ts';
import type { IssuerContext } from './context.ts';
import type { GrantAuthentication } from './grant-authentication.ts';
import { randomToken, redirectResponse } from './http.ts';
import { issueAccessToken } from './tokens.ts';

/** What an approved authorization request needs; a pending transaction carries the same fields. */
export type AuthorizationDetails = Omit<AuthorizationTransaction, 'id' | 'issuer' | 'sessionId' | 'expiresAt'>;

/** Where responses go once the client and its redirect URI are verified. */
export interface RedirectTarget {
  redirectUri: string;
  state?: string;
  responseType: 'code' | 'token';
}

/** RFC 9207 §2: the issuer identifier, exactly as in the metadata. */
function issParameter(ctx: IssuerContext): string {
  return ctx.defects.has('iss-wrong-value') ? `${ctx.issuer}/` : ctx.issuer;
}

/**
 * OAuth 2.1 §4.1.2 / §4.1.2.1: the response goes to the redirect URI with `state` exactly as received and, per
 * RFC 9207 §2, `iss` — on success and on error alike. POSTed forms answer 303 so credentials are never re-sent (§7.5.4).
 */
function redirectWith(
  ctx: IssuerContext,
  target: RedirectTarget,
  params: Record<string, string>,
  outcome: 'success' | 'error',
  status: 302 | 303,
): Response {
  const { defects } = ctx;
  const dropState = defects.has(outcome === 'success' ? 'state-dropped' : 'state-dropped-on-error');
  const dropIss = defects.has(outcome === 'success' ? 'iss-omitted' : 'iss-omitted-on-error');
  const response = new URLSearchParams(params);
  if (target.state !== undefined && !dropState) response.set('state', target.state);
  if (!dropIss) response.set('iss', issParameter(ctx));
  const url = new URL(target.redirectUri);
  if (target.responseType === 'token') {
    url.hash = response.toString();
  } else {
    for (const [name, value] of response) url.searchParams.append(name, value);
  }
  return redirectResponse(url.href, status);
}

export function authorizationErrorRedirect(
  ctx: IssuerContext,
  target: RedirectTarget,
  error: string,
  description: string,
  status: 302 | 303 = 302,
): Response {
  return redirectWith(ctx, target, { error, error_description: description }, 'error', status);
}

/**
 * OAuth 2.1 §4.1.2: the user approved, so issue a short-lived, single-use code bound to the client, redirect URI,
 * PKCE challenge, resource and scope, under a new grant. A consent flow's sign-in (claims, amr, acr) stays with the
 * grant, for every token issued under it.
 */
export async function approveAuthorization(
  ctx: IssuerContext,
  details: AuthorizationDetails,
  sub: string,
  status: 302 | 303,
  authentication?: GrantAuthentication,
): Promise<Response> {
  const now = ctx.clock.now();
  const grantId = randomToken(16);
  if (authentication) ctx.grantAuthentications.save(grantId, authentication);
  await ctx.store.grants.save({
    id: grantId,
    issuer: ctx.issuer,
    clientId: details.clientId,
    sub,
    resource: details.resource,
    scope: details.scope,
    createdAt: now,
  });
  if (details.responseType === 'token') {
    const grant = { grantId, clientId: details.clientId, sub, resource: details.resource, scope: details.scope };
    const issued = await issueAccessToken(ctx, grant);
    const params = {
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: String(issued.expiresIn),
      scope: details.scope,
    };
    return redirectWith(ctx, details, params, 'success', status);
  }
  const code = randomToken(32);
  await ctx.store.codes.save({
    code,
    issuer: ctx.issuer,
    clientId: details.clientId,
    sub,
    redirectUri: details.redirectUri,
    redirectUriInRequest: details.redirectUriInRequest,
    ...(details.codeChallenge ? { codeChallenge: details.codeChallenge } : {}),
    ...(details.codeChallengeMethod ? { codeChallengeMethod: details.codeChallengeMethod } : {}),
    resource: details.resource,
    scope: details.scope,
    grantId,
    issuedAt: now,
    expiresAt: now + ctx.codeTtlSeconds * 1000,
  });
  return redirectWith(ctx, details, { code }, 'success', status);
}

/** OAuth 2.1 §4.1.2.1: the user said no — `access_denied`. */
export function denyAuthorization(ctx: IssuerContext, details: AuthorizationDetails, status: 302 | 303): Response {
  return authorizationErrorRedirect(ctx, details, 'access_denied', 'the user denied the request', status);
}
