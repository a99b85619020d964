import { check } from '../../harness/check.ts';
import { type CheckContext, mcpSession } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply, type HttpReply } from '../../harness/http.ts';
import { sessionHeaders } from '../../harness/mcp.ts';
import { mintVariant } from './lab.ts';
import { requireInvalidTokenChallenge } from './replies.ts';

const TOOLS_LIST = { jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} };

/** A tools/list inside a session the run's user opened, sent with `token` (or none). */
async function inUserSession(ctx: CheckContext, token: string | undefined): Promise<HttpReply> {
  const session = await mcpSession(ctx);
  return ctx.mcp.post({ ...(token ? { token } : {}), headers: sessionHeaders(session), body: TOOLS_LIST });
}

const SESSION_IS_NOT_AUTH =
  'MCP Security Best Practices: a session id is not a credential; authenticate the token on every request';

export const sessionRequiresToken = check({
  id: 'resource-server.session-requires-token',
  title: 'A request carrying a valid Mcp-Session-Id but no token is answered 401',
  requirements: ['RS-NO-SESSION-AUTH', 'RS-VERIFY-ALL-REQUESTS'],
  level: 'MUST',
  needs: ['resource', 'authorization-code', 'sessions'],
  async run(ctx) {
    const reply = await inUserSession(ctx, undefined);
    expect.that(
      reply.status === 401,
      `tools/list with the user's Mcp-Session-Id and no Authorization header was answered ${describeReply(reply)}; ` +
        `it must be 401. ${SESSION_IS_NOT_AUTH}`,
    );
    return 'HTTP 401';
  },
});

export const sessionRejectsInvalidToken = check({
  id: 'resource-server.session-rejects-invalid-token',
  title: 'A request carrying a valid Mcp-Session-Id and an invalid token is answered 401 invalid_token',
  requirements: ['RS-VERIFY-ALL-REQUESTS', 'CL-BEARER-EVERY-REQUEST'],
  level: 'MUST',
  needs: ['resource', 'authorization-code', 'sessions'],
  async run(ctx) {
    const reply = await inUserSession(ctx, 'mcp-auth-conformance.not-a.token');
    return requireInvalidTokenChallenge(reply, "a garbage token with the user's Mcp-Session-Id", SESSION_IS_NOT_AUTH);
  },
});

export const sessionBoundToUser = check({
  id: 'resource-server.session-bound-to-user',
  title: "Another user's valid token cannot use a user's session",
  description: 'MCP Security Best Practices "Session Hijacking": bind session ids to the user of the verified token.',
  requirements: ['RS-SESSION-BIND-USER'],
  level: 'SHOULD',
  needs: ['resource', 'authorization-code', 'sessions', 'token-lab'],
  async run(ctx) {
    const intruder = await mintVariant(ctx, { claims: { sub: 'mcp-auth-conformance-intruder' } });
    const reply = await inUserSession(ctx, intruder);
    expect.that(
      [401, 403, 404].includes(reply.status),
      `tools/list with the user's Mcp-Session-Id and a valid token of another subject (token lab, sub ` +
        `"mcp-auth-conformance-intruder") was answered ${describeReply(reply)}; expected 401, 403 or 404. A leaked ` +
        'session id must not let another user act in the session: bind it to the (iss, sub) that opened it',
    );
    return `refused with HTTP ${reply.status}`;
  },
});
