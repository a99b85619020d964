import { BlockedError, type Check, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply, type HttpReply, isJsonContentType, member } from '../../harness/http.ts';
import type { AuthorizeOptions, ClientAuthMethod, IssuedTokens, OAuthClient } from '../../harness/oauth.ts';
import type { NegativeCase } from '../suite.ts';

/** RFC 9700 §4.14.2: refresh tokens expire after inactivity; a year unused leaves no doubt. */
const A_YEAR_SECONDS = 366 * 24 * 60 * 60;

// ── Shared steps ────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * A client registered (RFC 7591) with grant_types [authorization_code, refresh_token], as MCP clients wanting refresh
 * tokens declare; public by default. The run's own clients register only authorization_code.
 */
export async function refreshClient(ctx: CheckContext, auth: ClientAuthMethod = 'none'): Promise<OAuthClient> {
  if (!(await ctx.oauth.canRegister())) {
    ctx.skip('refresh checks register a client with grant_types [authorization_code, refresh_token]; no DCR endpoint');
  }
  const redirectUri = ctx.target.redirectUri;
  const reply = await ctx.oauth.register({
    client_name: `mcp-auth-conformance refresh client (${auth})`,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: auth,
    application_type: 'native',
  });
  const clientId = member(reply, 'client_id');
  const secret = member(reply, 'client_secret');
  if (reply.status >= 300 || typeof clientId !== 'string' || (auth !== 'none' && typeof secret !== 'string')) {
    throw new BlockedError('registration of a refresh_token client', `DCR answered ${describeReply(reply)}`);
  }
  return {
    client_id: clientId,
    ...(typeof secret === 'string' ? { client_secret: secret } : {}),
    redirect_uri: redirectUri,
    auth,
    source: 'dcr',
  };
}

interface RefreshableTokens extends IssuedTokens {
  client: OAuthClient;
  refreshToken: string;
}

/** The code flow for a refresh_token client; SKIPs when the AS issues no refresh token (OAuth 2.1 §4.3 leaves it open). */
export async function refreshableTokens(
  ctx: CheckContext,
  options: AuthorizeOptions & { auth?: ClientAuthMethod } = {},
): Promise<RefreshableTokens> {
  const { auth, ...authorize } = options;
  const client = authorize.client ?? (await refreshClient(ctx, auth));
  const scope = await withOfflineAccess(
    ctx,
    authorize.scope === undefined ? ctx.target.scopes?.basic : authorize.scope,
  );
  const tokens = await ctx.oauth.obtainTokens({ ...authorize, client, ...(scope ? { scope } : {}) });
  const refreshToken = member(tokens.reply, 'refresh_token');
  if (typeof refreshToken !== 'string') {
    ctx.skip(`the AS issued no refresh token to client ${client.client_id}, registered for the refresh_token grant`);
  }
  return { ...tokens, client, refreshToken };
}

/**
 * MCP 2026-07-28 (Refresh Tokens): a client that wants a refresh token MAY add `offline_access` to the scope when the
 * AS lists it in scopes_supported; OpenID providers commonly issue refresh tokens only then.
 */
async function withOfflineAccess(ctx: CheckContext, scope: string | null | undefined) {
  const { metadata } = await ctx.discovery.authorizationServerMetadata();
  const supported = metadata.scopes_supported;
  if (!Array.isArray(supported) || !supported.includes(OFFLINE_ACCESS) || scope === null) return scope;
  return [...new Set([...(scope ?? '').split(' ').filter(Boolean), OFFLINE_ACCESS])].join(' ');
}

const OFFLINE_ACCESS = 'offline_access';

/** OAuth 2.1 §4.3.1: grant_type=refresh_token; `resource` (RFC 8707) names the MCP server unless overridden. */
export function refresh(
  ctx: CheckContext,
  client: OAuthClient,
  refreshToken: string,
  extra: { scope?: string; resource?: string | null; auth?: ClientAuthMethod } = {},
): Promise<HttpReply> {
  const resource = extra.resource === undefined ? ctx.target.resource : extra.resource;
  const params = { grant_type: 'refresh_token', refresh_token: refreshToken, scope: extra.scope, resource };
  return ctx.oauth.tokenRequest(params, client, extra.auth);
}

/** A refresh that must succeed because it is the prerequisite, not the thing checked. */
async function successfulRefresh(ctx: CheckContext, tokens: RefreshableTokens): Promise<HttpReply> {
  const reply = await refresh(ctx, tokens.client, tokens.refreshToken);
  if (reply.status !== 200 || typeof member(reply, 'access_token') !== 'string') {
    throw new BlockedError('refresh', `a correct refresh request answered ${describeReply(reply)}`);
  }
  return reply;
}

/** The successor refresh token of a rotation; SKIPs when there is none (reported by grants.refresh-rotates). */
function rotatedRefreshToken(ctx: CheckContext, reply: HttpReply, previous: string): string {
  const successor = member(reply, 'refresh_token');
  if (typeof successor !== 'string' || successor === previous) {
    ctx.skip('the AS did not rotate the refresh token (see grants.refresh-rotates-for-public-clients)');
  }
  return successor;
}

function hasNoStore(reply: HttpReply): boolean {
  return (reply.headers.get('cache-control') ?? '')
    .split(',')
    .some((directive) => directive.trim().toLowerCase() === 'no-store');
}

// ── Checks ──────────────────────────────────────────────────────────────────────────────────────────────────────

export const refreshIssuesAccessToken = check({
  id: 'grants.refresh-issues-access-token',
  title: 'A refresh issues a new access token the MCP server accepts',
  description:
    'OAuth 2.1 §4.3, RFC 8707 §2.2: a refresh token buys a new access token for the resource the grant covers, ' +
    'audience-bound to it.',
  requirements: ['R8707-TOKEN-REQ', 'AS-AUD-BINDING'],
  level: 'MUST',
  needs: ['refresh-token', 'resource'],
  async run(ctx) {
    const reply = await successfulRefresh(ctx, await refreshableTokens(ctx));
    const accessToken = String(member(reply, 'access_token'));
    const served = await ctx.mcp.post({ token: accessToken });
    expect.that(
      served.status === 200,
      `the MCP server answered ${describeReply(served)} to the access token from a refresh; a refreshed token must ` +
        `work like the first one, audience-bound to ${ctx.target.resource}`,
    );
    return 'the refreshed access token was accepted by the MCP server';
  },
});

export const refreshRotatesForPublicClients = check({
  id: 'grants.refresh-rotates-for-public-clients',
  title: "A public client's refresh returns a new refresh token",
  description:
    'OAuth 2.1 §4.3.1, MCP Security Best Practices: refresh tokens of public clients are sender-constrained or ' +
    'rotated; without DPoP or mTLS every refresh must issue a new refresh token.',
  requirements: ['AS-RT-ROTATE-PUBLIC', 'OA21-RT-PUBLIC', 'BCP-RT-PUBLIC'],
  level: 'MUST',
  needs: ['refresh-token'],
  async run(ctx) {
    const tokens = await refreshableTokens(ctx);
    const successor = member(await successfulRefresh(ctx, tokens), 'refresh_token');
    expect.that(
      typeof successor === 'string' && successor !== tokens.refreshToken,
      `the refresh of public client ${tokens.client.client_id} returned ` +
        `${typeof successor === 'string' ? 'the same refresh token' : 'no refresh_token'}; a public client's ` +
        'refresh token must rotate, so a stolen copy is detected when both parties use it',
    );
    return 'the refresh returned a new refresh token';
  },
});

export const rotatedRefreshTokenRefused = check({
  id: 'grants.rotated-refresh-token-refused',
  title: 'A refresh token already exchanged by a rotation is refused',
  description: 'OAuth 2.1 §4.3.1: with rotation, the previous refresh token is invalidated once a new one is issued.',
  requirements: ['OA21-RT-PUBLIC', 'AS-RT-ROTATE-PUBLIC'],
  level: 'MUST',
  needs: ['refresh-token'],
  async run(ctx) {
    const tokens = await refreshableTokens(ctx);
    rotatedRefreshToken(ctx, await successfulRefresh(ctx, tokens), tokens.refreshToken);
    const reuse = await refresh(ctx, tokens.client, tokens.refreshToken);
    return expect.tokenError(
      reuse,
      ['invalid_grant'],
      'the refresh token was already rotated away; accepting it again lets a thief keep refreshing unnoticed',
    );
  },
});

export const refreshReuseRevokesFamily = check({
  id: 'grants.refresh-reuse-revokes-family',
  title: 'Reusing a rotated refresh token revokes the newest one too',
  description:
    'OAuth 2.1 §4.3.1, RFC 9700 §4.14.2: the AS cannot tell the thief from the client, so reuse of an invalidated ' +
    'refresh token revokes the active refresh token (the whole grant).',
  requirements: ['OA21-RT-PUBLIC', 'BCP-RT-PUBLIC'],
  level: 'MUST',
  needs: ['refresh-token'],
  async run(ctx) {
    const tokens = await refreshableTokens(ctx);
    const newest = rotatedRefreshToken(ctx, await successfulRefresh(ctx, tokens), tokens.refreshToken);
    await refresh(ctx, tokens.client, tokens.refreshToken);
    const afterReuse = await refresh(ctx, tokens.client, newest);
    return expect.tokenError(
      afterReuse,
      ['invalid_grant'],
      'after the rotated refresh token was presented again, its successor still worked; reuse means a copy was ' +
        'stolen, so revoke every refresh token of the grant',
    );
  },
});

export const refreshBoundToClient = check({
  id: 'grants.refresh-bound-to-client',
  title: "Another client cannot use a client's refresh token",
  description: 'OAuth 2.1 §4.3.1: the AS validates that the refresh token was issued to the client presenting it.',
  requirements: ['OA21-RT-BINDING'],
  level: 'MUST',
  needs: ['refresh-token'],
  async run(ctx) {
    const tokens = await refreshableTokens(ctx);
    const other = await refreshClient(ctx);
    const reply = await refresh(ctx, other, tokens.refreshToken);
    return expect.tokenError(
      reply,
      ['invalid_grant'],
      `client ${other.client_id} refreshed with a refresh token issued to ${tokens.client.client_id}; a leaked ` +
        'refresh token must be useless to any other client',
    );
  },
});

export const refreshScopeNotWidened = check({
  id: 'grants.refresh-scope-not-widened',
  title: 'A refresh cannot ask for more scope than was granted',
  description:
    'OAuth 2.1 §4.3.1: the requested scope must not include any scope not originally granted; otherwise ' +
    'invalid_scope.',
  requirements: ['OA21-RT-BINDING', 'OA21-RT-ROTATED-SCOPE'],
  level: 'MUST',
  needs: ['refresh-token'],
  async run(ctx) {
    const { basic, elevated } = ctx.target.scopes ?? {};
    if (!basic || !elevated) ctx.skip('the target declares no basic and elevated scopes ("scopes")');
    const tokens = await refreshableTokens(ctx, { scope: basic });
    const reply = await refresh(ctx, tokens.client, tokens.refreshToken, { scope: `${basic} ${elevated}` });
    return expect.tokenError(
      reply,
      ['invalid_scope'],
      `the grant covered "${basic}" and the refresh asked for "${basic} ${elevated}"; a refresh token must never ` +
        'buy more than the user consented to',
    );
  },
});

export const refreshResourceNotWidened = check({
  id: 'grants.refresh-resource-not-widened',
  title: 'A refresh cannot ask for a resource the grant did not cover',
  description:
    'RFC 8707 §2.2, RFC 9700 §4.14.2: refresh tokens are bound to the resource servers the user consented to; a ' +
    'refresh for another resource is invalid_target.',
  requirements: ['R8707-TOKEN-REQ', 'BCP-RT-BOUND'],
  level: 'MUST',
  needs: ['refresh-token', 'resource', 'alternate-resource'],
  async run(ctx) {
    const alternate = ctx.target.alternateResource!;
    const tokens = await refreshableTokens(ctx, { resource: ctx.target.resource! });
    const reply = await refresh(ctx, tokens.client, tokens.refreshToken, { resource: alternate });
    return expect.tokenError(
      reply,
      ['invalid_target'],
      `the grant covered ${ctx.target.resource} and the refresh asked for ${alternate}; a refresh token for one MCP ` +
        'server must not mint tokens for another',
    );
  },
});

export const revokedRefreshTokenRefused = check({
  id: 'grants.revoked-refresh-token-refused',
  title: 'A refresh token revoked at the revocation endpoint no longer works',
  description:
    'RFC 7009 §2.1-§2.2: the AS supports revoking refresh tokens, answers 200, and the token is unusable right after.',
  requirements: ['R7009-RT', 'R7009-EFFECT', 'R7009-200'],
  level: 'MUST',
  needs: ['refresh-token'],
  async run(ctx) {
    const { metadata } = await ctx.discovery.authorizationServerMetadata();
    const endpoint = metadata.revocation_endpoint;
    if (typeof endpoint !== 'string') return ctx.skip('the AS metadata has no revocation_endpoint');
    const tokens = await refreshableTokens(ctx);
    const params = { token: tokens.refreshToken, token_type_hint: 'refresh_token' };
    const revocation = await ctx.oauth.authenticatedPost(endpoint, params, tokens.client);
    expect.status(revocation, 200, 'RFC 7009 §2.2 answers a successful revocation with 200');
    const reply = await refresh(ctx, tokens.client, tokens.refreshToken);
    return expect.tokenError(
      reply,
      ['invalid_grant'],
      'the refresh token was revoked (RFC 7009) and still bought tokens; a user or client signing out must end it',
    );
  },
});

export const refreshTokenExpires = check({
  id: 'grants.refresh-token-expires',
  title: 'A refresh token unused for a year is refused',
  description: 'RFC 9700 §4.14.2: refresh tokens SHOULD expire if the client has been inactive for some time.',
  requirements: ['BCP-RT-EXPIRY'],
  level: 'SHOULD',
  needs: ['refresh-token'],
  async run(ctx) {
    const tokens = await refreshableTokens(ctx);
    await ctx.passTime(A_YEAR_SECONDS);
    const reply = await refresh(ctx, tokens.client, tokens.refreshToken);
    return expect.tokenError(
      reply,
      ['invalid_grant'],
      'a refresh token left unused for a year still worked; expire refresh tokens so a forgotten copy stops being a key',
    );
  },
});

export const refreshTokenResponse = check({
  id: 'grants.refresh-token-response',
  title: 'The refresh response is JSON with token_type and expires_in, never cached',
  description:
    'OAuth 2.1 §3.2.3: 200 application/json with access_token and token_type; expires_in RECOMMENDED; responses ' +
    'containing tokens carry Cache-Control: no-store.',
  requirements: ['OA21-TOKEN-RESPONSE'],
  level: 'MUST',
  needs: ['refresh-token'],
  async run(ctx) {
    const reply = await successfulRefresh(ctx, await refreshableTokens(ctx));
    expect.that(
      isJsonContentType(reply.headers),
      `the refresh response is served as "${reply.headers.get('content-type')}"; it must be application/json`,
    );
    const tokenType = member(reply, 'token_type');
    expect.that(
      typeof tokenType === 'string' && tokenType.toLowerCase() === 'bearer',
      `token_type is ${JSON.stringify(tokenType)}; a refresh of a Bearer grant issues "Bearer" tokens`,
    );
    const expiresIn = member(reply, 'expires_in');
    expect.that(
      expiresIn === undefined || (typeof expiresIn === 'number' && expiresIn > 0),
      `expires_in is ${JSON.stringify(expiresIn)}; when present it is a positive number of seconds`,
    );
    expect.that(
      hasNoStore(reply),
      `the refresh response has Cache-Control: ${JSON.stringify(reply.headers.get('cache-control'))}; it carries ` +
        'an access and a refresh token, so it must be Cache-Control: no-store',
    );
    return `application/json, token_type ${tokenType}, Cache-Control: no-store`;
  },
});

export const refreshErrorFormat = check({
  id: 'grants.refresh-error-format',
  title: 'A bogus refresh token is refused with 400 JSON invalid_grant',
  description: 'OAuth 2.1 §3.2.4: token errors are HTTP 400 with an application/json body naming the error.',
  requirements: ['OA21-TOKEN-ERRORS'],
  level: 'MUST',
  needs: ['refresh-token'],
  async run(ctx) {
    const client = await refreshClient(ctx);
    const reply = await refresh(ctx, client, `conformance-bogus-refresh-token-${crypto.randomUUID()}`);
    return expect.tokenError(
      reply,
      ['invalid_grant'],
      'clients branch on the error code; a refresh token the AS never issued is invalid_grant',
    );
  },
});

export const refreshRequiresClientAuthentication = check({
  id: 'grants.refresh-requires-client-authentication',
  title: "A confidential client's refresh token is not usable without client authentication",
  description:
    'OAuth 2.1 §4.3.1: the AS requires client authentication for confidential clients and checks the refresh token ' +
    'was issued to the authenticated client.',
  requirements: ['OA21-CONF-AUTH', 'OA21-RT-BINDING'],
  level: 'MUST',
  needs: ['refresh-token'],
  async run(ctx) {
    const tokens = await refreshableTokens(ctx, { auth: await ctx.oauth.secretMethod() });
    const reply = await refresh(ctx, tokens.client, tokens.refreshToken, { auth: 'none' });
    return expect.tokenError(
      reply,
      ['invalid_client'],
      `the refresh token of confidential client ${tokens.client.client_id} was used with only its client_id; ` +
        'without the secret anyone holding the refresh token gets access tokens',
    );
  },
});

/** OAuth 2.1 §4.3 refresh tokens: rotation, reuse detection, binding and down-scoping. */
export const refreshTokenChecks: Check[] = [
  refreshIssuesAccessToken,
  refreshRotatesForPublicClients,
  rotatedRefreshTokenRefused,
  refreshReuseRevokesFamily,
  refreshBoundToClient,
  refreshScopeNotWidened,
  refreshResourceNotWidened,
  revokedRefreshTokenRefused,
  refreshTokenExpires,
  refreshTokenResponse,
  refreshErrorFormat,
  refreshRequiresClientAuthentication,
];

export const refreshTokenNegatives: Record<string, NegativeCase> = {
  'grants.refresh-issues-access-token': { defect: 'audience-not-bound' },
  'grants.refresh-rotates-for-public-clients': { defect: 'refresh-not-rotated' },
  'grants.rotated-refresh-token-refused': { defect: 'refresh-reuse-undetected' },
  'grants.refresh-reuse-revokes-family': { defect: 'refresh-reuse-keeps-family' },
  'grants.refresh-bound-to-client': { defect: 'refresh-not-bound-to-client' },
  'grants.refresh-scope-not-widened': { defect: 'refresh-scope-widening' },
  'grants.refresh-resource-not-widened': { defect: 'refresh-resource-widening' },
  'grants.revoked-refresh-token-refused': { defect: 'refresh-survives-revocation' },
  'grants.refresh-token-expires': { defect: 'refresh-never-expires' },
  'grants.refresh-token-response': { defect: 'token-response-cacheable' },
  'grants.refresh-error-format': { defect: 'token-errors-not-json' },
  'grants.refresh-requires-client-authentication': { defect: 'confidential-auth-skipped' },
};
