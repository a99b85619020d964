import { BlockedError, CheckSkipped, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply, member, readReply } from '../../harness/http.ts';
import { audiences, decodeAccessToken } from '../../harness/jwt.ts';
import type { OAuthClient } from '../../harness/oauth.ts';
import { siblingPath, successfulAuthorization } from './observations.ts';

/** OAuth 2.1 §4.1.2 recommends codes live at most ten minutes; one more minute leaves no doubt. */
const BEYOND_CODE_LIFETIME_MS = 11 * 60_000;

export const codeSingleUse = check({
  id: 'authorization-code.code-single-use',
  title: 'A code is redeemed only once',
  description: 'OAuth 2.1 §4.1.3: the AS MUST deny a second redemption of the same code.',
  requirements: ['OA21-CODE-SINGLE-USE'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run({ oauth }) {
    const { authorization } = await oauth.obtainTokens();
    const replay = await oauth.redeem(authorization);
    return expect.tokenError(
      replay,
      ['invalid_grant'],
      'a code intercepted after use (logs, referrers, a malicious app) must not buy a second set of tokens',
    );
  },
});

/** How the check learns whether an access token still works: the AS's view (introspection) or the MCP server's. */
interface TokenObserver {
  via: string;
  isActive(token: string): Promise<boolean>;
}

/** RFC 7662 §2.1: the AS answers whether a token is active; the caller authenticates as a confidential client. */
function introspectionObserver(ctx: CheckContext, endpoint: string, client: OAuthClient): TokenObserver {
  return {
    via: `introspection at ${endpoint}`,
    async isActive(token) {
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      };
      const body = new URLSearchParams({ token, token_type_hint: 'access_token' });
      if (client.auth === 'client_secret_post') {
        body.set('client_id', client.client_id);
        body.set('client_secret', client.client_secret ?? '');
      } else {
        const credentials = `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret ?? '')}`;
        headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
      }
      const reply = await readReply(await ctx.fetch(endpoint, { method: 'POST', headers, body }), endpoint);
      if (reply.status !== 200) throw new BlockedError('token introspection', `answered ${describeReply(reply)}`);
      return member(reply, 'active') === true;
    },
  };
}

function mcpObserver(ctx: CheckContext): TokenObserver {
  return {
    via: `the MCP server ${ctx.target.resource}`,
    async isActive(token) {
      const reply = await ctx.mcp.post({ token });
      if (reply.status === 401) return false;
      if (reply.status === 200) return true;
      throw new BlockedError('MCP request with the access token', `answered ${describeReply(reply)}`);
    },
  };
}

/** Introspection when the AS offers it to a confidential client and it knows our token, else the MCP server. */
async function tokenObserver(ctx: CheckContext, token: string): Promise<TokenObserver> {
  const { metadata } = await ctx.discovery.authorizationServerMetadata();
  const endpoint = metadata.introspection_endpoint;
  if (typeof endpoint === 'string') {
    const introspecting = await ctx.oauth.confidentialClient().catch((error: unknown) => {
      if (error instanceof CheckSkipped || error instanceof BlockedError) return undefined;
      throw error;
    });
    if (introspecting) {
      const observer = introspectionObserver(ctx, endpoint, introspecting);
      const usable = await observer.isActive(token).catch((error: unknown) => {
        if (error instanceof BlockedError) return false;
        throw error;
      });
      if (usable) return observer;
    }
  }
  if (ctx.target.resource) return mcpObserver(ctx);
  return ctx.skip(
    'neither an MCP server (resource) nor token introspection with a confidential client can show revocation',
  );
}

export const replayRevokesTokens = check({
  id: 'authorization-code.replay-revokes-tokens',
  title: 'Replaying a code revokes the tokens already issued from it',
  description:
    'OAuth 2.1 §4.1.3: on a second redemption the AS SHOULD revoke the tokens issued from the code, since either ' +
    'the legitimate client or an attacker holds a stolen code.',
  requirements: ['OA21-CODE-SINGLE-USE'],
  level: 'SHOULD',
  needs: ['authorization-code'],
  async run(ctx) {
    const tokens = await ctx.oauth.obtainTokens();
    const observer = await tokenObserver(ctx, tokens.accessToken);
    if (!(await observer.isActive(tokens.accessToken))) {
      throw new BlockedError(observer.via, 'the freshly issued access token was not accepted before the replay');
    }
    await ctx.oauth.redeem(tokens.authorization);
    expect.that(
      !(await observer.isActive(tokens.accessToken)),
      `after the code was redeemed a second time, the access token issued from it still works (${observer.via}); ` +
        'revoke every token issued from a replayed code',
    );
    return `after the replay the first access token stopped working (${observer.via})`;
  },
});

export const codeBoundToClient = check({
  id: 'authorization-code.code-bound-to-client',
  title: "Another client cannot redeem a client's code",
  description:
    'OAuth 2.1 §4.1.3: the AS checks the code was issued to the client redeeming it; otherwise invalid_grant.',
  requirements: ['OA21-CODE-BINDING'],
  level: 'MUST',
  needs: ['authorization-code', 'second-client'],
  async run({ oauth }) {
    const other = await oauth.secondClient();
    const authorization = await successfulAuthorization(oauth);
    expect.that(
      other.client_id !== authorization.client.client_id,
      `the second client has the same client_id (${other.client_id}) as the first; declare or register a distinct one`,
    );
    const reply = await oauth.redeem(authorization, { client: other });
    return expect.tokenError(
      reply,
      ['invalid_grant'],
      `client ${other.client_id} redeemed a code issued to ${authorization.client.client_id}; a code leaked to ` +
        'another app must be useless there',
    );
  },
});

export const codeBoundToRedirectUri = check({
  id: 'authorization-code.code-bound-to-redirect-uri',
  title: 'The token request redirect_uri must match the one of the authorization request',
  description:
    'OAuth 2.1 §10.2 / RFC 6749 §4.1.3: when redirect_uri was in the authorization request, the token request ' +
    'carries the identical value; a different one is invalid_grant.',
  requirements: ['OA21-CODE-BINDING', 'OA21-REDIRECT-URI-TOKEN'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run({ oauth }) {
    const authorization = await successfulAuthorization(oauth);
    const different = siblingPath(authorization.redirectUri);
    const reply = await oauth.redeem(authorization, { redirectUri: different });
    return expect.tokenError(
      reply,
      ['invalid_grant'],
      `the code was issued for ${authorization.redirectUri} and redeemed with redirect_uri=${different}; compare them ` +
        'and refuse a mismatch',
    );
  },
});

export const codeExpires = check({
  id: 'authorization-code.code-expires',
  title: 'A code older than ten minutes is refused',
  description: 'OAuth 2.1 §4.1.2: codes MUST expire shortly after issue; a maximum of 10 minutes is RECOMMENDED.',
  requirements: ['OA21-CODE-LIFETIME'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run({ oauth, passTime }) {
    const authorization = await successfulAuthorization(oauth);
    await passTime(BEYOND_CODE_LIFETIME_MS / 1000);
    const reply = await oauth.redeem(authorization);
    return expect.tokenError(
      reply,
      ['invalid_grant'],
      'the code was redeemed 11 minutes after issue; short-lived codes limit what a leaked code is worth',
    );
  },
});

export const resourceBound = check({
  id: 'authorization-code.resource-bound',
  title: 'A code authorized for one resource does not buy a token for another',
  description:
    'RFC 8707 §2.2: the token request resource stays within what the grant authorized, otherwise invalid_target; ' +
    'MCP binds each token to the resource the user consented to.',
  requirements: ['R8707-TOKEN-REQ', 'R8707-INVALID-TARGET', 'AS-AUD-BINDING'],
  level: 'MUST',
  needs: ['authorization-code', 'resource', 'alternate-resource'],
  async run({ oauth, target }) {
    const alternate = target.alternateResource!;
    const authorization = await successfulAuthorization(oauth, { resource: target.resource! });
    const reply = await oauth.redeem(authorization, { resource: alternate });
    const token = member(reply, 'access_token');
    const claims = typeof token === 'string' ? decodeAccessToken(token)?.claims : undefined;
    expect.that(
      !claims || !audiences(claims).includes(alternate),
      `the code was authorized for ${target.resource} but yielded a token with aud ${JSON.stringify(claims?.aud)}; ` +
        'the user never consented to that resource',
    );
    return expect.tokenError(
      reply,
      ['invalid_target', 'invalid_grant'],
      `the code was authorized for ${target.resource} and redeemed with resource=${alternate}; refuse it ` +
        '(invalid_target) so tokens only reach the resource the user approved',
    );
  },
});
