import { type HttpReply, isJsonObject, parseJson, readReply } from './http.ts';
import type { SpecVersion } from './results.ts';
import type { Session } from './session.ts';
import type { ToolReference } from './target.ts';

/** Streamable HTTP: clients accept both JSON and SSE answers. */
export const MCP_ACCEPT = 'application/json, text/event-stream';

export function initializeRequest(protocolVersion: SpecVersion, id = 1) {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion,
      capabilities: {},
      clientInfo: { name: 'mcp-auth-conformance', version: '0.1.0' },
    },
  };
}

export interface McpRequestOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent verbatim as the `Authorization` header (wins over `token`). */
  authorization?: string;
  body?: unknown;
  /** Extra query parameters on the MCP URL (e.g. a token where it must not be). */
  query?: Record<string, string>;
  headers?: Record<string, string>;
  method?: 'GET' | 'POST' | 'DELETE';
}

export interface McpSession {
  /** The Mcp-Session-Id the server issued on initialize (stateless servers issue none). */
  sessionId?: string;
  protocolVersion?: string;
  reply: HttpReply;
}

/** The MCP server as the harness speaks to it: raw JSON-RPC over Streamable HTTP, every exchange recorded. */
export class McpClient {
  constructor(private readonly session: Session) {}

  private get resource(): string {
    const resource = this.session.target.resource;
    if (!resource) throw new Error('the target declares no MCP server ("resource")');
    return resource;
  }

  async post(options: McpRequestOptions = {}): Promise<HttpReply> {
    const url = new URL(this.resource);
    for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: MCP_ACCEPT,
      ...options.headers,
    };
    const authorization = options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined);
    if (authorization !== undefined) headers.authorization = authorization;
    const method = options.method ?? 'POST';
    const body = method === 'POST' ? (options.body ?? initializeRequest(this.session.spec)) : undefined;
    const response = await this.session.sut.network.fetch(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return readReply(response, url.href);
  }

  /** initialize → notifications/initialized with `token`; the session the server issued, if any. */
  async openSession(token: string): Promise<McpSession> {
    const reply = await this.post({ token });
    const sessionId = reply.headers.get('mcp-session-id') ?? undefined;
    const negotiated = resultOf(reply)?.protocolVersion;
    const session: McpSession = {
      reply,
      ...(sessionId ? { sessionId } : {}),
      ...(typeof negotiated === 'string' ? { protocolVersion: negotiated } : {}),
    };
    if (reply.status !== 200) return session;
    await this.post({
      token,
      headers: sessionHeaders(session),
      body: { jsonrpc: '2.0', method: 'notifications/initialized' },
    });
    return session;
  }

  /**
   * initialize → notifications/initialized → tools/call, all with the same token; answers the first reply that is not
   * a success (so a 401/403 surfaces) or the tools/call reply.
   */
  async callTool(token: string, tool: ToolReference, options: { session?: McpSession } = {}): Promise<HttpReply> {
    const session = options.session ?? (await this.openSession(token));
    if (session.reply.status !== 200) return session.reply;
    return this.post({ token, headers: sessionHeaders(session), body: toolsCall(tool) });
  }
}

/** The JSON-RPC message of a reply, whether sent as JSON or as one SSE `message` event. */
export function rpcMessage(reply: HttpReply): Record<string, unknown> | undefined {
  if (isJsonObject(reply.json)) return reply.json;
  for (const line of reply.text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = parseJson(line.slice(5).trim());
    if (isJsonObject(data)) return data;
  }
  return undefined;
}

export function resultOf(reply: HttpReply): Record<string, unknown> | undefined {
  const result = rpcMessage(reply)?.result;
  return isJsonObject(result) ? result : undefined;
}

export function toolName(tool: ToolReference): string {
  return typeof tool === 'string' ? tool : tool.name;
}

/** The headers that carry a session on every later request (MCP Streamable HTTP §Session Management). */
export function sessionHeaders(session: Omit<McpSession, 'reply'>): Record<string, string> {
  return {
    ...(session.sessionId ? { 'mcp-session-id': session.sessionId } : {}),
    ...(session.protocolVersion ? { 'mcp-protocol-version': session.protocolVersion } : {}),
  };
}

export function toolsCall(tool: ToolReference, id = 2) {
  const { name, arguments: args = {} } = typeof tool === 'string' ? { name: tool } : tool;
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } };
}
