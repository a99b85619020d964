import { requireAdmin } from '../admin-auth.ts';
import type { IssuerContext } from '../context.ts';
import { asOAuthError, errorResponse, jsonResponse, NO_STORE } from '../errors.ts';

// Seed 003: the audit trail of delegated tokens for administrators (RFC 6750 bearer admin token), oldest first,
// filtered by `sub` (the user) and `jti` (a token issued, or exchanged from); `{ "events": [AuditEvent…] }`.
export async function handleAuditTrail(ctx: IssuerContext, request: Request): Promise<Response> {
  try {
    requireAdmin(ctx, request);
    const query = new URL(request.url).searchParams;
    const sub = query.get('sub');
    const jti = query.get('jti');
    const events = (await ctx.store.audit.list(ctx.issuer)).filter(
      (event) =>
        (sub === null || event.sub === sub) && (jti === null || event.issuedJti === jti || event.subjectJti === jti),
    );
    return jsonResponse({ events }, 200, { ...NO_STORE });
  } catch (thrown) {
    return errorResponse(asOAuthError(thrown));
  }
}
