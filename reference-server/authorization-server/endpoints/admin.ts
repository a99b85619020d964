import type { IssuerContext } from '../context.ts';
import { errorResponse, OAuthError } from '../errors.ts';

// Seed 004: every client_credentials client is an agentic identity, listed for administrators.
export async function handleAgenticIdentities(_ctx: IssuerContext, _request: Request): Promise<Response> {
  return errorResponse(new OAuthError('not_found', 'the admin API is not available yet', 404));
}
