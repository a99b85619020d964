/** A route an endpoint module contributes to an issuer: its path (Hono syntax, under the issuer's path) and handlers. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteSpec {
  /** e.g. `${ctx.path}/register/:client_id`. */
  path: string;
  handlers: Partial<Record<HttpMethod, (request: Request) => Promise<Response>>>;
  /** Machine-facing endpoints answer cross-origin requests; pages do not. */
  crossOrigin?: boolean;
}
