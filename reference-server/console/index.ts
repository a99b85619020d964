import type { IssuerContext } from '../authorization-server/context.ts';
import type { RouteSpec } from '../authorization-server/routes.ts';

/** Seed 004: the Clients hub console, server-rendered pages under `<issuer>/console`. */
export function consoleRoutes(_ctx: IssuerContext): RouteSpec[] {
  return [];
}
