import { type AuthInfo, readRequestBody } from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import type { Clock } from '../../harness/clock.ts';
import type { Fetch, FetchHandler } from '../../harness/network/types.ts';
import { type Defects, NO_DEFECTS } from '../defects.ts';
import { presentedCredentials } from './bearer.ts';
import { type Challenger, createChallenger } from './challenge.ts';
import { createDownstreamCall } from './downstream.ts';
import { IssuerDirectory, type TrustedIssuer } from './issuer-directory.ts';
import { type CallerExtra, createSessionFactory, type SessionFactory } from './mcp-server.ts';
import { metadataResponse, protectedResourceMetadata, resourceMetadataPaths } from './metadata.ts';
import { calledTools, effectiveScopes, type ScopeNames, scopeShortfall, toolScopes } from './scopes.ts';
import { type McpSession, type SessionLimits, type SessionOwner, SessionStore } from './sessions.ts';
import {
  createTokenVerifier,
  type IntrospectionCredentials,
  InvalidTokenError,
  MalformedTokenError,
  type TokenVerifier,
  type VerifiedAccessToken,
} from './token-verifier.ts';

export type { TrustedIssuer } from './issuer-directory.ts';
export { resourceMetadataUrl, rootResourceMetadataUrl } from './metadata.ts';
export type { SessionLimits } from './sessions.ts';

export interface ResourceServerOptions {
  /** The MCP endpoint URL, e.g. `https://mcp.reference.test/mcp`: the RFC 8707 resource identifier. */
  resource: string;
  /** The authorization servers listed in the PRM; trusted with the default rules (aud = this resource). */
  authorizationServers: string[];
  /** Further trusted issuers (not advertised), each with its own rules; keys through its RFC 8414 metadata. */
  trustedIssuers?: TrustedIssuer[];
  /** Outbound fetch for AS metadata, JWKS, introspection, token exchange and the downstream API. */
  fetch: Fetch;
  clock: Clock;
  defects?: Defects;
  scopes: ScopeNames;
  /** When set, opaque tokens are introspected, and a valid JWT is also checked still active (revocation). */
  introspection?: IntrospectionCredentials;
  /** When set, the tool `downstream_report` calls `url` with a token exchanged for it (RFC 8693). */
  downstream?: { url: string; client: IntrospectionCredentials };
  sessions?: SessionLimits;
  resourceName?: string;
}

export interface ResourceServer {
  handler: FetchHandler;
  resource: string;
}

/** An authenticated caller: the token's (iss, sub) owns the sessions it opens. */
interface Caller {
  authInfo: AuthInfo;
  owner: SessionOwner;
}

/** The outcome of the bearer guard: who is calling (undefined only where a defect lets anyone in), or a refusal. */
type GuardOutcome = { caller: Caller | undefined } | { refusal: Response };

/** The reference MCP server as an OAuth 2.1 resource server: PRM, bearer guard, scope gate, then MCP sessions. */
export function createResourceServer(options: ResourceServerOptions): ResourceServer {
  const defects = options.defects ?? NO_DEFECTS;
  const { resource, scopes } = options;
  const resourceName = options.resourceName ?? 'Reference MCP server';
  const challenger = createChallenger({ resource, basicScope: scopes.basic, defects });
  const trusted = [...options.authorizationServers.map((issuer) => ({ issuer })), ...(options.trustedIssuers ?? [])];
  const issuers = new IssuerDirectory(trusted, options.fetch);
  const verify = createTokenVerifier({
    resource,
    issuers,
    fetch: options.fetch,
    clock: options.clock,
    defects,
    ...(options.introspection ? { introspection: options.introspection } : {}),
  });
  const guard = (request: Request) => bearerGuard(request, { verify, challenger, resource, defects });
  const downstream = options.downstream
    ? createDownstreamCall({ ...options.downstream, issuers, fetch: options.fetch, defects })
    : undefined;
  const endpoint: McpEndpointContext = {
    sessions: new SessionStore<RoutedSession>(options.clock, options.sessions),
    openSession: createSessionFactory({ name: resourceName, ...(downstream ? { downstream } : {}) }),
    requiredScopes: toolScopes(scopes),
    scopes,
    challenger,
    defects,
  };
  const metadata = protectedResourceMetadata({
    resource,
    authorizationServers: options.authorizationServers,
    scopes: [scopes.basic, scopes.elevated],
    resourceName,
    defects,
  });

  const app = new Hono();
  // RFC 9728 §3: the metadata document, at the path-inserted URL and at the root fallback MCP clients probe.
  for (const path of resourceMetadataPaths(resource, defects)) app.get(path, () => metadataResponse(metadata, defects));

  // MCP authorization: every request (POST, GET, DELETE) carries a token checked anew; the session only routes it.
  app.all(new URL(resource).pathname, async (c) => {
    const request = c.req.raw;
    const sessionId = request.headers.get('mcp-session-id');
    const session = sessionId === null ? undefined : endpoint.sessions.get(sessionId);
    const outcome = session && defects.has('session-as-auth') ? { caller: session.caller } : await guard(request);
    if ('refusal' in outcome) return outcome.refusal;
    const { caller } = outcome;
    // MCP security best practices "Session Hijacking": a session serves only the user whose token opened it.
    if (session && caller && !ownedBy(session, caller) && !defects.has('session-not-bound-to-user')) {
      return challenger.invalidToken('the session belongs to another user');
    }
    // MCP Streamable HTTP §Session Management: an ended or unknown session id is answered 404.
    if (sessionId !== null && !session) return jsonRpcError(404, -32001, 'Session not found');
    if (request.method === 'POST') return handlePost(request, caller, session, endpoint);
    if (request.method === 'DELETE') return handleDelete(request, caller, session, endpoint);
    return methodNotAllowed(request.method);
  });

  app.notFound(() => jsonResponse(404, { error: 'not_found', error_description: 'no such endpoint' }));
  app.onError(() => jsonResponse(500, { error: 'server_error', error_description: 'the MCP server failed' }));
  return { handler: async (request) => app.fetch(request), resource };
}

interface McpEndpointContext {
  sessions: SessionStore<RoutedSession>;
  openSession: SessionFactory;
  requiredScopes: ReadonlyMap<string, string[]>;
  scopes: ScopeNames;
  challenger: Challenger;
  defects: Defects;
}

/** A live session and the caller who opened it (the planted `session-as-auth` bug serves requests as that caller). */
type RoutedSession = McpSession & { caller?: Caller };

function ownedBy(session: McpSession, caller: Caller): boolean {
  const { owner } = session;
  return owner === undefined || (owner.issuer === caller.owner.issuer && owner.subject === caller.owner.subject);
}

/** MCP Streamable HTTP: JSON-RPC in the body; `initialize` opens a session, everything else needs one. */
async function handlePost(
  request: Request,
  caller: Caller | undefined,
  session: RoutedSession | undefined,
  endpoint: McpEndpointContext,
): Promise<Response> {
  const { defects, challenger } = endpoint;
  const body = await readJsonRpcBody(request, defects);
  if ('refusal' in body) return body.refusal;
  // MCP "Scope Challenge Handling", RFC 6750 §3.1: a tool needing more than the token holds is refused with 403.
  if (caller && !defects.has('rs-scope-unchecked')) {
    const held = effectiveScopes(caller.authInfo.scopes, endpoint.scopes, defects);
    const { needed, missing } = scopeShortfall(calledTools(body.parsed), endpoint.requiredScopes, held);
    if (missing.length) {
      return challenger.insufficientScope(needed, `this tool call needs the scope ${missing.join(' ')}`);
    }
  }
  const handleOptions = { parsedBody: body.parsed, ...(caller ? { authInfo: caller.authInfo } : {}) };
  if (session) return session.transport.handleRequest(request, handleOptions);
  if (!isInitializeRequest(body.parsed)) {
    return jsonRpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required (send initialize first)');
  }
  const opened: RoutedSession = await endpoint.openSession(caller?.owner);
  if (caller) opened.caller = caller;
  const response = await opened.transport.handleRequest(request, handleOptions);
  if (response.ok && opened.transport.sessionId === opened.id) endpoint.sessions.add(opened);
  else await opened.close();
  return response;
}

/** MCP Streamable HTTP §Session Management: DELETE with the session id ends the session. */
async function handleDelete(
  request: Request,
  caller: Caller | undefined,
  session: McpSession | undefined,
  endpoint: McpEndpointContext,
): Promise<Response> {
  if (!session) return jsonRpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
  const response = await session.transport.handleRequest(request, caller ? { authInfo: caller.authInfo } : {});
  endpoint.sessions.end(session.id);
  return response;
}

interface GuardContext {
  verify: TokenVerifier;
  challenger: Challenger;
  resource: string;
  defects: Defects;
}

/** OAuth 2.1 §5.2–5.3, RFC 6750 §3.1, RFC 9068 §4: no request reaches MCP without a valid access token. */
async function bearerGuard(request: Request, context: GuardContext): Promise<GuardOutcome> {
  const { verify, challenger, resource, defects } = context;
  const credentials = presentedCredentials(request, defects);
  if (credentials.kind === 'none') {
    if (defects.has('rs-allows-anonymous')) return { caller: undefined };
    if (request.method === 'GET' && defects.has('get-unauthenticated')) return { caller: undefined };
    return { refusal: challenger.missingCredentials() };
  }
  if (credentials.kind === 'malformed') return { refusal: challenger.invalidRequest(credentials.reason) };
  try {
    return { caller: toCaller(await verify(credentials.token), resource) };
  } catch (error) {
    if (error instanceof MalformedTokenError && defects.has('rs-500-on-malformed-token')) throw error;
    const description = error instanceof InvalidTokenError ? error.message : 'the token could not be validated';
    return { refusal: challenger.invalidToken(description) };
  }
}

function toCaller(token: VerifiedAccessToken, resource: string): Caller {
  const extra: CallerExtra = {
    identity: { sub: token.subject, client_id: token.clientId, scope: token.scopes.join(' '), aud: token.audience },
    issuer: token.issuer,
  };
  const authInfo: AuthInfo = {
    token: token.token,
    clientId: token.clientId,
    scopes: token.scopes,
    resource: new URL(resource),
    extra: { ...extra },
    ...(token.expiresAt === undefined ? {} : { expiresAt: token.expiresAt }),
  };
  return { authInfo, owner: { issuer: token.issuer, subject: token.subject } };
}

/**
 * JSON-RPC 2.0 §4–5.1: an unreadable body is a parse error (-32700) and a body that is no JSON-RPC message an invalid
 * request (-32600), both answered 400 before MCP sees them.
 */
async function readJsonRpcBody(
  request: Request,
  defects: Defects,
): Promise<{ parsed: unknown } | { refusal: Response }> {
  const body = await readRequestBody(request);
  if (body.tooLarge) return { refusal: jsonRpcError(413, -32600, 'request body too large') };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.text);
  } catch (error) {
    if (defects.has('rs-malformed-request-500')) throw error;
    return { refusal: jsonRpcError(400, -32700, 'Parse error: the body is not JSON') };
  }
  if (!isJsonRpcPayload(parsed)) {
    if (defects.has('rs-malformed-request-500')) throw new TypeError('not a JSON-RPC message');
    return { refusal: jsonRpcError(400, -32600, 'Invalid Request: the body is not a JSON-RPC 2.0 message or batch') };
  }
  return { parsed };
}

function isJsonRpcPayload(value: unknown): boolean {
  const messages = Array.isArray(value) ? value : [value];
  return messages.length > 0 && messages.every(isJsonRpcMessage);
}

function isJsonRpcMessage(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const message = value as Record<string, unknown>;
  return message.jsonrpc === '2.0' && (typeof message.method === 'string' || 'result' in message || 'error' in message);
}

function isInitializeRequest(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((message) => (message as Record<string, unknown>).method === 'initialize');
}

/**
 * MCP Streamable HTTP §Listening for Messages from the Server: a server that offers no SSE stream answers GET with 405
 * (this one answers in JSON only); other methods are not part of the transport.
 */
function methodNotAllowed(method: string): Response {
  const message = `Method not allowed: ${method} (this MCP server offers no SSE stream; use POST, or DELETE to end a session)`;
  return new Response(jsonRpcBody(-32000, message), {
    status: 405,
    headers: { Allow: 'POST, DELETE', 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
  });
}

function jsonRpcError(status: number, code: number, message: string): Response {
  return new Response(jsonRpcBody(code, message), {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
  });
}

function jsonRpcBody(code: number, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
}

function jsonResponse(status: number, body: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
  });
}
