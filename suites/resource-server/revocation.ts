import { BlockedError, check } from '../../harness/check.ts';
import { describeReply } from '../../harness/http.ts';
import { requireInvalidTokenChallenge } from './replies.ts';

export const rejectsRevokedToken = check({
  id: 'resource-server.rejects-revoked-token',
  title: 'An access token revoked at the AS (RFC 7009) is no longer accepted',
  description: 'MCP "Token Handling": invalid tokens get 401; a revoked token is invalid even before its exp.',
  requirements: ['RS-INVALID-TOKEN-401', 'RS-TOKEN-VALIDATE'],
  level: 'SHOULD',
  needs: ['resource', 'authorization-code'],
  async run(ctx) {
    const endpoint = await ctx.discovery.endpoint('revocation_endpoint');
    const tokens = await ctx.oauth.obtainTokens();
    const before = await ctx.mcp.post({ token: tokens.accessToken });
    if (before.status !== 200) {
      throw new BlockedError('a fresh access token', `the MCP server refused it (${describeReply(before)})`);
    }
    // RFC 7009 §2.1: authenticated as the client the token was issued to.
    const revocation = await ctx.oauth.authenticatedPost(
      endpoint,
      { token: tokens.accessToken, token_type_hint: 'access_token' },
      tokens.authorization.client,
    );
    if (revocation.status !== 200) {
      throw new BlockedError('token revocation', `${endpoint} answered ${describeReply(revocation)}`);
    }
    const after = await ctx.mcp.post({ token: tokens.accessToken });
    return requireInvalidTokenChallenge(
      after,
      'an access token revoked at the AS',
      'Check tokens against the AS (RFC 7662 introspection) or a revocation feed, so a revoked grant stops working',
    );
  },
});
