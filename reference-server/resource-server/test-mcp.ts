import type { FetchHandler } from '../../harness/network/types.ts';

/** Raw MCP Streamable HTTP requests for tests: JSON-RPC bodies, an optional token and session. */
export interface McpRequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: string;
  token?: string;
  /** Sent verbatim as the Authorization header (wins over `token`). */
  authorization?: string;
  sessionId?: string;
}

export function rpc(method: string, params: Record<string, unknown> = {}, id = 1): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, params });
}

export const toolCall = (name: string, args: Record<string, unknown> = {}) =>
  rpc('tools/call', { name, arguments: args });

export const initialize = () =>
  rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'test', version: '1' } });

export function mcpRequest(url: string, options: McpRequestOptions = {}): Request {
  const method = options.method ?? 'POST';
  const authorization = options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined);
  return new Request(url, {
    method,
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...(authorization ? { Authorization: authorization } : {}),
      ...(options.sessionId ? { 'Mcp-Session-Id': options.sessionId, 'Mcp-Protocol-Version': '2025-11-25' } : {}),
    },
    ...(method === 'POST' ? { body: options.body ?? initialize() } : {}),
  });
}

/** initialize + notifications/initialized with the token; the session id, or the refusal that stopped it. */
export async function openSession(
  handler: FetchHandler,
  url: string,
  token: string,
): Promise<{ sessionId: string } | { refusal: Response }> {
  const init = await handler(mcpRequest(url, { token }));
  const sessionId = init.headers.get('mcp-session-id');
  if (init.status !== 200 || !sessionId) return { refusal: init };
  const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
  const ack = await handler(mcpRequest(url, { token, sessionId, body: initialized }));
  return ack.status === 202 ? { sessionId } : { refusal: ack };
}

/** Opens a session with the token and sends `body` in it; a refusal on the way is answered instead. */
export async function postInSession(handler: FetchHandler, url: string, token: string, body: string) {
  const opened = await openSession(handler, url, token);
  if ('refusal' in opened) return opened.refusal;
  return handler(mcpRequest(url, { token, sessionId: opened.sessionId, body }));
}
