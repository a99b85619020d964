import { NO_DEFECTS } from '../../defects.ts';
import { authenticateClient } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { asOAuthError, errorResponse, NO_STORE, OAuthError } from '../errors.ts';
import { findRefreshToken, revokeRefreshTokenFamily } from '../grants/refresh-token.ts';
import { readForm, singleParam } from '../http.ts';
import { findTokenRecord } from '../tokens.ts';

// RFC 7009 §2.1: the client authenticates as at the token endpoint and may revoke only tokens issued to it; §2.2:
// unknown tokens and other clients' tokens get the same empty 200 (an invalid token), so nothing leaks about them.
export async function handleRevoke(ctx: IssuerContext, request: Request): Promise<Response> {
  try {
    const form = await readForm(request);
    const { client } = await authenticateClient(request, form, {
      store: ctx.store,
      defects: NO_DEFECTS,
      realm: ctx.issuer,
    });
    const token = singleParam(form, 'token');
    if (!token) throw new OAuthError('invalid_request', 'token is required');
    // §2.1: token_type_hint is only a hint; every token type this server issues is searched whatever it says.
    singleParam(form, 'token_type_hint');
    const record = await findTokenRecord(ctx, token);
    if (record && record.clientId === client.client_id) await ctx.store.tokens.revoke(record.jti, ctx.clock.now());
    const refresh = record ? undefined : await findRefreshToken(ctx, token);
    // §2.1: revoking a refresh token revokes its grant: every refresh and access token of its family.
    if (refresh && refresh.clientId === client.client_id && !ctx.defects.has('refresh-survives-revocation')) {
      await revokeRefreshTokenFamily(ctx, refresh.grantId);
    }
    return new Response(null, { status: 200, headers: { ...NO_STORE } });
  } catch (thrown) {
    return errorResponse(asOAuthError(thrown));
  }
}
