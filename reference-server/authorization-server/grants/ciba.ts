/**
 * OpenID CIBA Core 1.0, poll mode: the client started a backchannel request (endpoints/backchannel.ts), the user
 * decides through the emailed link, and meanwhile the client polls the token endpoint with its `auth_req_id` (§10.1),
 * no faster than the interval. The answer is authorization_pending, slow_down, expired_token or access_denied until
 * the user approved; then the tokens, once: the auth_req_id is spent.
 */
import type { BackchannelRequestRecord } from '../../store/index.ts';
import type { AuthenticatedClient } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { jsonResponse, NO_STORE, OAuthError } from '../errors.ts';
import { base64url, randomToken, singleParam } from '../http.ts';
import { issueIdToken } from '../id-token.ts';
import { issueAccessToken, noteIssuedToken } from '../tokens.ts';
import { issueRefreshToken, mayRefresh } from './refresh-token.ts';

export const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';

/** §7.3: the minimum seconds between polls, when the client has not been told to slow down. */
export const CIBA_POLL_INTERVAL_SECONDS = 5;
/** §11 slow_down: the interval grows by at least this much, for that poll and every later one. */
export const SLOW_DOWN_STEP_SECONDS = 5;

/** CIBA Core §4: the metadata members of the backchannel endpoint (poll mode only, no user_code). */
export function cibaMetadata(ctx: IssuerContext): Record<string, unknown> {
  return {
    backchannel_authentication_endpoint: ctx.endpoint('bc-authorize'),
    ...(ctx.defects.has('ciba-metadata-incomplete') ? {} : { backchannel_token_delivery_modes_supported: ['poll'] }),
    backchannel_user_code_parameter_supported: false,
  };
}

/** SHA-256 of a secret, base64url: what the store keeps instead of auth_req_ids and link secrets. */
export async function secretDigest(secret: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret))));
}

/** The store key of a backchannel request: the digest of its auth_req_id. */
export const backchannelRequestKey = secretDigest;

function invalidGrant(description: string): OAuthError {
  return new OAuthError('invalid_grant', description);
}

const pending = () => new OAuthError('authorization_pending', 'the user has not approved the request yet');

/** §10.1: poll with the auth_req_id; pending, slow_down, expired_token, access_denied, or the tokens. */
export async function cibaGrant(
  ctx: IssuerContext,
  { client }: AuthenticatedClient,
  form: URLSearchParams,
): Promise<Response> {
  const { defects } = ctx;
  const authReqId = singleParam(form, 'auth_req_id');
  if (!authReqId) throw new OAuthError('invalid_request', 'auth_req_id is required');
  const record = await ctx.store.backchannelRequests.get(await backchannelRequestKey(authReqId));
  if (!record || record.issuer !== ctx.issuer) {
    if (defects.has('ciba-unknown-auth-req-id-pending')) throw pending();
    throw invalidGrant('the auth_req_id is unknown');
  }
  // §10.1: the auth_req_id was issued to this client (which bc-authorize allowed only if registered for CIBA).
  if (record.clientId !== client.client_id && !defects.has('ciba-auth-req-id-not-bound-to-client')) {
    throw invalidGrant('the auth_req_id was issued to another client');
  }
  // §10.1.1: one token response per request; the auth_req_id is spent.
  if (record.redeemedAt !== undefined && !defects.has('ciba-auth-req-id-reusable')) {
    throw invalidGrant('the auth_req_id was already used: tokens were issued for it');
  }
  const now = ctx.clock.now();
  // §11 expired_token: the request lived expires_in seconds; the client must start a new one.
  if (now >= record.expiresAt && !defects.has('ciba-request-never-expires')) {
    throw new OAuthError('expired_token', 'the backchannel request expired; start a new one');
  }
  const tooSoon = notePoll(ctx, record, now);
  await ctx.store.backchannelRequests.save(record);
  if (tooSoon) {
    throw new OAuthError(
      'slow_down',
      `polled faster than the interval; wait at least ${record.intervalSeconds} s between polls from now on`,
    );
  }
  // §11 access_denied: the user refused.
  if (record.status === 'denied' && !defects.has('ciba-denied-issues-tokens')) {
    throw new OAuthError('access_denied', 'the user denied the request');
  }
  if (record.status === 'pending' && !defects.has('ciba-tokens-before-approval')) throw pending();
  return issueTokens(ctx, client, record);
}

/**
 * §7.3 and §11: records the poll; true when it came sooner than the interval allows, which answers slow_down and
 * makes the interval 5 s longer for this and every later poll.
 */
function notePoll(ctx: IssuerContext, record: BackchannelRequestRecord, now: number): boolean {
  const previous = record.lastPolledAt;
  record.lastPolledAt = now;
  if (previous === undefined || now - previous >= record.intervalSeconds * 1000) return false;
  if (ctx.defects.has('ciba-slow-down-never-sent')) return false;
  if (!ctx.defects.has('ciba-interval-not-increased')) record.intervalSeconds += SLOW_DOWN_STEP_SECONDS;
  return true;
}

/**
 * §10.1.1: a normal token response, with an ID token (the openid scope was required) about the user who approved;
 * the access token is audience-bound to the request's resource (RFC 8707). The request is marked spent first.
 */
async function issueTokens(
  ctx: IssuerContext,
  client: AuthenticatedClient['client'],
  record: BackchannelRequestRecord,
): Promise<Response> {
  const now = ctx.clock.now();
  const firstRedemption = await ctx.store.backchannelRequests.markRedeemed(record.id, now);
  if (!firstRedemption && !ctx.defects.has('ciba-auth-req-id-reusable')) {
    throw invalidGrant('the auth_req_id was already used: tokens were issued for it');
  }
  const grantId = randomToken(16);
  const binding = { clientId: record.clientId, sub: record.sub, resource: record.resource, scope: record.scope };
  await ctx.store.grants.save({ id: grantId, issuer: ctx.issuer, ...binding, createdAt: now });
  const issued = await issueAccessToken(ctx, { grantId, ...binding });
  const idToken = ctx.defects.has('ciba-no-id-token')
    ? undefined
    : await issueIdToken(ctx, { sub: record.sub, clientId: record.clientId, authTime: record.decidedAt ?? now });
  const refreshToken = mayRefresh(client) ? await issueRefreshToken(ctx, { grantId, ...binding }) : undefined;
  const body = {
    access_token: issued.accessToken,
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    scope: record.scope,
    ...(idToken ? { id_token: idToken } : {}),
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
  };
  return noteIssuedToken(jsonResponse(body, 200, { ...NO_STORE }), {
    record: issued.record,
    withRefreshToken: refreshToken !== undefined,
  });
}
