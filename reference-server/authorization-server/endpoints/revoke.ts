import { Defects, NO_DEFECTS } from '../../defects.ts';
import type { ClientRecord } from '../../store/index.ts';
import { recordActivity } from '../activity.ts';
import { authenticateClient } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { asOAuthError, errorResponse, NO_STORE, OAuthError } from '../errors.ts';
import { findRefreshToken, revokeRefreshTokenFamily } from '../grants/refresh-token.ts';
import { readForm, singleParam } from '../http.ts';
import { findTokenRecord } from '../tokens.ts';

/** Revokes the token if it is of one type and issued to `client`; true when the token is of that type at all. */
type Revocation = (ctx: IssuerContext, token: string, client: ClientRecord) => Promise<boolean>;

// RFC 7009 §2.1: the client authenticates as at the token endpoint and may revoke only tokens issued to it; §2.2:
// unknown tokens and other clients' tokens get the same empty 200 (an invalid token), so nothing leaks about them.
export async function handleRevoke(ctx: IssuerContext, request: Request): Promise<Response> {
  try {
    const form = await readForm(request);
    const { client } = await authenticateClient(request, form, {
      store: ctx.store,
      defects: ctx.defects.has('revocation-unauthenticated') ? SKIPPED_CONFIDENTIAL_AUTH : NO_DEFECTS,
      realm: ctx.issuer,
    });
    const token = singleParam(form, 'token');
    if (!token) throw new OAuthError('invalid_request', 'token is required');
    const known = await revokeAsAnyType(ctx, token, client, singleParam(form, 'token_type_hint'));
    if (!known && ctx.defects.has('revocation-unknown-token-400')) {
      throw new OAuthError('invalid_request', 'this server never issued that token');
    }
    return new Response(null, { status: 200, headers: { ...NO_STORE } });
  } catch (thrown) {
    return errorResponse(asOAuthError(thrown));
  }
}

/** The `revocation-unauthenticated` defect: client authentication here skips confidential clients' secrets. */
const SKIPPED_CONFIDENTIAL_AUTH = new Defects(['confidential-auth-skipped']);

/** §2.1: only the client the token was issued to may revoke it; another client's request changes nothing. */
function issuedTo(ctx: IssuerContext, clientId: string, client: ClientRecord): boolean {
  return clientId === client.client_id || ctx.defects.has('revocation-other-client');
}

/** §2: revoking an access token (SHOULD be supported) makes it unusable at once; its grant's other tokens live on. */
async function revokeAccessToken(ctx: IssuerContext, token: string, client: ClientRecord): Promise<boolean> {
  const record = await findTokenRecord(ctx, token);
  if (!record) return false;
  if (issuedTo(ctx, record.clientId, client) && !ctx.defects.has('revocation-ignores-access-tokens')) {
    await ctx.store.tokens.revoke(record.jti, ctx.clock.now());
    if (record.revokedAt === undefined) {
      await recordActivity(ctx, {
        kind: 'token-revoked',
        sub: record.sub,
        clientId: record.clientId,
        summary: `${client.client_id} revoked an access token of ${record.sub}`,
        details: { token_type: 'access_token', jti: record.jti, revoked_by: client.client_id },
      });
    }
  }
  return true;
}

/** §2.1: revoking a refresh token revokes its grant: every refresh and access token of its family. */
async function revokeRefreshToken(ctx: IssuerContext, token: string, client: ClientRecord): Promise<boolean> {
  const record = await findRefreshToken(ctx, token);
  if (!record) return false;
  if (issuedTo(ctx, record.clientId, client) && !ctx.defects.has('refresh-survives-revocation')) {
    await revokeRefreshTokenFamily(ctx, record.grantId);
    if (record.revokedAt === undefined) {
      await recordActivity(ctx, {
        kind: 'token-revoked',
        sub: record.sub,
        clientId: record.clientId,
        summary: `${client.client_id} revoked a refresh token of ${record.sub}, with every token of its grant`,
        details: { token_type: 'refresh_token', grant_id: record.grantId, family: true, revoked_by: client.client_id },
      });
    }
  }
  return true;
}

/** Tries each token type in turn; true when one of them knew the token. */
async function revokeAsAnyType(ctx: IssuerContext, token: string, client: ClientRecord, hint: string | undefined) {
  for (const revocation of searchOrder(ctx, hint)) if (await revocation(ctx, token, client)) return true;
  return false;
}

const REVOCATIONS: Record<'access_token' | 'refresh_token', Revocation> = {
  access_token: revokeAccessToken,
  refresh_token: revokeRefreshToken,
};

/**
 * §2.1: token_type_hint only orders the search; when the hinted type does not know the token, the others are tried.
 * An unknown hint value is no error (§2.2.1's unsupported_token_type is for token types the server cannot revoke).
 */
function searchOrder(ctx: IssuerContext, hint: string | undefined): Revocation[] {
  const ordered =
    hint === 'refresh_token' ? [REVOCATIONS.refresh_token, REVOCATIONS.access_token] : Object.values(REVOCATIONS);
  const trusted = hint === 'access_token' || hint === 'refresh_token';
  return trusted && ctx.defects.has('revocation-hint-trusted') ? ordered.slice(0, 1) : ordered;
}
