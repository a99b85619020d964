import type { IssuerContext } from '../context.ts';
import type { RouteSpec } from '../routes.ts';

/** Seed 004 (Clients hub): the admin API for clients (JSON, admin token required). */
export function adminClientRoutes(_ctx: IssuerContext): RouteSpec[] {
  return [];
}
