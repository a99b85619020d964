import { replyBearerChallenge } from '../../harness/challenges.ts';
import { check } from '../../harness/check.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply } from '../../harness/http.ts';
import { requireInvalidTokenChallenge } from './replies.ts';

export const rejectsMissingToken = check({
  id: 'resource-server.401-without-token',
  title: 'A request without a token is answered 401, before any MCP processing',
  requirements: ['RS-401-UNAUTHENTICATED', 'RS-VALIDATE-BEFORE-PROCESSING', 'RS-STATUS-CODES'],
  level: 'MUST',
  needs: ['resource'],
  async run({ discovery }) {
    const { reply } = await discovery.unauthenticated();
    expect.that(
      reply.status === 401,
      `an MCP initialize without credentials answered ${describeReply(reply)}; it must be 401 so clients start OAuth`,
    );
    return 'HTTP 401';
  },
});

export const bearerChallengePresent = check({
  id: 'resource-server.bearer-challenge',
  title: 'The 401 carries a Bearer challenge in WWW-Authenticate',
  requirements: ['OA21-RS-CHALLENGE', 'RS-ERR-OAUTH21-5.3', 'CL-WWW-AUTH-PARSE'],
  level: 'MUST',
  needs: ['resource'],
  async run({ discovery }) {
    const { reply, bearer } = await discovery.unauthenticated();
    expect.that(reply.status === 401, `expected 401, got ${describeReply(reply)}`);
    expect.that(
      bearer,
      `WWW-Authenticate is ${JSON.stringify(reply.headers.get('www-authenticate'))}; a Bearer challenge is required`,
    );
    return `WWW-Authenticate: ${reply.headers.get('www-authenticate')}`;
  },
});

export const noErrorCodeWithoutCredentials = check({
  id: 'resource-server.no-error-without-credentials',
  title: 'The challenge to a request without credentials carries no error code',
  description:
    'RFC 6750 §3.1: if the request lacks any authentication information, the server should not include an error code.',
  requirements: ['OA21-RS-CHALLENGE'],
  level: 'SHOULD',
  needs: ['resource'],
  async run({ discovery }) {
    const { bearer } = await discovery.unauthenticated();
    expect.that(bearer, 'no Bearer challenge on the 401');
    expect.that(
      bearer.parameters.error === undefined,
      `the challenge says error="${bearer.parameters.error}" although no token was sent; clients may then treat a ` +
        'first contact as a rejected token',
    );
    return 'no error code';
  },
});

export const challengeNamesScope = check({
  id: 'resource-server.challenge-scope',
  title: 'The 401 challenge names the scope needed',
  requirements: ['RS-WWW-AUTH-SCOPE', 'CL-SCOPE-PRIORITY'],
  level: 'SHOULD',
  specs: ['2025-11-25', '2026-07-28'],
  needs: ['resource'],
  async run({ discovery }) {
    const { bearer } = await discovery.unauthenticated();
    expect.that(bearer, 'no Bearer challenge on the 401');
    expect.that(
      bearer.parameters.scope,
      'the challenge has no scope="…"; clients then fall back to every scope in scopes_supported (over-asking)',
    );
    return `scope="${bearer.parameters.scope}"`;
  },
});

const UNKNOWN_TOKEN = 'mcp-auth-conformance-unknown-token';

export const invalidTokenChallenge = check({
  id: 'resource-server.invalid-token-challenge',
  title: 'A rejected token gets 401 with error="invalid_token"',
  requirements: ['RS-ERR-OAUTH21-5.3', 'R9068-RS-ERROR', 'RS-INVALID-TOKEN-401'],
  level: 'MUST',
  needs: ['resource'],
  async run(ctx) {
    const reply = await ctx.mcp.post({ token: UNKNOWN_TOKEN });
    await requireInvalidTokenChallenge(reply, 'an unknown token');
    return `WWW-Authenticate: ${reply.headers.get('www-authenticate')}`;
  },
});

export const invalidTokenPointsToMetadata = check({
  id: 'resource-server.invalid-token-resource-metadata',
  title: 'The invalid_token challenge carries the resource_metadata pointer',
  description:
    'RFC 9728 §5.1: a client recovering from a refused token rediscovers the authorization server through it. ' +
    'Required on every 401 by 2025-06-18; one of two discovery mechanisms since 2025-11-25.',
  requirements: ['RS-401-WWW-AUTH', 'R9728-WWW-AUTH-PARAM', 'RS-PRM-DISCOVERY-MECH'],
  level: 'MUST',
  levelBySpec: { '2025-11-25': 'SHOULD', '2026-07-28': 'SHOULD' },
  needs: ['resource'],
  async run(ctx) {
    const reply = await ctx.mcp.post({ token: UNKNOWN_TOKEN });
    await requireInvalidTokenChallenge(reply, 'an unknown token');
    const challenge = await replyBearerChallenge(reply);
    expect.that(
      challenge?.parameters.resource_metadata,
      `the invalid_token challenge lacks resource_metadata (WWW-Authenticate: ${reply.headers.get('www-authenticate')})`,
    );
    return `resource_metadata="${challenge.parameters.resource_metadata}"`;
  },
});
