import type { IssuerContext } from '../context.ts';
import { errorResponse, OAuthError } from '../errors.ts';

// CIBA Core §7.1: POST, client-authenticated; §7.3 answers auth_req_id, expires_in, interval.
export async function handleBackchannelAuthentication(_ctx: IssuerContext, _request: Request): Promise<Response> {
  return errorResponse(new OAuthError('not_found', 'backchannel authentication is not available yet', 404));
}

// Seed 004: the emailed approval link shows what is asked and lets the user approve or deny.
export async function handleCibaApprovalPage(_ctx: IssuerContext, _request: Request): Promise<Response> {
  return errorResponse(new OAuthError('not_found', 'CIBA approval is not available yet', 404));
}

export async function handleCibaApprovalSubmit(_ctx: IssuerContext, _request: Request): Promise<Response> {
  return errorResponse(new OAuthError('not_found', 'CIBA approval is not available yet', 404));
}
