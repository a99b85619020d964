import { extractWWWAuthenticateParams } from '@modelcontextprotocol/client';
import type * as oauth from 'oauth4webapi';
import { JourneyError } from '../client-kit.ts';
import { authorizeWithCode, refreshAccessToken } from './authorization.ts';
import { type AuthorizationDiscovery, discoverAuthorization, probeUnauthenticated } from './discovery.ts';
import { type ClientIdentity, clientIdentity } from './identity.ts';
import type { Challenge, ClientJourney } from './journey.ts';

export interface AuthorizedSession {
  accessToken: string;
  clientId: string;
  toolResult: unknown;
}

/** The MCP revision the session speaks (MCP lifecycle: `initialize` negotiates it, then every request names it). */
const PROTOCOL_VERSION = '2025-11-25';

/**
 * MCP "Step-Up Authorization Flow": a refused operation is retried after re-authorizing no more than a few times, then
 * treated as a permanent failure.
 */
const MAX_STEP_UPS_PER_REQUEST = 2;

/** A rejected access token is replaced once per request; a second rejection is final (no authorization loop). */
const MAX_RECOVERIES_PER_REQUEST = 1;

/** Where the client stands with its authorization server: who it is there and the tokens it holds. */
interface Authority {
  as: oauth.AuthorizationServer;
  identity: ClientIdentity;
  /** The scope of the last authorization request: the base of a step-up union. */
  requestedScope: string | undefined;
  tokens: oauth.TokenEndpointResponse;
  /** The newest refresh token (OAuth 2.1 §4.3.3: a rotated one replaces its predecessor, which is discarded). */
  refreshToken: string | undefined;
}

/** An MCP Streamable HTTP session and the authority whose access token every request carries. */
interface McpSession {
  journey: ClientJourney;
  authority: Authority;
  sessionId?: string;
  protocolVersion?: string;
  nextId: number;
}

interface JsonRpcReply {
  id?: unknown;
  result?: unknown;
  error?: { code?: number; message?: string };
}

/**
 * The MCP server demands authorization: discover, identify the client, authorize, then initialize, list the tools and
 * call `echo` with the token — replacing a rejected token (refresh, else authorize again) and stepping up on
 * `insufficient_scope`, each a bounded number of times.
 */
export async function runAuthorizedSession(journey: ClientJourney): Promise<AuthorizedSession> {
  const challenge = await probeUnauthenticated(journey);
  journey.step(
    `POST ${journey.mcpUrl.href} without a token → 401, resource_metadata=${challenge.resourceMetadataUrl ?? '(none)'}`,
  );
  const discovery = await discoverAuthorization(journey, challenge);
  const authority = await authorizeAt(journey, discovery, initialScope(journey, challenge, discovery));
  const session: McpSession = { journey, authority, nextId: 1 };
  await initialize(session);
  const tool = toolToCall(await call(session, 'tools/list', {}));
  const toolResult = await call(session, 'tools/call', tool);
  journey.step(`MCP initialize + tools/call ${tool.name} succeeded`);
  return {
    accessToken: session.authority.tokens.access_token,
    clientId: session.authority.identity.client.client_id,
    toolResult,
  };
}

/**
 * MCP "Scope Selection Strategy": the scope the caller insists on, else the 401 challenge's, else every scope of the
 * protected resource metadata; none at all when neither names one.
 */
function initialScope(
  journey: ClientJourney,
  challenge: Challenge,
  discovery: AuthorizationDiscovery,
): string | undefined {
  return journey.scope ?? challenge.scope ?? discovery.resource?.scopes_supported?.join(' ');
}

/** Identifies the client at the discovered AS (unless it already is) and authorizes with `scope`. */
async function authorizeAt(
  journey: ClientJourney,
  discovery: AuthorizationDiscovery,
  scope: string | undefined,
  knownIdentity?: ClientIdentity,
): Promise<Authority> {
  const identity = knownIdentity ?? (await clientIdentity(journey, discovery.as));
  const tokens = await authorizeWithCode(journey, discovery.as, identity, scope);
  return { as: discovery.as, identity, requestedScope: scope, tokens, refreshToken: tokens.refresh_token };
}

/** MCP lifecycle: `initialize` opens the session (its id comes back in Mcp-Session-Id), then `initialized`. */
async function initialize(session: McpSession): Promise<void> {
  const id = session.nextId++;
  const response = await authorizedPost(session, {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'good-mcp-client', version: '0.1.0' },
    },
  });
  const result = (await replyTo(response, id, 'initialize')) as { protocolVersion?: unknown } | undefined;
  const sessionId = response.headers.get('mcp-session-id');
  if (sessionId) session.sessionId = sessionId;
  session.protocolVersion = typeof result?.protocolVersion === 'string' ? result.protocolVersion : PROTOCOL_VERSION;
  const initialized = await authorizedPost(session, { jsonrpc: '2.0', method: 'notifications/initialized' });
  await initialized.arrayBuffer();
  if (!initialized.ok) throw new JourneyError(`notifications/initialized was answered ${initialized.status}`);
}

/**
 * One JSON-RPC request of the session; its result, or a JourneyError naming the failure. MCP Streamable HTTP "Session
 * Management": a 404 to a request with a session id means the server ended the session, so a new one is initialized
 * and the request sent again, once.
 */
async function call(session: McpSession, method: string, params: Record<string, unknown>): Promise<unknown> {
  const send = async () => {
    const id = session.nextId++;
    return { id, response: await authorizedPost(session, { jsonrpc: '2.0', id, method, params }) };
  };
  let sent = await send();
  if (sent.response.status === 404 && session.sessionId) {
    await sent.response.arrayBuffer();
    session.journey.step(`${method}: the MCP server ended the session (404); initializing a new one`);
    delete session.sessionId;
    delete session.protocolVersion;
    await initialize(session);
    sent = await send();
  }
  return replyTo(sent.response, sent.id, method);
}

/**
 * MCP authorization "Token Requirements": every request carries the current access token. A 401 invalid_token
 * replaces the token (refresh, else a new authorization) and a 403 insufficient_scope steps up; either is retried a
 * bounded number of times before the failure is final.
 */
async function authorizedPost(session: McpSession, message: Record<string, unknown>): Promise<Response> {
  const { journey } = session;
  const unbounded = journey.quirks.has('no-retry-limit');
  let recoveries = 0;
  let stepUps = 0;
  let retriedRejectedToken = false;
  for (;;) {
    const response = await post(session, message);
    if (response.status !== 401 && response.status !== 403) return response;
    const challenge = extractWWWAuthenticateParams(response);
    await response.arrayBuffer();
    const operation = String(message.method);
    if (response.status === 401) {
      if (journey.quirks.has('retries-rejected-token') && !retriedRejectedToken) {
        retriedRejectedToken = true;
        continue;
      }
      if (journey.quirks.has('no-token-recovery') || (!unbounded && recoveries >= MAX_RECOVERIES_PER_REQUEST)) {
        throw new JourneyError(`${operation}: the MCP server rejected the access token (401) again; giving up`);
      }
      recoveries++;
      await replaceRejectedToken(session, {
        ...(challenge.resourceMetadataUrl ? { resourceMetadataUrl: challenge.resourceMetadataUrl.href } : {}),
        ...(challenge.scope ? { scope: challenge.scope } : {}),
      });
      continue;
    }
    if (challenge.error !== 'insufficient_scope' || journey.quirks.has('ignores-insufficient-scope')) {
      throw new JourneyError(
        `${operation} was refused: 403 ${challenge.error ?? ''} ${challenge.errorDescription ?? ''}`,
      );
    }
    if (!unbounded && (stepUps >= MAX_STEP_UPS_PER_REQUEST || alreadyGranted(session.authority, challenge.scope))) {
      throw new JourneyError(
        `${operation}: still 403 insufficient_scope (scope="${challenge.scope ?? ''}") after ${stepUps} step-up(s); a permanent authorization failure`,
      );
    }
    stepUps++;
    await stepUp(session, challenge.scope);
  }
}

async function post(session: McpSession, message: Record<string, unknown>): Promise<Response> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    Authorization: `Bearer ${session.authority.tokens.access_token}`,
    ...(session.sessionId ? { 'Mcp-Session-Id': session.sessionId } : {}),
    ...(session.protocolVersion ? { 'MCP-Protocol-Version': session.protocolVersion } : {}),
  };
  return session.journey.fetch(session.journey.mcpUrl, { method: 'POST', headers, body: JSON.stringify(message) });
}

/**
 * RFC 6750 §3.1 invalid_token: the token expired or was revoked. The challenge names the resource metadata again (its
 * AS may have changed): at the same AS the refresh token is used (OAuth 2.1 §4.3); without one, when it is refused,
 * or at another AS, the client authorizes anew.
 */
async function replaceRejectedToken(session: McpSession, challenge: Challenge): Promise<void> {
  const { journey, authority } = session;
  journey.step('401 invalid_token with a token: replacing it');
  const discovery = await discoverAuthorization(journey, challenge);
  const sameAs = discovery.as.issuer === authority.as.issuer;
  if (sameAs && authority.refreshToken && !journey.quirks.has('no-refresh')) {
    try {
      const tokens = await refreshAccessToken(journey, authority.as, authority.identity, authority.refreshToken);
      session.authority = { ...authority, tokens, refreshToken: tokens.refresh_token ?? authority.refreshToken };
      return;
    } catch (error) {
      journey.step(`refresh refused (${error instanceof Error ? error.message : String(error)}); authorizing again`);
    }
  }
  const scope = scopeUnion(authority.requestedScope, challenge.scope);
  session.authority = await authorizeAt(journey, discovery, scope, sameAs ? authority.identity : undefined);
}

/**
 * MCP "Step-Up Authorization Flow": re-authorize for the union of the scopes asked and granted before and the
 * challenged ones (2026-07-28 "Scope Selection Strategy"), so no earlier permission is lost.
 */
async function stepUp(session: McpSession, challenged: string | undefined): Promise<void> {
  const { journey, authority } = session;
  const scope = journey.quirks.has('step-up-challenge-only')
    ? challenged
    : scopeUnion(authority.requestedScope, authority.tokens.scope, challenged);
  journey.step(`403 insufficient_scope (scope="${challenged ?? ''}"): re-authorizing with scope="${scope ?? ''}"`);
  session.authority = await authorizeAt(journey, { as: authority.as }, scope, authority.identity);
}

/** Whether the current token was granted every challenged scope already, so that re-authorizing cannot help. */
function alreadyGranted(authority: Authority, challenged: string | undefined): boolean {
  const granted = scopeItems(authority.tokens.scope ?? authority.requestedScope);
  const wanted = scopeItems(challenged);
  return wanted.length > 0 && wanted.every((item) => granted.includes(item));
}

function scopeUnion(...scopes: (string | undefined)[]): string | undefined {
  const items = [...new Set(scopes.flatMap(scopeItems))];
  return items.length > 0 ? items.join(' ') : undefined;
}

function scopeItems(scope: string | undefined): string[] {
  return (scope ?? '').split(' ').filter(Boolean);
}

/** MCP Streamable HTTP: the reply to request `id`, as a JSON body or as an event of an SSE stream. */
async function replyTo(response: Response, id: number, method: string): Promise<unknown> {
  const text = await response.text();
  if (!response.ok) throw new JourneyError(`${method} was answered ${response.status}: ${text.slice(0, 200)}`);
  const isStream = (response.headers.get('content-type') ?? '').includes('text/event-stream');
  const reply = (isStream ? streamedMessages(text) : [parsedMessage(text)].flat()).find(
    (message): message is JsonRpcReply =>
      typeof message === 'object' && message !== null && (message as JsonRpcReply).id === id,
  );
  if (!reply) throw new JourneyError(`${method}: no JSON-RPC reply with id ${id} in the response`);
  if (reply.error) throw new JourneyError(`${method} failed: ${reply.error.message ?? JSON.stringify(reply.error)}`);
  return reply.result;
}

function streamedMessages(text: string): unknown[] {
  return text
    .split(/\r?\n\r?\n/)
    .map((event) =>
      event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n'),
    )
    .filter(Boolean)
    .flatMap((data) => [parsedMessage(data)].flat());
}

function parsedMessage(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `echo` with a message when the server lists it, else the first tool it lists, without arguments. */
function toolToCall(listed: unknown): { name: string; arguments: Record<string, unknown> } {
  const tools = (listed as { tools?: unknown } | undefined)?.tools;
  const names = Array.isArray(tools)
    ? tools.flatMap((tool) =>
        typeof (tool as { name?: unknown })?.name === 'string' ? [(tool as { name: string }).name] : [],
      )
    : [];
  if (names.length === 0 || names.includes('echo')) {
    return { name: 'echo', arguments: { message: 'hello from the good client' } };
  }
  return { name: names[0] as string, arguments: {} };
}
