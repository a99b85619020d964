import { parseAuditQuery, readAuditLog } from '../activity.ts';
import { requireAdmin } from '../admin-auth.ts';
import type { IssuerContext } from '../context.ts';
import { asOAuthError, errorResponse, jsonResponse, NO_STORE } from '../errors.ts';

// Seeds 003/004: the audit log for administrators (RFC 6750 bearer admin token), oldest first, filtered by `kind`
// (repeatable), `sub`, `client_id`, `jti`, `since` (epoch ms), newest `limit` (≤ 5000); `{ "events": [AuditEvent…] }`.
export async function handleAuditTrail(ctx: IssuerContext, request: Request): Promise<Response> {
  try {
    requireAdmin(ctx, request);
    const events = await readAuditLog(ctx, parseAuditQuery(new URL(request.url).searchParams));
    return jsonResponse({ events }, 200, { ...NO_STORE });
  } catch (thrown) {
    return errorResponse(asOAuthError(thrown));
  }
}
