import type { IssuerContext } from '../context.ts';
import { errorResponse, OAuthError } from '../errors.ts';

/** OIDC Core §5.3: the userinfo members announced in metadata (none until the endpoint exists). */
export function userinfoMetadata(_ctx: IssuerContext): Record<string, unknown> {
  return {};
}

// OIDC Core §5.3: GET or POST with the access token (RFC 6750); claims of the token's user.
export async function handleUserinfo(_ctx: IssuerContext, _request: Request): Promise<Response> {
  return errorResponse(new OAuthError('not_found', 'userinfo is not available yet', 404));
}
