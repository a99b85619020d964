import { type AuthInfo, readRequestBody } from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import type { Clock } from '../../harness/clock.ts';
import type { Fetch, FetchHandler } from '../../harness/network/types.ts';
import { type Defects, NO_DEFECTS } from '../defects.ts';
import { presentedCredentials } from './bearer.ts';
import { type Challenger, createChallenger } from './challenge.ts';
import { IssuerDirectory } from './issuer-directory.ts';
import { createMcpEndpoint, type TokenIdentity } from './mcp-server.ts';
import { metadataResponse, protectedResourceMetadata, resourceMetadataPaths } from './metadata.ts';
import { calledTools, effectiveScopes, type ScopeNames, scopeShortfall, toolScopes } from './scopes.ts';
import {
  createTokenVerifier,
  type IntrospectionCredentials,
  InvalidTokenError,
  MalformedTokenError,
  type TokenVerifier,
  type VerifiedAccessToken,
} from './token-verifier.ts';

export { resourceMetadataUrl, rootResourceMetadataUrl } from './metadata.ts';

export interface ResourceServerOptions {
  /** The MCP endpoint URL, e.g. `https://mcp.reference.test/mcp`: the RFC 8707 resource identifier. */
  resource: string;
  /** Trusted issuers: listed in the PRM; a token's `iss` must be one of them exactly. */
  authorizationServers: string[];
  /** Outbound fetch for AS metadata, JWKS and introspection. */
  fetch: Fetch;
  clock: Clock;
  defects?: Defects;
  scopes: ScopeNames;
  /** When set, a valid JWT is also checked active at the issuer's introspection endpoint (revocation). */
  introspection?: IntrospectionCredentials;
  resourceName?: string;
}

export interface ResourceServer {
  handler: FetchHandler;
  resource: string;
}

/** The outcome of the bearer guard: who is calling, or the refusal to send back. */
type GuardOutcome = { caller: AuthInfo | undefined } | { refusal: Response };

/** The reference MCP server as an OAuth 2.1 resource server: PRM, bearer guard, scope gate, then MCP. */
export function createResourceServer(options: ResourceServerOptions): ResourceServer {
  const defects = options.defects ?? NO_DEFECTS;
  const { resource, scopes } = options;
  const resourceName = options.resourceName ?? 'Reference MCP server';
  const challenger = createChallenger({ resource, basicScope: scopes.basic, defects });
  const verify = createTokenVerifier({
    resource,
    issuers: new IssuerDirectory(options.authorizationServers, options.fetch),
    fetch: options.fetch,
    clock: options.clock,
    defects,
    ...(options.introspection ? { introspection: options.introspection } : {}),
  });
  const guard = (request: Request) => bearerGuard(request, { verify, challenger, resource, defects });
  const requiredScopes = toolScopes(scopes);
  const mcp = createMcpEndpoint(resourceName);
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

  // MCP Streamable HTTP behind RFC 6750 / OAuth 2.1 §5.2: authorize first, then read the body, then gate by scope.
  app.all(new URL(resource).pathname, async (c) => {
    const outcome = await guard(c.req.raw);
    if ('refusal' in outcome) return outcome.refusal;
    if (c.req.method !== 'POST') return methodNotAllowed();
    const body = await readJsonRpcBody(c.req.raw);
    if ('refusal' in body) return body.refusal;
    if (outcome.caller && !defects.has('rs-scope-unchecked')) {
      const held = effectiveScopes(outcome.caller.scopes, scopes);
      const { needed, missing } = scopeShortfall(calledTools(body.parsed), requiredScopes, held);
      if (missing.length) {
        return challenger.insufficientScope(needed, `this tool call needs the scope ${missing.join(' ')}`);
      }
    }
    return mcp(c.req.raw, body.parsed, outcome.caller);
  });

  app.notFound(() => jsonResponse(404, { error: 'not_found', error_description: 'no such endpoint' }));
  app.onError(() => jsonResponse(500, { error: 'server_error', error_description: 'the MCP server failed' }));
  return { handler: async (request) => app.fetch(request), resource };
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
  const credentials = presentedCredentials(request);
  if (credentials.kind === 'none') {
    if (defects.has('rs-allows-anonymous')) return { caller: undefined };
    return { refusal: challenger.missingCredentials() };
  }
  if (credentials.kind === 'malformed') return { refusal: challenger.invalidRequest(credentials.reason) };
  try {
    return { caller: toAuthInfo(await verify(credentials.token), resource) };
  } catch (error) {
    if (error instanceof MalformedTokenError && defects.has('rs-500-on-malformed-token')) throw error;
    const description = error instanceof InvalidTokenError ? error.message : 'the token could not be validated';
    return { refusal: challenger.invalidToken(description) };
  }
}

function toAuthInfo(token: VerifiedAccessToken, resource: string): AuthInfo {
  const identity: TokenIdentity = {
    sub: token.subject,
    client_id: token.clientId,
    scope: token.scopes.join(' '),
    aud: token.audience,
  };
  return {
    token: token.token,
    clientId: token.clientId,
    scopes: token.scopes,
    expiresAt: token.expiresAt,
    resource: new URL(resource),
    extra: { identity },
  };
}

/** JSON-RPC 2.0 §5.1: an unreadable body is a parse error (-32700), answered 400 before MCP sees it. */
async function readJsonRpcBody(request: Request): Promise<{ parsed: unknown } | { refusal: Response }> {
  const body = await readRequestBody(request);
  if (body.tooLarge) return { refusal: jsonRpcError(413, -32600, 'request body too large') };
  try {
    return { parsed: JSON.parse(body.text) };
  } catch {
    return { refusal: jsonRpcError(400, -32700, 'Parse error: the body is not JSON') };
  }
}

/** MCP Streamable HTTP: a stateless server offers no SSE stream (GET) and no session to delete (DELETE). */
function methodNotAllowed(): Response {
  return new Response(jsonRpcBody(-32000, 'Method not allowed: this stateless MCP server accepts POST only'), {
    status: 405,
    headers: { Allow: 'POST', 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
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
