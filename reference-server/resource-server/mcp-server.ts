import { type AuthInfo, McpServer, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { DownstreamCall } from './downstream.ts';
import type { McpSession, SessionOwner } from './sessions.ts';

/** What the reference tools remember between calls (the state `admin_reset` clears), shared by every session. */
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

/** What the bearer guard attaches to `AuthInfo.extra` for the tools. */
export interface CallerExtra {
  identity: TokenIdentity;
  issuer: string;
}

export interface McpToolOptions {
  name: string;
  /** When set, the `downstream_report` tool calls a downstream API on behalf of the caller. */
  downstream?: DownstreamCall;
}

/** Opens a new MCP session: its own server and stateful Streamable HTTP transport, ready for `initialize`. */
export type SessionFactory = (owner: SessionOwner | undefined) => Promise<McpSession>;

/**
 * MCP Streamable HTTP "Session Management" (JSON responses): each session is a server and a transport whose
 * `Mcp-Session-Id` is a random UUID. Authorization has already happened when a request reaches a transport.
 */
export function createSessionFactory(options: McpToolOptions): SessionFactory {
  const state: ToolState = { echoCalls: 0 };
  return async (owner) => {
    const id = crypto.randomUUID();
    const server = buildServer(options, state);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    return { id, owner, transport, close: () => server.close() };
  };
}

function buildServer(options: McpToolOptions, state: ToolState): McpServer {
  const server = new McpServer({ name: options.name, version: '0.1.0' });
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
      const identity = callerOf(ctx.http?.authInfo)?.identity ?? { anonymous: true };
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
  server.registerTool(
    'test-tool',
    { description: 'Answers "test": the tool that clients written for the official MCP conformance suite call.' },
    async () => ({ content: [{ type: 'text', text: 'test' }] }),
  );
  const { downstream } = options;
  if (downstream) {
    server.registerTool(
      'downstream_report',
      {
        description:
          'Calls the downstream API for the caller with a token exchanged for it (RFC 8693) and reports the answer.',
      },
      async (ctx) => {
        const authInfo = ctx.http?.authInfo;
        const caller = callerOf(authInfo);
        if (!authInfo || !caller) return { content: [{ type: 'text', text: 'no caller token' }], isError: true };
        const report = await downstream({ token: authInfo.token, issuer: caller.issuer });
        return {
          content: [{ type: 'text', text: JSON.stringify(report) }],
          structuredContent: { ...report },
          ...(report.error ? { isError: true } : {}),
        };
      },
    );
  }
  return server;
}

function callerOf(authInfo: AuthInfo | undefined): CallerExtra | undefined {
  return authInfo?.extra as CallerExtra | undefined;
}
