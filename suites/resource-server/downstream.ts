import { BlockedError, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import type { DownstreamRequest } from '../../harness/downstream.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply } from '../../harness/http.ts';
import { audiences, decodeAccessToken, isJwt } from '../../harness/jwt.ts';
import { toolName } from '../../harness/mcp.ts';
import { userAccessToken } from './tokens.ts';

interface DownstreamCall {
  userToken: string;
  /** What the observer received while the tool ran. */
  received: DownstreamRequest[];
}

/** Calls the target's downstream tool with the run's user token; the tool must have reached the observer. */
async function callDownstreamTool(ctx: CheckContext): Promise<DownstreamCall> {
  const observer = ctx.downstream();
  const tool = ctx.target.downstream!.tool;
  const userToken = await userAccessToken(ctx);
  const before = observer.requests().length;
  const reply = await ctx.mcp.callTool(userToken, tool);
  if (reply.status !== 200) {
    throw new BlockedError(`tools/call ${toolName(tool)}`, `the MCP server answered ${describeReply(reply)}`);
  }
  const received = observer.requests().slice(before);
  expect.that(
    received.length > 0,
    `tools/call ${toolName(tool)} made no request to ${observer.url} (the tool answered ${reply.text.slice(0, 200)}); ` +
      'the target declares that tool as calling that URL on the user’s behalf (target "downstream")',
  );
  return { userToken, received };
}

function bearerOf(request: DownstreamRequest): string | undefined {
  return /^bearer\s+(.+)$/i.exec(request.authorization ?? '')?.[1]?.trim();
}

export const noTokenPassthrough = check({
  id: 'resource-server.no-token-passthrough',
  title: "The MCP server never forwards the client's access token to the API it calls",
  description: 'MCP "Access Token Privilege Restriction", Security Best Practices "Token Passthrough".',
  requirements: ['RS-NO-PASSTHROUGH', 'RS-SBP-NO-FOREIGN-TOKENS'],
  level: 'MUST',
  needs: ['resource', 'authorization-code', 'downstream'],
  async run(ctx) {
    const { userToken, received } = await callDownstreamTool(ctx);
    const forwarded = received.filter((request) => request.authorization?.includes(userToken));
    expect.that(
      forwarded.length === 0,
      `the downstream API received the client's own access token (${forwarded.map((r) => `${r.method} ${r.url}`).join(', ')}); ` +
        'obtain a separate token for the downstream API (e.g. RFC 8693 token exchange) — a token issued for the MCP ' +
        'server must not be accepted, or sent, anywhere else',
    );
    const bearers = received.filter(bearerOf).length;
    return `${received.length} downstream request(s), ${bearers} with a Bearer token, none carrying the client's token`;
  },
});

export const downstreamTokenAudience = check({
  id: 'resource-server.downstream-token-audience',
  title: 'The token the MCP server sends downstream is issued for the downstream API, not for the MCP server',
  description: 'RFC 8707 §2: a token is audience-restricted to the resource it was requested for.',
  requirements: ['RS-NO-PASSTHROUGH', 'R8707-AUDIENCE'],
  level: 'SHOULD',
  needs: ['resource', 'authorization-code', 'downstream'],
  async run(ctx) {
    const { received } = await callDownstreamTool(ctx);
    const jwts = received.map(bearerOf).filter((token): token is string => token !== undefined && isJwt(token));
    if (jwts.length === 0) ctx.skip('the downstream API received no JWT bearer token; its audience cannot be read');
    const downstreamUrl = ctx.target.downstream!.url;
    for (const token of jwts) {
      const { claims } = decodeAccessToken(token)!;
      const { aud } = claims;
      expect.that(
        !audiences(claims).includes(ctx.target.resource!),
        `the downstream token has aud ${JSON.stringify(aud)}, which names the MCP server; request a token for ` +
          `${downstreamUrl} (RFC 8707 resource, or RFC 8693 token exchange)`,
      );
      expect.that(
        audiences(claims).includes(downstreamUrl),
        `the downstream token has aud ${JSON.stringify(aud)}; it should name the downstream API ${downstreamUrl}, so ` +
          'that API can tell the token was issued for it',
      );
    }
    return `${jwts.length} downstream JWT(s), aud = ${downstreamUrl}`;
  },
});
