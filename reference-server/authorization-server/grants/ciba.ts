/** OpenID CIBA Core 1.0, poll mode: the token request with an `auth_req_id` (§10.1). */
import type { AuthenticatedClient } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { OAuthError } from '../errors.ts';

export const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';

/** CIBA Core §4: the metadata members of the backchannel endpoint (poll mode only). */
export function cibaMetadata(_ctx: IssuerContext): Record<string, unknown> {
  return {};
}

/** §10.1: poll with the auth_req_id; pending, slow_down, expired_token, access_denied, or the tokens. */
export async function cibaGrant(
  _ctx: IssuerContext,
  _authenticated: AuthenticatedClient,
  _form: URLSearchParams,
): Promise<Response> {
  throw new OAuthError('unsupported_grant_type', 'CIBA is not available yet');
}
