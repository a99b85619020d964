import { decodeJwt } from 'jose';
import type { HandlerAdaptation, ScenarioSetup, ServerAdaptation } from '../../../harness/client-mode/scenario.ts';
import type { FetchHandler } from '../../../harness/network/types.ts';

const AS_METADATA_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];
const PRM_PATH_PREFIX = '/.well-known/oauth-protected-resource';

/**
 * The official suite's fixed Client ID Metadata Document URL (`auth/basic-cimd`); its clients use it as client_id
 * without being told. The harness hosts the document there for the AS (never on the network).
 */
export const CIMD_CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

/** Redirect URIs the hosted document lists: the mock clients' and the official example clients' loopback callbacks. */
export const CIMD_REDIRECT_URIS = ['http://127.0.0.1:5555/callback', 'http://localhost:3000/callback'];

/** The client metadata the harness publishes for the client at CIMD_CLIENT_METADATA_URL (CIMD §4.1, public client). */
export const CIMD_DOCUMENT = {
  client_id: CIMD_CLIENT_METADATA_URL,
  client_name: 'MCP conformance client',
  redirect_uris: CIMD_REDIRECT_URIS,
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  application_type: 'native',
};

/**
 * CIMD §4: the AS fetches the document at the client_id URL. The document's origin is added to the reference system's
 * own in-memory routing, which is where its outbound fetch looks first; nothing of the client's traffic changes.
 */
export const hostsClientMetadataDocument: ServerAdaptation = (setup) => {
  const documentUrl = new URL(CIMD_CLIENT_METADATA_URL);
  // CIMD §4.1: served as application/json with a 200; any other path on that origin does not exist.
  const document: FetchHandler = async (request) =>
    new URL(request.url).pathname === documentUrl.pathname
      ? Response.json(CIMD_DOCUMENT, { headers: { 'Cache-Control': 'max-age=300' } })
      : new Response('Not Found', { status: 404 });
  setup.system.handlers.set(documentUrl.origin, document);
  return {};
};

/** A 200 JSON response with its document changed by `edit` (other responses pass unchanged). */
async function editedJson(response: Response, edit: (document: Record<string, unknown>) => void): Promise<Response> {
  if (response.status !== 200) return response;
  const document = (await response.json()) as Record<string, unknown>;
  edit(document);
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  return Response.json(document, { status: 200, headers });
}

const isAsMetadata = (request: Request) => AS_METADATA_PATHS.includes(new URL(request.url).pathname);

/** RFC 9207 §3: an AS that does not support `iss` leaves authorization_response_iss_parameter_supported out. */
export const issNotAdvertised: ServerAdaptation = () => ({
  as: (handler) => async (request) => {
    const response = await handler(request);
    return isAsMetadata(request)
      ? editedJson(response, (document) => {
          delete document.authorization_response_iss_parameter_supported;
        })
      : response;
  },
});

/**
 * The authorization redirect's `iss` rewritten by `value` (given the genuine issuer; undefined drops it), as an AS
 * that omits it, or one whose issuer differs by a normalization, would send it (RFC 9207 §2).
 */
export function authorizationIss(value: (issuer: string) => string | undefined): ServerAdaptation {
  return (setup) => ({
    as: (handler) => async (request) => {
      const response = await handler(request);
      const location = response.headers.get('location');
      if (!location || !URL.canParse(location)) return response;
      const target = new URL(location);
      if (!target.searchParams.has('code') && !target.searchParams.has('error')) return response;
      const iss = value(setup.issuer);
      if (iss === undefined) target.searchParams.delete('iss');
      else target.searchParams.set('iss', iss);
      const headers = new Headers(response.headers);
      headers.set('location', target.href);
      return new Response(response.body, { status: response.status, headers });
    },
  });
}

/** RFC 7591 §3.2.2: every registration request is refused with this error (status 400, or 5xx for an outage). */
export function registrationRefused(status: number, error: string, description: string): ServerAdaptation {
  return () => ({
    as: (handler) => async (request) =>
      request.method === 'POST' && new URL(request.url).pathname.endsWith('/register')
        ? Response.json(
            { error, error_description: description },
            { status, headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } },
          )
        : handler(request),
  });
}

/** The issuer the MCP server moves to in `auth/authorization-server-migration` (a tenant of the reference AS). */
export const MIGRATION_TENANT = 'two';
export const migrationIssuer = (setup: Pick<ScenarioSetup, 'issuer'>) => `${setup.issuer}/t/${MIGRATION_TENANT}`;

/**
 * MCP 2026-07-28 "Authorization Server Binding" (SEP-2352): the MCP server first names the root issuer in its
 * protected resource metadata; once a tools/ call with a token of that AS has succeeded, it names the tenant issuer
 * instead, answers 401 invalid_token to every token the first AS issued (so the client must re-discover and register
 * anew) and 404 to the sessions opened before the move (so the client starts a new one).
 */
export const migratesAuthorizationServer: ServerAdaptation = (setup) => {
  let migrated = false;
  const next = migrationIssuer(setup);
  /** Sessions opened under the first AS: the move ends them. */
  const endedSessions = new Set<string>();
  const mcp: HandlerAdaptation = (handler) => async (request) => {
    const url = new URL(request.url);
    if (url.pathname.startsWith(PRM_PATH_PREFIX)) {
      return editedJson(await handler(request), (document) => {
        document.authorization_servers = [migrated ? next : setup.issuer];
      });
    }
    const issuer = bearerIssuer(request);
    if (issuer === undefined) return handler(request);
    if (migrated && issuer !== next) return authorizationServerChanged(url);
    if (migrated && endedSessions.has(request.headers.get('mcp-session-id') ?? '')) return sessionEnded();
    const toolCall = await isToolRequest(request);
    const response = await handler(request);
    const session = response.headers.get('mcp-session-id') ?? request.headers.get('mcp-session-id');
    if (!migrated && session) endedSessions.add(session);
    if (response.ok && issuer === setup.issuer && toolCall) migrated = true;
    return response;
  };
  return { mcp };
};

// MCP Streamable HTTP "Session Management": a session the server ended is answered 404; the client starts a new one.
function sessionEnded(): Response {
  return Response.json(
    {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32001, message: 'Session not found: the authorization server changed' },
    },
    { status: 404, headers: { 'Cache-Control': 'no-store' } },
  );
}

/** A JSON-RPC request of the `tools/` family (the "first successful call" after which the MCP server moves). */
async function isToolRequest(request: Request): Promise<boolean> {
  try {
    const message = (await request.clone().json()) as { method?: unknown };
    return typeof message.method === 'string' && message.method.startsWith('tools/');
  } catch {
    return false;
  }
}

/** The `iss` of the request's JWT bearer token, or undefined when it carries none. */
function bearerIssuer(request: Request): string | undefined {
  const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
  if (!token) return undefined;
  try {
    return decodeJwt(token).iss;
  } catch {
    return undefined;
  }
}

// RFC 6750 §3.1: a token the resource no longer accepts is refused with 401 invalid_token, pointing at the metadata.
function authorizationServerChanged(url: URL): Response {
  const metadata = `${url.origin}${PRM_PATH_PREFIX}${url.pathname}`;
  return Response.json(
    { error: 'invalid_token', error_description: 'this MCP server has moved to another authorization server' },
    {
      status: 401,
      headers: {
        'Cache-Control': 'no-store',
        'WWW-Authenticate': `Bearer error="invalid_token", error_description="the authorization server has changed", resource_metadata="${metadata}"`,
      },
    },
  );
}

/** The path on the foreign origin the MCP server sends its first tool call to. */
export const FOREIGN_MCP_PATH = '/relocated/mcp';

/**
 * The MCP server answers the client's first authenticated tools/call with a 307 to the foreign origin, which serves
 * it as if relocated there (the harness replays it to the MCP server with the token it saw). A fetch that follows the
 * redirect drops the Authorization header on the way (Fetch §4.4 "HTTP-redirect fetch", cross-origin); a client that
 * re-sends it hands its token to a third party.
 */
export const redirectsToForeignOrigin: ServerAdaptation = (setup) => {
  let redirected = false;
  let mcpHandler: FetchHandler | undefined;
  let relocatedToken: string | undefined;
  return {
    mcp: (handler) => {
      mcpHandler = handler;
      return async (request) => {
        const authorization = request.headers.get('authorization');
        if (redirected || !authorization || request.method !== 'POST') return handler(request);
        const body = await request.clone().text();
        if (!body.includes('"tools/call"')) return handler(request);
        redirected = true;
        relocatedToken = authorization;
        // RFC 9110 §15.4.8: 307 keeps the method and the body.
        return new Response(null, {
          status: 307,
          headers: { Location: `${setup.foreignOrigin}${FOREIGN_MCP_PATH}`, 'Cache-Control': 'no-store' },
        });
      };
    },
    foreign: (handler) => async (request) => {
      const url = new URL(request.url);
      if (url.pathname !== FOREIGN_MCP_PATH || !mcpHandler || !relocatedToken) return handler(request);
      const headers = new Headers(request.headers);
      headers.set('authorization', relocatedToken);
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.text();
      return mcpHandler(new Request(setup.mcpUrl, { method: request.method, headers, ...(body ? { body } : {}) }));
    },
  };
};
