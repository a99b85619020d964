/** Enterprise-managed authorization: an Identity Assertion JWT Authorization Grant redeemed by RFC 7523 §2.1. */
import type { AuthenticatedClient } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { OAuthError } from '../errors.ts';

export const ID_JAG_TYP = 'oauth-id-jag+jwt';
export const ID_JAG_GRANT_PROFILE = 'urn:ietf:params:oauth:grant-profile:id-jag';

/** ID-JAG §4.4: the metadata members announcing the profile (none until enterprise IdPs are trusted). */
export function idJagMetadata(_ctx: IssuerContext): Record<string, unknown> {
  return {};
}

/** ID-JAG §4.4.1: validate the ID-JAG and issue an access token for its resource. */
export async function idJagGrant(
  _ctx: IssuerContext,
  _authenticated: AuthenticatedClient,
  _form: URLSearchParams,
  _assertion: string,
): Promise<Response> {
  throw new OAuthError('unsupported_grant_type', 'ID-JAG redemption is not available yet');
}
