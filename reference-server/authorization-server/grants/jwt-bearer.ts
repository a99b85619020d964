/** RFC 7523 §2.1 JWT bearer grant with the client's trusted issuers (seed 004). */
import type { AuthenticatedClient } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { OAuthError } from '../errors.ts';

/** RFC 7523 §2.1: an assertion from one of the client's trusted issuers becomes an access token for its subject. */
export async function jwtBearerGrant(
  _ctx: IssuerContext,
  _authenticated: AuthenticatedClient,
  _form: URLSearchParams,
  _assertion: string,
): Promise<Response> {
  throw new OAuthError('unsupported_grant_type', 'the JWT bearer grant is not available yet');
}
