import type { IssuerContext } from '../context.ts';
import type { RouteSpec } from '../routes.ts';

/** RFC 7592: the client configuration endpoint (read, update, delete with the registration access token). */
export function clientManagementRoutes(_ctx: IssuerContext): RouteSpec[] {
  return [];
}
