import type { AuthenticatedClient } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { OAuthError } from '../errors.ts';

// OAuth 2.1 §4.3: the refresh token grant.
export async function refreshTokenGrant(
  _ctx: IssuerContext,
  _client: AuthenticatedClient,
  _form: URLSearchParams,
): Promise<Response> {
  throw new OAuthError('unsupported_grant_type', 'grant_type "refresh_token" is not supported here');
}
