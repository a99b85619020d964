import { NO_DEFECTS } from '../../defects.ts';
import type { ClientRecord, RefreshTokenRecord } from '../../store/index.ts';
import { authenticateClient } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { asOAuthError, errorResponse, jsonResponse, NO_STORE, OAuthError } from '../errors.ts';
import { findRefreshToken, refreshTokenClaims, refreshTokenUsable } from '../grants/refresh-token.ts';
import { readForm, singleParam } from '../http.ts';
import { findTokenRecord, inactiveReason, tokenClaims } from '../tokens.ts';

type Answer = Record<string, unknown>;
/** Looks a token up as one type: its answer when this server issued it as that type, else undefined. */
type Lookup = (ctx: IssuerContext, token: string, caller: ClientRecord | undefined) => Promise<Answer | undefined>;

/**
 * RFC 7662 §2: a confidential client (every resource server is one) POSTs `token`, optionally `token_type_hint`.
 * Policy (§4): any authenticated confidential client may introspect access tokens; a refresh token only its holder.
 * Unknown, expired, revoked and not-yours tokens all answer exactly {"active": false} (§2.2), never cached.
 */
export async function handleIntrospect(ctx: IssuerContext, request: Request): Promise<Response> {
  try {
    const form = await readForm(request);
    const caller = await authenticateCaller(ctx, request, form);
    const token = singleParam(form, 'token');
    if (!token) throw new OAuthError('invalid_request', 'token is required');
    for (const lookup of searchOrder(ctx, singleParam(form, 'token_type_hint'))) {
      const answer = await lookup(ctx, token, caller);
      if (answer) return jsonResponse(answer, 200, { ...NO_STORE });
    }
    if (ctx.defects.has('introspection-unknown-token-404')) {
      throw new OAuthError('invalid_token', 'this server never issued that token', 404);
    }
    return jsonResponse({ active: false }, 200, { ...NO_STORE });
  } catch (thrown) {
    return errorResponse(asOAuthError(thrown));
  }
}

/**
 * §2.1: the endpoint requires authorization, so tokens cannot be scanned; §2.3: bad credentials are 401, and the
 * challenge names the Basic scheme the caller should use (RFC 6749 §5.2).
 */
async function authenticateCaller(
  ctx: IssuerContext,
  request: Request,
  form: URLSearchParams,
): Promise<ClientRecord | undefined> {
  if (ctx.defects.has('introspection-unauthenticated')) return undefined;
  try {
    const options = { store: ctx.store, defects: NO_DEFECTS, realm: ctx.issuer, requireConfidential: true };
    return (await authenticateClient(request, form, options)).client;
  } catch (thrown) {
    if (!(thrown instanceof OAuthError) || thrown.error !== 'invalid_client') throw thrown;
    if (ctx.defects.has('introspection-invalid-client-400')) throw new OAuthError(thrown.error, thrown.description);
    const challenge = { 'WWW-Authenticate': `Basic realm="${ctx.issuer}"`, ...thrown.headers };
    throw new OAuthError(thrown.error, thrown.description, 401, challenge);
  }
}

const LOOKUPS: Record<'access_token' | 'refresh_token', Lookup> = {
  access_token: accessTokenAnswer,
  refresh_token: refreshTokenAnswer,
};

/** §2.1: the hint only orders the search; when the hinted type does not know the token, every other type is tried. */
function searchOrder(ctx: IssuerContext, hint: string | undefined): Lookup[] {
  const hinted = hint === 'refresh_token' ? [LOOKUPS.refresh_token, LOOKUPS.access_token] : Object.values(LOOKUPS);
  const trusted = hint === 'access_token' || hint === 'refresh_token';
  return trusted && ctx.defects.has('introspection-hint-trusted') ? hinted.slice(0, 1) : hinted;
}

function activeAnswer(ctx: IssuerContext, claims: Answer): Answer {
  return { active: ctx.defects.has('introspection-active-as-string') ? 'true' : true, ...claims };
}

/** §2.2: an inactive token's answer SHOULD NOT say more than that, lest it leak who held what. */
function inactiveAnswer(ctx: IssuerContext, claims: Answer): Answer {
  return ctx.defects.has('introspection-inactive-leaks-claims') ? { ...claims, active: false } : { active: false };
}

/** §4: active only while the signature (JWT) verifies, it is unexpired, and neither it nor its grant is revoked. */
async function accessTokenAnswer(ctx: IssuerContext, token: string): Promise<Answer | undefined> {
  const { defects } = ctx;
  const record = await findTokenRecord(ctx, token, { includeExpired: true });
  if (!record) return undefined;
  const reason = await inactiveReason(ctx, record);
  const overlooked =
    (reason === 'revoked' && defects.has('introspection-ignores-revocation')) ||
    (reason === 'expired' && defects.has('introspection-ignores-expiry'));
  const claims = { ...tokenClaims(record), token_type: 'Bearer' };
  return reason === undefined || overlooked ? activeAnswer(ctx, claims) : inactiveAnswer(ctx, claims);
}

/** §2.2, §4: a refresh token is shown only to the client holding it, so no resource server mistakes it for access. */
async function refreshTokenAnswer(
  ctx: IssuerContext,
  token: string,
  caller: ClientRecord | undefined,
): Promise<Answer | undefined> {
  const record = await findRefreshToken(ctx, token);
  if (!record) return undefined;
  const claims = refreshTokenClaims(record);
  const supported = !ctx.defects.has('introspection-refresh-tokens-unsupported');
  const active = supported && record.clientId === caller?.client_id && (await refreshTokenAlive(ctx, record));
  return active ? activeAnswer(ctx, claims) : inactiveAnswer(ctx, claims);
}

/** Usable by its holder; the `introspection-ignores-revocation` defect looks only at rotation and expiry. */
async function refreshTokenAlive(ctx: IssuerContext, record: RefreshTokenRecord): Promise<boolean> {
  if (!ctx.defects.has('introspection-ignores-revocation')) return refreshTokenUsable(ctx, record);
  return record.rotatedAt === undefined && ctx.clock.now() < record.expiresAt;
}
