import type { AccessTokenRecord, AuthorizationCodeRecord, ClientRecord } from '../../store/index.ts';
import { recordActivity } from '../activity.ts';
import { type AuthenticatedClient, authenticateClient } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { asOAuthError, errorResponse, OAuthError, plainTextErrorResponse } from '../errors.ts';
import { assertionGrant, JWT_BEARER_GRANT } from '../grants/assertion.ts';
import { CIBA_GRANT, cibaGrant } from '../grants/ciba.ts';
import { clientCredentialsGrant } from '../grants/client-credentials.ts';
import {
  issueRefreshToken,
  mayRefresh,
  REFRESH_TOKEN_GRANT,
  refreshTokenGrant,
  tokenEndpointResponse,
} from '../grants/refresh-token.ts';
import { exchangeToken, TOKEN_EXCHANGE_GRANT } from '../grants/token-exchange.ts';
import { base64url, readForm, singleParam } from '../http.ts';
import { hasOfflineAccess, issueAccessToken, issuedTokenNoted, revokeGrant } from '../tokens.ts';
import { canonicalResource } from './authorize.ts';

const VERIFIER_SHAPE = /^[A-Za-z0-9._~-]{43,128}$/;

// OAuth 2.1 §3.2: POST application/x-www-form-urlencoded; errors are JSON, 400 (401 for invalid_client), never cached.
export async function handleToken(ctx: IssuerContext, request: Request): Promise<Response> {
  try {
    const form = await readForm(request);
    const authenticated = await authenticateClient(request, form, {
      store: ctx.store,
      defects: ctx.defects,
      realm: ctx.issuer,
      assertions: { audiences: [ctx.issuer, ctx.endpoint('token')], clock: ctx.clock, fetch: ctx.fetch },
    });
    const grantType = singleParam(form, 'grant_type');
    if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
    const response = await runGrant(ctx, grantType, authenticated, form);
    return await recordIssuance(ctx, grantType, response);
  } catch (thrown) {
    const error = asOAuthError(thrown);
    return ctx.defects.has('token-errors-not-json') ? plainTextErrorResponse(error, 200) : errorResponse(error);
  }
}

/** OAuth 2.1 §4: each grant type has its own rules; an unknown one is `unsupported_grant_type`. */
async function runGrant(
  ctx: IssuerContext,
  grantType: string,
  authenticated: AuthenticatedClient,
  form: URLSearchParams,
): Promise<Response> {
  if (grantType === 'authorization_code') return redeemAuthorizationCode(ctx, authenticated.client, form);
  if (grantType === TOKEN_EXCHANGE_GRANT) return exchangeToken(ctx, authenticated, form);
  if (grantType === REFRESH_TOKEN_GRANT) return refreshTokenGrant(ctx, authenticated, form);
  if (grantType === 'client_credentials') return clientCredentialsGrant(ctx, authenticated, form);
  if (grantType === JWT_BEARER_GRANT) return assertionGrant(ctx, authenticated, form);
  if (grantType === CIBA_GRANT) return cibaGrant(ctx, authenticated, form);
  throw new OAuthError('unsupported_grant_type', `grant_type "${grantType}" is not supported here`);
}

/**
 * Seed 004 (audit log): every access token issued here is recorded by its `jti`, grant type, client, user and scope;
 * the token itself never is (RFC 9700 §4.13: logs are no place for bearer credentials). Each grant notes on its
 * answer what it issued (`noteIssuedToken`), so the record needs no reading of the answer.
 */
async function recordIssuance(ctx: IssuerContext, grantType: string, response: Response): Promise<Response> {
  const noted = response.status === 200 ? issuedTokenNoted(response) : undefined;
  if (noted) await recordTokenIssued(ctx, grantType, noted.record, noted.withRefreshToken);
  return response;
}

async function recordTokenIssued(
  ctx: IssuerContext,
  grantType: string,
  record: AccessTokenRecord,
  withRefreshToken: boolean,
): Promise<void> {
  const onBehalf = record.sub === record.clientId ? 'itself' : record.sub;
  await recordActivity(ctx, {
    kind: 'token-issued',
    sub: record.sub,
    clientId: record.clientId,
    summary: `${record.clientId} got an access token for ${onBehalf} (${grantType})`,
    details: {
      grant_type: grantType,
      jti: record.jti,
      scope: record.scope,
      audience: record.aud,
      format: record.format,
      refresh_token: withRefreshToken,
    },
  });
}

function invalidGrant(description: string): OAuthError {
  return new OAuthError('invalid_grant', description);
}

/**
 * OAuth 2.1 §4.1.3: the code is checked against everything it was bound to; only a request valid in every other
 * respect counts as a replay, which is refused and revokes what the code already issued (§7.5.3).
 */
async function redeemAuthorizationCode(
  ctx: IssuerContext,
  client: ClientRecord,
  form: URLSearchParams,
): Promise<Response> {
  const { defects } = ctx;
  const codeValue = singleParam(form, 'code');
  if (!codeValue) throw new OAuthError('invalid_request', 'code is required');
  const code = await ctx.store.codes.get(codeValue);
  if (!code || code.issuer !== ctx.issuer) throw invalidGrant('the authorization code is unknown');
  // §4.1.3: the code was issued to this client.
  if (code.clientId !== client.client_id && !defects.has('code-not-bound-to-client')) {
    throw invalidGrant('the authorization code was issued to another client');
  }
  checkRedirectUri(ctx, code, singleParam(form, 'redirect_uri'));
  await checkCodeVerifier(ctx, code, singleParam(form, 'code_verifier'));
  const resource = checkResource(ctx, code, singleParam(form, 'resource'));
  // §4.1.2: codes are short-lived.
  if (ctx.clock.now() >= code.expiresAt && !defects.has('code-never-expires')) {
    throw invalidGrant('the authorization code has expired');
  }
  // §4.1.3: single use; a second redemption revokes the tokens the first one obtained.
  const firstRedemption = await ctx.store.codes.markRedeemed(code.code, ctx.clock.now());
  if (!firstRedemption && !defects.has('code-reusable')) {
    if (defects.has('code-replay-keeps-tokens')) throw invalidGrant('the authorization code was already used');
    await revokeGrant(ctx, code.grantId);
    await recordActivity(ctx, {
      kind: 'token-revoked',
      sub: code.sub,
      clientId: code.clientId,
      summary: `authorization code replayed by ${client.client_id}: every token of its grant was revoked`,
      details: { reason: 'code-replay', grant_id: code.grantId },
    });
    throw invalidGrant('the authorization code was already used; tokens issued from it were revoked');
  }
  const issued = await issueAccessToken(ctx, {
    grantId: code.grantId,
    clientId: code.clientId,
    sub: code.sub,
    resource,
    scope: code.scope,
  });
  // OAuth 2.1 §4.3: a refresh token comes with the code's tokens when the client registered the refresh_token grant
  // or asked for offline_access (OIDC Core §11).
  const offlineIgnored = ctx.defects.has('offline-access-ignored') && hasOfflineAccess(code.scope);
  const refreshToken =
    mayRefresh(client, code.scope) && !offlineIgnored
      ? await issueRefreshToken(ctx, {
          grantId: code.grantId,
          clientId: code.clientId,
          sub: code.sub,
          scope: code.scope,
          resource: code.resource,
        })
      : undefined;
  return tokenEndpointResponse(ctx, issued, code.scope, refreshToken);
}

/** RFC 6749 §4.1.3 (OAuth 2.1 §10.2): if redirect_uri was in the authorization request, it must be repeated identically. */
function checkRedirectUri(ctx: IssuerContext, code: AuthorizationCodeRecord, redirectUri: string | undefined): void {
  if (ctx.defects.has('code-not-bound-to-redirect')) return;
  if (redirectUri === undefined && !code.redirectUriInRequest) return;
  if (redirectUri !== code.redirectUri) {
    throw invalidGrant('redirect_uri differs from the one in the authorization request');
  }
}

/**
 * RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) must equal the stored challenge; the verifier has the shape of
 * §4.1. OAuth 2.1 §4.1.3: a verifier for a code issued without a challenge is refused too.
 */
async function checkCodeVerifier(ctx: IssuerContext, code: AuthorizationCodeRecord, verifier: string | undefined) {
  const { defects } = ctx;
  if (defects.has('pkce-verifier-unchecked')) return;
  if (!code.codeChallenge) {
    if (verifier !== undefined && !defects.has('pkce-optional')) {
      throw invalidGrant('code_verifier sent, but the authorization request had no code_challenge');
    }
    return;
  }
  if (verifier === undefined) throw invalidGrant('code_verifier is required: the authorization used PKCE');
  if (!VERIFIER_SHAPE.test(verifier) && !defects.has('pkce-verifier-shape-unchecked')) {
    throw invalidGrant('code_verifier must be 43-128 characters of [A-Za-z0-9-._~]');
  }
  const computed = code.codeChallengeMethod === 'plain' ? verifier : await s256(verifier, defects.has('pkce-s256-hex'));
  if (computed !== code.codeChallenge) throw invalidGrant('code_verifier does not match the code_challenge');
}

async function s256(verifier: string, asHex: boolean): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  return asHex ? [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('') : base64url(digest);
}

/** RFC 8707 §2.2: a resource sent here must be the one authorized; the token's audience is that resource. */
function checkResource(ctx: IssuerContext, code: AuthorizationCodeRecord, requested: string | undefined): string {
  if (requested === undefined) return code.resource;
  if (ctx.defects.has('resource-not-bound')) return requested;
  if (canonicalResource(requested) !== canonicalResource(code.resource)) {
    throw new OAuthError('invalid_target', `resource "${requested}" was not authorized with this code`);
  }
  return code.resource;
}
