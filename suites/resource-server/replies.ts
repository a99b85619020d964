import { replyBearerChallenge } from '../../harness/challenges.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply, type HttpReply } from '../../harness/http.ts';
import { rpcMessage } from '../../harness/mcp.ts';

/** Sends `token` to the MCP endpoint and requires 401 with an invalid_token Bearer challenge. */
export async function expectInvalidToken(ctx: CheckContext, token: string, what: string, why?: string) {
  const reply = await ctx.mcp.post({ token });
  return requireInvalidTokenChallenge(reply, what, why);
}

/**
 * RFC 6750 §3.1, RFC 9068 §4, MCP "Token Handling": a refused token is answered 401 with
 * `WWW-Authenticate: Bearer error="invalid_token"` (the resource_metadata pointer is checked on its own, since
 * 2025-11-25 lets a server offer the well-known URL instead).
 */
export async function requireInvalidTokenChallenge(reply: HttpReply, what: string, why?: string): Promise<string> {
  expect.that(
    reply.status === 401,
    `${what} was answered ${describeReply(reply)}; it must be 401 invalid_token (never 200, 403 or 5xx)` +
      (why ? `. ${why}` : ''),
  );
  const header = reply.headers.get('www-authenticate');
  const challenge = await replyBearerChallenge(reply);
  expect.that(
    challenge?.parameters.error === 'invalid_token',
    `${what}: 401 without error="invalid_token" (WWW-Authenticate: ${header}); clients tell a bad token from a ` +
      'missing one by this code',
  );
  return `${what} → 401 invalid_token`;
}

/** The MCP server served the request: HTTP 200 and a JSON-RPC result (a tool's own isError still counts). */
export function requireServed(reply: HttpReply, what: string, fix: string): string {
  expect.that(reply.status === 200, `${what} was answered ${describeReply(reply)}; it must be served. ${fix}`);
  const message = rpcMessage(reply);
  expect.that(
    message && !('error' in message),
    `${what} reached MCP but got ${reply.text.slice(0, 200)}; expected a JSON-RPC result`,
  );
  return `${what} → HTTP 200`;
}
