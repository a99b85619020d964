import { BlockedError, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { describeReply, type HttpReply, readReply } from '../../harness/http.ts';
import type { OAuthClient } from '../../harness/oauth.ts';
import { requireInvalidTokenChallenge } from './replies.ts';

/** RFC 7009 §2.1: POST token + token_type_hint, authenticated as the client the token was issued to. */
async function revoke(ctx: CheckContext, endpoint: string, token: string, client: OAuthClient): Promise<HttpReply> {
  const body = new URLSearchParams({ token, token_type_hint: 'access_token' });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client.auth === 'client_secret_basic') {
    const credentials = `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret ?? '')}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  } else {
    body.set('client_id', client.client_id);
    if (client.auth === 'client_secret_post') body.set('client_secret', client.client_secret ?? '');
  }
  return readReply(await ctx.fetch(endpoint, { method: 'POST', headers, body }), endpoint);
}

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
    const revocation = await revoke(ctx, endpoint, tokens.accessToken, tokens.authorization.client);
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
