/** Test doubles: a homegrown auth API as a fetch, and fetches that fail in each way a connector must survive. */

import type { Fetch } from '../../harness/network/types.ts';

export interface SeenRequest {
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** A fetch answered by `respond`, remembering every request it saw. */
export function fakeFetch(respond: (request: SeenRequest) => Response | Promise<Response>) {
  const seen: SeenRequest[] = [];
  const fetch: Fetch = async (input, init) => {
    const request = new Request(input, init);
    const entry = { method: request.method, url: request.url, headers: request.headers, body: await request.text() };
    seen.push(entry);
    return respond(entry);
  };
  return { fetch, seen };
}

/** POST /login {username, password}: alice/secret is accepted, anything else is 401. */
export function homegrownAuthApi() {
  return fakeFetch(({ body }) => {
    const { username, password } = JSON.parse(body) as { username: string; password: string };
    if (username === 'alice' && password === 'secret') {
      return json({ user: { id: 'ext-alice', email: 'alice@example.com', plan: 'pro', roles: ['admin', 'dev'] } });
    }
    return json({ error: 'invalid credentials' }, 401);
  });
}

/** A fetch that never answers on its own and rejects once the caller's signal aborts. */
export const hangingFetch: Fetch = (_input, init) =>
  new Promise((_, reject) => {
    init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
  });

/** A fetch that ignores the abort signal entirely. */
export const deafFetch: Fetch = () => new Promise(() => {});

/** A fetch that routes each request to the handler of its origin (the mocks expose `handler`). */
export function routeByOrigin(handlers: Record<string, (request: Request) => Promise<Response>>): Fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const handler = handlers[new URL(request.url).origin];
    if (!handler) throw new TypeError(`fetch failed: no route to ${request.url}`);
    return handler(request);
  };
}

/** The `defects` dependency with exactly these defects on. */
export function withDefects(...names: string[]): { has(name: string): boolean } {
  const on = new Set(names);
  return { has: (name) => on.has(name) };
}

/** A shared single-use memory, as an authorization server's store would provide. */
export function sharedOnce(): (id: string, expiresAtMs: number) => Promise<boolean> {
  const used = new Set<string>();
  return async (id) => {
    if (used.has(id)) return false;
    used.add(id);
    return true;
  };
}
