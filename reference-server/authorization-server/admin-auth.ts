import type { IssuerContext } from './context.ts';
import { OAuthError } from './errors.ts';
import { constantTimeEqual } from './http.ts';

/**
 * RFC 6750 §2.1: the admin API takes the deployment's admin token as a bearer credential; §3.1: a missing or wrong
 * one is 401 with a Bearer challenge. A server configured without an admin token keeps the API closed.
 */
export function requireAdmin(ctx: IssuerContext, request: Request): void {
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '')?.[1];
  if (ctx.adminToken && presented && constantTimeEqual(presented, ctx.adminToken)) return;
  throw new OAuthError('invalid_token', 'the admin API needs the admin token as a Bearer credential', 401, {
    'WWW-Authenticate': `Bearer realm="${ctx.issuer}/admin"${presented ? ', error="invalid_token"' : ''}`,
  });
}
