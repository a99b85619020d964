import type { Fetch } from '../../../harness/network/types.ts';

/** How the misbehaving clients plant their flaws: rewriting what the good client sends or what it is told. */

/** The client's fetch, each request's URL (changed in place) and options passed through `transform` first. */
export function transformRequests(transform: (url: URL, init: RequestInit) => RequestInit): (fetch: Fetch) => Fetch {
  return (fetch) => async (input, init) => {
    if (input instanceof Request) return fetch(input, init);
    const url = new URL(input.toString());
    const changed = transform(url, init ?? {});
    return fetch(url, changed);
  };
}

export const PRM_PATH_PREFIX = '/.well-known/oauth-protected-resource';

export interface ResponseRewrites {
  /** Sees each authorization request URL as sent. */
  authorization?(url: URL): void;
  /** A redirect carrying an authorization code: its Location may be changed in place before the client reads it. */
  callback?(location: URL): void;
  /** A protected resource metadata document, changed in place before the client reads it (`url`: where it came from). */
  resourceMetadata?(url: URL, document: Record<string, unknown>): void;
}

/** The client's fetch, with the answers it gets rewritten, as if it never looked at what was rewritten. */
export function rewriteResponses(fetch: Fetch, rewrites: ResponseRewrites): Fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    if (url.pathname.endsWith('/authorize')) rewrites.authorization?.(url);
    const response = await fetch(input, init);
    const location = response.headers.get('location');
    if (rewrites.callback && location && URL.canParse(location, url)) {
      const target = new URL(location, url);
      if (!target.searchParams.has('code')) return response;
      rewrites.callback(target);
      const headers = new Headers(response.headers);
      headers.set('location', target.href);
      return new Response(response.body, { status: response.status, headers });
    }
    if (rewrites.resourceMetadata && url.pathname.startsWith(PRM_PATH_PREFIX) && response.ok) {
      const document = (await response.json()) as Record<string, unknown>;
      rewrites.resourceMetadata(url, document);
      return Response.json(document, { status: response.status });
    }
    return response;
  };
}

export interface Rewrites {
  /** GET /authorize: the URL may be changed in place. */
  authorization?(url: URL): void;
  /** POST /token: the form may be changed in place. */
  token?(form: URLSearchParams): void;
  /** Any other request carrying an Authorization header (the MCP calls). */
  mcp?(url: URL, authorization: string | null): void;
}

export function rewriteRequests(rewrites: Rewrites): (fetch: Fetch) => Fetch {
  return (fetch) => async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (url.pathname.endsWith('/authorize') && rewrites.authorization) {
      rewrites.authorization(url);
      return fetch(url, init);
    }
    if (url.pathname.endsWith('/token') && rewrites.token && init?.body !== undefined && init.body !== null) {
      const form = new URLSearchParams(String(init.body));
      rewrites.token(form);
      return fetch(url, { ...init, body: form });
    }
    if (headers.has('authorization') && rewrites.mcp && !url.pathname.endsWith('/token')) {
      rewrites.mcp(url, headers.get('authorization'));
      return fetch(input instanceof Request ? new Request(url, input) : url, init);
    }
    return fetch(input, init);
  };
}

export function deleteParameters(parameters: URLSearchParams, names: string[]): void {
  for (const name of names) parameters.delete(name);
}
