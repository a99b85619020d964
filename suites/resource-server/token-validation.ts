import { replyBearerChallenge } from '../../harness/challenges.ts';
import { check } from '../../harness/check.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply } from '../../harness/http.ts';
import { toolName } from '../../harness/mcp.ts';
import { expectInvalidToken, requireInvalidTokenChallenge, requireServed } from './replies.ts';
import { asUnsecuredJwt, userAccessToken, withBrokenSignature } from './tokens.ts';

export const acceptsValidToken = check({
  id: 'resource-server.accepts-valid-token',
  title: "A token from the server's own AS, for this resource, is accepted",
  requirements: ['RS-TOKEN-VALIDATE', 'OA21-RS-VALIDATE', 'CL-BEARER-HEADER'],
  level: 'MUST',
  needs: ['resource', 'authorization-code'],
  async run(ctx) {
    const token = await userAccessToken(ctx);
    const tool = ctx.target.tools?.basic;
    const reply = tool ? await ctx.mcp.callTool(token, tool) : await ctx.mcp.post({ token });
    // A tool result with isError is the tool's own outcome: the token was accepted either way.
    requireServed(
      reply,
      `a valid token for ${ctx.target.resource}`,
      'Check the audience and issuer the server expects.',
    );
    return tool ? `tools/call ${toolName(tool)} was answered; the token was accepted` : 'initialize succeeded';
  },
});

export const rejectsGarbageToken = check({
  id: 'resource-server.rejects-malformed-token',
  title: 'A token that is not a token at all is answered 401, not 400 or 500',
  requirements: ['RS-INVALID-TOKEN-401', 'RS-STATUS-CODES'],
  level: 'MUST',
  needs: ['resource'],
  async run(ctx) {
    // Well-formed as an RFC 6750 b64token (so the request itself is not malformed), meaningless as a token.
    return expectInvalidToken(ctx, 'mcp-auth-conformance.not-a.token', 'a token that is no token');
  },
});

/** A check that alters a valid JWT access token from the target's AS and requires the RS to refuse the result. */
function rejectsTamperedToken(options: {
  id: string;
  title: string;
  requirements: string[];
  tamper: (jwt: string) => string;
  what: string;
}) {
  return check({
    id: options.id,
    title: options.title,
    requirements: options.requirements,
    level: 'MUST',
    needs: ['resource', 'authorization-code'],
    async run(ctx) {
      const token = await userAccessToken(ctx, { needJwt: true });
      return expectInvalidToken(ctx, options.tamper(token), options.what);
    },
  });
}

export const rejectsBadSignature = rejectsTamperedToken({
  id: 'resource-server.rejects-bad-signature',
  title: 'A token whose signature does not verify is rejected',
  requirements: ['R9068-RS-SIG', 'RS-INVALID-TOKEN-401', 'RS-TOKEN-VALIDATE'],
  tamper: withBrokenSignature,
  what: 'a valid token with one signature byte changed',
});

export const rejectsUnsigned = rejectsTamperedToken({
  id: 'resource-server.rejects-alg-none',
  title: 'An unsigned (alg "none") copy of a valid token is rejected',
  requirements: ['R9068-RS-SIG', 'R9068-SIGNED', 'RS-INVALID-TOKEN-401'],
  tamper: asUnsecuredJwt,
  what: 'the token re-encoded with alg "none"',
});

export const rejectsExpired = check({
  id: 'resource-server.rejects-expired',
  title: 'A token past its exp is rejected',
  requirements: ['R9068-RS-EXP', 'RS-INVALID-TOKEN-401', 'OA21-RS-VALIDATE'],
  level: 'MUST',
  needs: ['resource', 'authorization-code'],
  async run(ctx) {
    const tokens = await ctx.oauth.obtainTokens();
    if (tokens.expiresIn === undefined)
      return ctx.skip('the token response has no expires_in; when it expires is unknown');
    const before = await ctx.mcp.post({ token: tokens.accessToken });
    expect.that(before.status === 200, `the fresh token was not accepted (${describeReply(before)})`);
    // RFC 9068 §4 allows "a reasonably small" clock-skew leeway; 60 s past exp is beyond any.
    const later = tokens.expiresIn + 60;
    await ctx.passTime(later);
    return expectInvalidToken(ctx, tokens.accessToken, `the same token ${later} s later`);
  },
});

export const rejectsOtherAudience = check({
  id: 'resource-server.rejects-wrong-audience',
  title: 'A token issued by the same AS for another resource is rejected',
  description: 'RFC 8707 / MCP: servers MUST validate that tokens were issued specifically for them.',
  requirements: ['RS-AUD-VALIDATE', 'RS-AUD-REJECT', 'R9068-RS-AUD', 'RS-SBP-NO-FOREIGN-TOKENS', 'RS-NO-OTHER-TOKENS'],
  level: 'MUST',
  needs: ['resource', 'authorization-code', 'alternate-resource'],
  async run(ctx) {
    const other = ctx.target.alternateResource!;
    const tokens = await ctx.oauth.obtainTokens({ resource: other });
    const reply = await ctx.mcp.post({ token: tokens.accessToken });
    return requireInvalidTokenChallenge(reply, `a token for ${other}`);
  },
});

export const insufficientScopeStatus = check({
  id: 'resource-server.insufficient-scope-403',
  title: 'A tool needing a scope the token lacks is refused with 403',
  requirements: ['RS-STATUS-CODES', 'OA21-RS-ERROR-CODES', 'RS-TOKEN-VALIDATE'],
  level: 'MUST',
  needs: ['resource', 'authorization-code', 'elevated-scope'],
  async run(ctx) {
    const token = await userAccessToken(ctx);
    const reply = await ctx.mcp.callTool(token, ctx.target.tools!.elevated!);
    expect.that(
      reply.status === 403,
      `calling ${toolName(ctx.target.tools!.elevated!)} with only "${ctx.target.scopes?.basic}" was answered ${describeReply(reply)}; ` +
        'it must be 403 (401 would send the client back to authorization in a loop; 200 ran a privileged tool)',
    );
    return 'HTTP 403';
  },
});

export const insufficientScopeChallenge = check({
  id: 'resource-server.insufficient-scope-challenge',
  title: 'The 403 names error="insufficient_scope" and the scope needed',
  requirements: ['RS-403-INSUFFICIENT-SCOPE', 'RS-403-SCOPE-CONTENT', 'CL-STEPUP'],
  level: 'SHOULD',
  specs: ['2025-11-25', '2026-07-28'],
  needs: ['resource', 'authorization-code', 'elevated-scope'],
  async run(ctx) {
    const token = await userAccessToken(ctx);
    const reply = await ctx.mcp.callTool(token, ctx.target.tools!.elevated!);
    expect.that(reply.status === 403, `expected 403, got ${describeReply(reply)}`);
    const header = reply.headers.get('www-authenticate') ?? '';
    const challenge = await replyBearerChallenge(reply);
    expect.that(
      challenge?.parameters.error === 'insufficient_scope',
      `the 403 challenge is ${JSON.stringify(header)}; it should say error="insufficient_scope" so clients step up`,
    );
    const scopes = (challenge.parameters.scope ?? '').split(' ');
    expect.that(
      scopes.includes(ctx.target.scopes!.elevated!),
      `the 403 challenge scope="${challenge.parameters.scope ?? ''}" does not name "${ctx.target.scopes!.elevated}"`,
    );
    return `WWW-Authenticate: ${header}`;
  },
});
