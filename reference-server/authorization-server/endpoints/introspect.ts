import { NO_DEFECTS } from '../../defects.ts';
import { authenticateClient } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { asOAuthError, errorResponse, jsonResponse, NO_STORE, OAuthError } from '../errors.ts';
import { activeRefreshToken, refreshTokenClaims } from '../grants/refresh-token.ts';
import { readForm, singleParam } from '../http.ts';
import { activeTokenRecord, tokenClaims } from '../tokens.ts';

// RFC 7662 §2: a confidential client POSTs `token` (JWT or opaque); unknown, expired or revoked ones are {"active": false}.
export async function handleIntrospect(ctx: IssuerContext, request: Request): Promise<Response> {
  try {
    const form = await readForm(request);
    const { client } = await authenticateClient(request, form, {
      store: ctx.store,
      defects: NO_DEFECTS,
      realm: ctx.issuer,
      requireConfidential: true,
    });
    const token = singleParam(form, 'token');
    if (!token) throw new OAuthError('invalid_request', 'token is required');
    const record = await activeTokenRecord(ctx, token);
    if (record)
      return jsonResponse({ active: true, ...tokenClaims(record), token_type: 'Bearer' }, 200, { ...NO_STORE });
    // §2.2, §4: a refresh token is shown only to the client holding it, so no resource server mistakes it for access.
    const refresh = await activeRefreshToken(ctx, token);
    if (refresh?.clientId === client.client_id) {
      return jsonResponse({ active: true, ...refreshTokenClaims(refresh) }, 200, { ...NO_STORE });
    }
    return jsonResponse({ active: false }, 200, { ...NO_STORE });
  } catch (thrown) {
    return errorResponse(asOAuthError(thrown));
  }
}
