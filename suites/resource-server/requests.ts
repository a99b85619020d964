import { replyBearerChallenge } from '../../harness/challenges.ts';
import { check } from '../../harness/check.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply } from '../../harness/http.ts';
import { requireServed } from './replies.ts';
import { userAccessToken } from './tokens.ts';

/** A check that sends a malformed Authorization header and requires a refusal, never a crash or service. */
function rejectsMalformedAuthorization(options: { id: string; title: string; header: string; what: string }) {
  return check({
    id: options.id,
    title: options.title,
    description: 'RFC 6750 §3.1: a malformed request is invalid_request (400); a plain 401 challenge also refuses it.',
    requirements: ['RS-STATUS-CODES', 'OA21-RS-ERROR-CODES'],
    level: 'MUST',
    needs: ['resource'],
    async run(ctx) {
      const reply = await ctx.mcp.post({ authorization: options.header });
      expect.that(
        reply.status === 400 || reply.status === 401,
        `${options.what} was answered ${describeReply(reply)}; expected 400 invalid_request or 401 with a Bearer ` +
          'challenge (a 5xx means header parsing crashed; a 2xx serves an unauthenticated request)',
      );
      const challenge = await replyBearerChallenge(reply);
      const header = reply.headers.get('www-authenticate');
      expect.that(challenge, `HTTP ${reply.status} without a Bearer challenge (WWW-Authenticate: ${header})`);
      if (reply.status === 400) {
        expect.that(
          challenge.parameters.error === 'invalid_request',
          `HTTP 400 with error="${challenge.parameters.error}"; RFC 6750 §3.1 pairs 400 with error="invalid_request"`,
        );
      }
      return `HTTP ${reply.status}, WWW-Authenticate: ${header}`;
    },
  });
}

export const rejectsBareBearer = rejectsMalformedAuthorization({
  id: 'resource-server.rejects-bare-bearer',
  title: 'An Authorization header of just "Bearer" is answered 400 invalid_request or 401, never 500',
  header: 'Bearer',
  what: '"Authorization: Bearer" with no token',
});

export const rejectsSplitBearer = rejectsMalformedAuthorization({
  id: 'resource-server.rejects-split-bearer',
  title: 'A Bearer credential of two tokens is answered 400 invalid_request or 401, never 500',
  header: 'Bearer conformance-one conformance-two',
  what: '"Authorization: Bearer <one> <two>"',
});

export const queryTokenNotAccepted = check({
  id: 'resource-server.query-token-not-accepted',
  title: 'A valid token sent only as the access_token query parameter is not accepted',
  description:
    'OAuth 2.1 §5.2 and MCP: tokens travel in the Authorization header, never in the URI (they leak to logs).',
  requirements: ['R9728-BEARER-METHODS', 'OA21-RS-CHALLENGE'],
  level: 'MUST',
  needs: ['resource', 'authorization-code'],
  async run(ctx) {
    const reply = await ctx.mcp.post({ query: { access_token: await userAccessToken(ctx) } });
    expect.that(
      reply.status === 401,
      `a valid token in ?access_token= (no Authorization header) was answered ${describeReply(reply)}; it must be ` +
        'answered 401 as a request without credentials: URI tokens end up in logs, histories and Referer headers',
    );
    return 'HTTP 401: the query token was ignored';
  },
});

export const acceptsLowercaseBearer = check({
  id: 'resource-server.accepts-lowercase-bearer',
  title: 'The auth-scheme is case-insensitive: "bearer <token>" is accepted',
  requirements: ['R9110-SCHEME-CASE'],
  level: 'MUST',
  needs: ['resource', 'authorization-code'],
  async run(ctx) {
    const reply = await ctx.mcp.post({ authorization: `bearer ${await userAccessToken(ctx)}` });
    return requireServed(
      reply,
      'a valid token sent as "Authorization: bearer <token>"',
      'RFC 9110 §11.1: the auth-scheme is case-insensitive; match "Bearer" without regard to case.',
    );
  },
});

export const malformedRequest400 = check({
  id: 'resource-server.malformed-request-400',
  title: 'A malformed body with a valid token is answered 400, not 500',
  description: 'MCP "Error Handling": 400 for a malformed request; JSON-RPC 2.0 §5.1 calls it a parse error.',
  requirements: ['RS-STATUS-CODES'],
  level: 'MUST',
  needs: ['resource', 'authorization-code'],
  async run(ctx) {
    const reply = await ctx.mcp.post({ token: await userAccessToken(ctx), body: '{not json' });
    expect.that(
      reply.status === 400,
      `the body "{not json" with a valid token was answered ${describeReply(reply)}; a malformed request is 400 ` +
        '(a 5xx reports a server fault the client cannot fix; a 401/403 sends it back to authorization)',
    );
    return 'HTTP 400';
  },
});

export const getRequiresToken = check({
  id: 'resource-server.get-requires-token',
  title: 'GET on the MCP endpoint (the SSE stream) without a token is answered 401',
  description: 'MCP Security Best Practices: servers that implement authorization verify all inbound requests.',
  requirements: ['RS-VERIFY-ALL-REQUESTS', 'RS-401-UNAUTHENTICATED'],
  level: 'MUST',
  needs: ['resource'],
  async run(ctx) {
    const reply = await ctx.mcp.post({ method: 'GET', headers: { accept: 'text/event-stream' } });
    expect.that(
      reply.status === 401,
      `GET ${ctx.target.resource} (Accept: text/event-stream) without a token was answered ${describeReply(reply)}; ` +
        'it must be 401: authorize every method before any MCP processing (the stream carries server messages)',
    );
    return 'HTTP 401';
  },
});
