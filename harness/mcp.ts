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
    const body = options.body ?? initializeRequest(this.session.spec);
    const response = await this.session.sut.network.fetch(url, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return readReply(response, url.href);
  }

  /**
   * initialize → notifications/initialized → tools/call, all with the same token; answers the first reply that is not
   * a success (so a 401/403 surfaces) or the tools/call reply.
   */
  async callTool(token: string, tool: ToolReference): Promise<HttpReply> {
    const { name, arguments: args = {} } = typeof tool === 'string' ? { name: tool } : tool;
    const init = await this.post({ token });
    if (init.status !== 200) return init;
    const sessionId = init.headers.get('mcp-session-id');
    const negotiated = resultOf(init)?.protocolVersion;
    const headers: Record<string, string> = {};
    if (sessionId) headers['mcp-session-id'] = sessionId;
    if (typeof negotiated === 'string') headers['mcp-protocol-version'] = negotiated;
    const initialized = await this.post({
      token,
      headers,
      body: { jsonrpc: '2.0', method: 'notifications/initialized' },
    });
    if (initialized.status >= 300) return initialized;
    return this.post({
      token,
      headers,
      body: { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name, arguments: args } },
    });
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
