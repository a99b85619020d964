import type { ScenarioSetup, ServerAdaptation } from '../../../harness/client-mode/scenario.ts';
import type { FetchHandler } from '../../../harness/network/types.ts';
import { isAuthorizationServerMetadataPath, PRM_SUFFIX, pathInsertedResourceMetadataUrl } from './locations.ts';

/** Where a scenario's MCP server serves its protected resource metadata, and whether its 401 challenge says so. */
export interface ResourceMetadataPlacement {
  /** `path-inserted` and `root` are the RFC 9728 §3.1 well-known URLs; any other value is a path on the MCP origin. */
  at: 'path-inserted' | 'root' | `/${string}`;
  namedInChallenge: boolean;
  /** The issuer the document lists as its only authorization server; absent, the reference system's list. */
  authorizationServer?(setup: ScenarioSetup): string;
}

/**
 * RFC 9728 §3.1, §5.1: the metadata is served at one place only (every other well-known URL answers 404), and the
 * challenge's `resource_metadata` names that place or is left out.
 */
export const resourceMetadataAt =
  (placement: ResourceMetadataPlacement): ServerAdaptation =>
  (setup) => ({
    mcp: (handler) => {
      const origin = new URL(setup.mcpUrl).origin;
      const served = servedPath(placement, setup);
      const pointer = placement.namedInChallenge ? `${origin}${served}` : undefined;
      const authorizationServer = placement.authorizationServer?.(setup);
      return async (request) => {
        const { pathname } = new URL(request.url);
        if (pathname === served) {
          const document = await handler(new Request(pathInsertedResourceMetadataUrl(setup.mcpUrl)));
          return authorizationServer === undefined
            ? document
            : rewrittenJson(document, (json) => ({ ...json, authorization_servers: [authorizationServer] }));
        }
        if (pathname.startsWith(PRM_SUFFIX)) return notFound('no protected resource metadata here');
        return withChallengePointer(await handler(request), pointer);
      };
    },
  });

function servedPath(placement: ResourceMetadataPlacement, setup: ScenarioSetup): string {
  if (placement.at === 'root') return PRM_SUFFIX;
  if (placement.at === 'path-inserted') return new URL(pathInsertedResourceMetadataUrl(setup.mcpUrl)).pathname;
  return placement.at;
}

/** RFC 8414 §3, OpenID Discovery §4: the AS publishes its metadata at this one well-known path only. */
export const authorizationServerMetadataOnlyAt =
  (path: (setup: ScenarioSetup) => string): ServerAdaptation =>
  (setup) => ({
    as: (handler) => async (request) => {
      const { pathname } = new URL(request.url);
      return isAuthorizationServerMetadataPath(pathname) && pathname !== path(setup)
        ? notFound('no authorization server metadata here')
        : handler(request);
    },
  });

/** A forged metadata document: its `issuer` is not the issuer whose well-known URL served it (RFC 8414 §3.3). */
export const metadataIssuer =
  (issuer: string): ServerAdaptation =>
  () => ({
    as: (handler) => async (request) => {
      const response = await handler(request);
      return isAuthorizationServerMetadataPath(new URL(request.url).pathname)
        ? rewrittenJson(response, (json) => ({ ...json, issuer }))
        : response;
    },
  });

/**
 * A 2025-03-26 MCP server: no protected resource metadata, no `resource_metadata` in its challenge, and the AS at
 * the MCP server's origin (the reference AS behind it). With `metadata`, its RFC 8414 document is at the MCP origin
 * naming that origin as issuer; without, only the default endpoints answer (2025-03-26 "Fallbacks for Servers without
 * Metadata Discovery").
 */
export const authorizationServerAtMcpOrigin =
  ({ metadata }: { metadata: boolean }): ServerAdaptation =>
  (setup) => ({
    mcp: (handler) => {
      const mcpPath = new URL(setup.mcpUrl).pathname;
      const proxy = proxiedAuthorizationServer(setup);
      return async (request) => {
        const { pathname } = new URL(request.url);
        if (pathname === mcpPath) return withChallengePointer(await handler(request), undefined);
        if (pathname.startsWith(PRM_SUFFIX)) return notFound('this MCP server has no protected resource metadata');
        if (isAuthorizationServerMetadataPath(pathname) && !metadata) return notFound('no metadata discovery here');
        return proxy(request);
      };
    },
  });

/** The reference AS answering at the MCP origin, which it takes as its issuer in metadata and `iss` (RFC 9207 §2). */
function proxiedAuthorizationServer(setup: ScenarioSetup): FetchHandler {
  const asOrigin = new URL(setup.issuer).origin;
  const mcpOrigin = new URL(setup.mcpUrl).origin;
  const handler = setup.system.handlers.get(asOrigin);
  if (!handler) throw new Error(`the reference system serves nothing at ${asOrigin}`);
  return async (request) => {
    const url = new URL(request.url);
    const forwarded = await withDefaultResource(
      new Request(`${asOrigin}${url.pathname}${url.search}`, {
        method: request.method,
        headers: request.headers,
        ...(request.method === 'GET' || request.method === 'HEAD' ? {} : { body: await request.arrayBuffer() }),
      }),
      setup.mcpUrl,
    );
    const response = await handler(forwarded);
    if (isAuthorizationServerMetadataPath(url.pathname)) {
      return rewrittenJson(response, (json) => JSON.parse(JSON.stringify(json).replaceAll(asOrigin, mcpOrigin)));
    }
    return withIssInRedirect(response, mcpOrigin);
  };
}

/**
 * RFC 8707 became MCP-required in 2025-06-18: a 2025-03-26 AS serves one resource and takes an authorization or token
 * request without `resource` as meant for it. The reference AS protects several, so the MCP URL is supplied when the
 * client sent none (the recorder has already seen the request as sent; the resource checks still judge it).
 */
async function withDefaultResource(request: Request, resource: string): Promise<Request> {
  const url = new URL(request.url);
  if (request.method === 'GET' && url.searchParams.has('response_type') && !url.searchParams.has('resource')) {
    url.searchParams.set('resource', resource);
    return new Request(url, { method: 'GET', headers: request.headers });
  }
  const isForm = request.headers.get('content-type')?.startsWith('application/x-www-form-urlencoded') ?? false;
  if (request.method !== 'POST' || !isForm) return request;
  const form = new URLSearchParams(await request.clone().text());
  if (!form.has('grant_type') || form.has('resource')) return request;
  form.set('resource', resource);
  return new Request(url, { method: 'POST', headers: request.headers, body: form.toString() });
}

/** The `iss` of an authorization response redirect set to `issuer`. */
function withIssInRedirect(response: Response, issuer: string): Response {
  const location = response.headers.get('location');
  if (!location || !URL.canParse(location)) return response;
  const target = new URL(location);
  if (!target.searchParams.has('iss')) return response;
  target.searchParams.set('iss', issuer);
  const headers = new Headers(response.headers);
  headers.set('location', target.href);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** RFC 6750 §3 challenge with `resource_metadata` (RFC 9728 §5.1) set to `pointer`, or removed when undefined. */
function withChallengePointer(response: Response, pointer: string | undefined): Response {
  const challenge = response.headers.get('www-authenticate');
  if (!challenge) return response;
  const params = [...challenge.matchAll(/(\w+)="([^"]*)"/g)]
    .map(([, name, value]) => [name, value] as const)
    .filter(([name]) => name !== 'resource_metadata');
  if (pointer !== undefined) params.unshift(['resource_metadata', pointer]);
  const headers = new Headers(response.headers);
  headers.set(
    'www-authenticate',
    params.length ? `Bearer ${params.map(([name, value]) => `${name}="${value}"`).join(', ')}` : 'Bearer',
  );
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

type JsonDocument = Record<string, unknown>;

/** A 200 JSON document changed by `change` (other responses pass unchanged). */
async function rewrittenJson(response: Response, change: (json: JsonDocument) => JsonDocument): Promise<Response> {
  if (response.status !== 200) return response;
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  return Response.json(change((await response.json()) as JsonDocument), { headers });
}

function notFound(description: string): Response {
  return Response.json(
    { error: 'not_found', error_description: description },
    { status: 404, headers: { 'Cache-Control': 'no-store' } },
  );
}
