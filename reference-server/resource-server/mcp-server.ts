import { type AuthInfo, McpServer, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { z } from 'zod';

/** What the reference tools remember between calls (the state `admin_reset` clears). */
interface ToolState {
  echoCalls: number;
}

/** The identity a validated access token carries into the tools. */
export interface TokenIdentity {
  sub: string;
  client_id: string;
  scope: string;
  aud: string[];
}

export type McpEndpoint = (request: Request, parsedBody: unknown, authInfo: AuthInfo | undefined) => Promise<Response>;

/**
 * MCP Streamable HTTP (stateless, JSON responses): a fresh server and transport per request, sharing the tools'
 * state. Authorization has already happened when a request gets here.
 */
export function createMcpEndpoint(name: string): McpEndpoint {
  const state: ToolState = { echoCalls: 0 };
  return async (request, parsedBody, authInfo) => {
    const server = buildServer(name, state);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(request, { parsedBody, ...(authInfo ? { authInfo } : {}) });
    } finally {
      await server.close();
    }
  };
}

function buildServer(name: string, state: ToolState): McpServer {
  const server = new McpServer({ name, version: '0.1.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes the message back (needs the basic scope).', inputSchema: z.object({ message: z.string() }) },
    async ({ message }) => {
      state.echoCalls += 1;
      return { content: [{ type: 'text', text: message }] };
    },
  );
  server.registerTool(
    'whoami',
    { description: "Describes the caller's access token: sub, client_id, scope and aud." },
    async (ctx) => {
      const identity = identityOf(ctx.http?.authInfo);
      return { content: [{ type: 'text', text: JSON.stringify(identity) }], structuredContent: { ...identity } };
    },
  );
  server.registerTool(
    'admin_reset',
    { description: 'Clears the server state (needs the elevated scope).' },
    async () => {
      const cleared = state.echoCalls;
      state.echoCalls = 0;
      return { content: [{ type: 'text', text: `reset: ${cleared} echo call(s) cleared` }] };
    },
  );
  return server;
}

function identityOf(authInfo: AuthInfo | undefined): TokenIdentity | { anonymous: true } {
  const identity = authInfo?.extra?.identity as TokenIdentity | undefined;
  return identity ?? { anonymous: true };
}
