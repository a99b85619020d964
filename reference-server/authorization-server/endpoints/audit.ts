import type { IssuerContext } from '../context.ts';
import { errorResponse, OAuthError } from '../errors.ts';

// Seed 003: the audit trail of delegated tokens, for administrators.
export async function handleAuditTrail(_ctx: IssuerContext, _request: Request): Promise<Response> {
  return errorResponse(new OAuthError('not_found', 'the audit trail is not available yet', 404));
}
