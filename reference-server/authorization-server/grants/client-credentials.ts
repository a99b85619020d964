import type { AuthenticatedClient } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { OAuthError } from '../errors.ts';

// OAuth 2.1 §4.2: the client credentials grant.
export async function clientCredentialsGrant(
  _ctx: IssuerContext,
  _client: AuthenticatedClient,
  _form: URLSearchParams,
): Promise<Response> {
  throw new OAuthError('unsupported_grant_type', 'grant_type "client_credentials" is not supported here');
}
