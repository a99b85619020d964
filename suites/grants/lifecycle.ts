/**
 * The token lifecycle: introspection (RFC 7662), revocation (RFC 7009), userinfo (OIDC Core §5.3) and
 * `offline_access` (MCP 2026-07-28, Refresh Tokens). Introspection is done as a confidential client the target
 * declares or the harness registers; tokens come from the authorization code flow, fresh for every check that changes
 * or ages them.
 */
import { BlockedError, type Check, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import {
  describeReply,
  type HttpReply,
  isJsonContentType,
  isJsonObject,
  member,
  readReply,
} from '../../harness/http.ts';
import { decodeAccessToken } from '../../harness/jwt.ts';
import type { AuthorizeOptions, IssuedTokens, OAuthClient } from '../../harness/oauth.ts';
import type { NegativeCase } from '../suite.ts';
import { refresh, refreshableTokens, refreshClient } from './refresh-token.ts';

const OFFLINE_ACCESS = 'offline_access';
const INTROSPECTION = ['authorization-code', 'introspection'] as const;
const REVOCATION = ['authorization-code', 'revocation', 'introspection'] as const;

// ── Shared steps ────────────────────────────────────────────────────────────────────────────────────────────────

/** A never-issued token: long, random and in the shape of a bearer token. */
function bogusToken(): string {
  return `conformance-bogus-${crypto.randomUUID()}-${crypto.randomUUID()}`;
}

/** RFC 7662 §2.1: POST `token` (and any extra parameters) as the authenticated `client` (the confidential one). */
async function introspect(
  ctx: CheckContext,
  token: string,
  extra: Record<string, string> = {},
  client?: OAuthClient,
): Promise<HttpReply> {
  const endpoint = await ctx.discovery.endpoint('introspection_endpoint');
  return ctx.oauth.authenticatedPost(endpoint, { token, ...extra }, client ?? (await ctx.oauth.confidentialClient()));
}

/** An introspection answer as a JSON object; anything else blocks the check that needed it. */
function introspectionAnswer(reply: HttpReply): Record<string, unknown> {
  if (reply.status !== 200 || !isJsonObject(reply.json)) {
    throw new BlockedError('introspection', `an authenticated introspection request answered ${describeReply(reply)}`);
  }
  return reply.json;
}

/**
 * The token must be seen active first (the precondition of a check about what happens next). An AS that does not
 * introspect such tokens at all leaves the effect unobservable: the check SKIPs, and grants.introspection-active-token
 * reports the deviation once.
 */
async function expectActiveBefore(ctx: CheckContext, token: string, what: string, client?: OAuthClient) {
  const reply = await introspect(ctx, token, {}, client);
  const answer = isJsonObject(reply.json) ? reply.json : undefined;
  if (reply.status !== 200 || answer?.active !== true) {
    ctx.skip(
      `${what} was introspected right after issue as ${describeReply(reply)}, so what happens to it next cannot ` +
        'be observed through introspection (see grants.introspection-active-token)',
    );
  }
}

/** RFC 7009 §2.1: POST `token` (and an optional hint) as the client the token was issued to. */
async function revoke(ctx: CheckContext, token: string, client: OAuthClient, extra: Record<string, string> = {}) {
  const endpoint = await ctx.discovery.endpoint('revocation_endpoint');
  return ctx.oauth.authenticatedPost(endpoint, { token, ...extra }, client);
}

/** A fresh user token of the code flow (its own, since checks here revoke and age tokens). */
function freshTokens(ctx: CheckContext, options: AuthorizeOptions = {}): Promise<IssuedTokens> {
  return ctx.oauth.obtainTokens(options);
}

async function scopesSupported(ctx: CheckContext): Promise<string[]> {
  const { metadata } = await ctx.discovery.authorizationServerMetadata();
  const scopes = metadata.scopes_supported;
  return Array.isArray(scopes) ? scopes.filter((scope): scope is string => typeof scope === 'string') : [];
}

/** MCP 2026-07-28 (Refresh Tokens): clients add offline_access only when the AS lists it; SKIPs otherwise. */
async function offlineScope(ctx: CheckContext): Promise<string> {
  if (!(await scopesSupported(ctx)).includes(OFFLINE_ACCESS)) {
    ctx.skip('the AS does not list offline_access in scopes_supported, so clients do not ask for it');
  }
  return [ctx.target.scopes?.basic, OFFLINE_ACCESS].filter(Boolean).join(' ');
}

function scopeItems(scope: unknown): string[] {
  return typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [];
}

/** A confidential refresh_token client (by DCR) and a refresh token of its own; SKIPs when none is issued. */
async function refreshTokenOfConfidentialClient(ctx: CheckContext): Promise<{ client: OAuthClient; token: string }> {
  const { client, refreshToken } = await refreshableTokens(ctx, { auth: await ctx.oauth.secretMethod() });
  return { client, token: refreshToken };
}

function hasNoStore(reply: HttpReply): boolean {
  return (reply.headers.get('cache-control') ?? '').toLowerCase().includes('no-store');
}

/** The `sub` of an access token: its JWT claim, else what introspection says; undefined when neither tells. */
async function subjectOf(ctx: CheckContext, token: string): Promise<string | undefined> {
  const decoded = decodeAccessToken(token);
  if (typeof decoded?.claims.sub === 'string') return decoded.claims.sub;
  const { metadata } = await ctx.discovery.authorizationServerMetadata();
  if (typeof metadata.introspection_endpoint !== 'string') return undefined;
  const sub = member(await introspect(ctx, token), 'sub');
  return typeof sub === 'string' ? sub : undefined;
}

/** OIDC Core §5.3.1: the access token as a Bearer credential (RFC 6750 §2.1). */
async function userinfo(ctx: CheckContext, token: string): Promise<HttpReply> {
  const endpoint = await ctx.discovery.endpoint('userinfo_endpoint');
  const response = await ctx.fetch(endpoint, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  });
  return readReply(response, endpoint);
}

/**
 * A user token fit for userinfo. An OpenID provider (openid in scopes_supported) gets the request an OIDC client
 * makes: scope openid and no resource, so the token is meant for the provider itself (OIDC Core §5.3) rather than
 * audience-bound to the MCP server. Otherwise the usual user token for the resource.
 */
async function userinfoTokens(ctx: CheckContext): Promise<IssuedTokens> {
  if ((await scopesSupported(ctx)).includes('openid')) return freshTokens(ctx, { scope: 'openid', resource: null });
  const scope = ctx.target.scopes?.basic;
  return freshTokens(ctx, scope ? { scope } : {});
}

// ── Introspection (RFC 7662) ──────────────────────────────────────────────────────────────────────────────────

export const introspectionActiveToken = check({
  id: 'grants.introspection-active-token',
  title: 'A live access token is introspected as "active": true',
  description:
    'RFC 7662 §2.2: the response is a JSON object whose REQUIRED member "active" is a boolean, true for a token ' +
    'that is currently active.',
  requirements: ['R7662-ACTIVE', 'R7662-OPTIONAL-MEMBERS'],
  level: 'MUST',
  needs: INTROSPECTION,
  async run(ctx) {
    const { accessToken, authorization } = await freshTokens(ctx);
    const reply = await introspect(ctx, accessToken);
    expect.status(reply, 200, 'an authenticated introspection request is answered 200 (RFC 7662 §2.2)');
    expect.that(isJsonContentType(reply.headers), `the answer is "${reply.headers.get('content-type')}", not JSON`);
    const active = member(reply, 'active');
    expect.that(
      active === true,
      `"active" is ${JSON.stringify(active)} for a token issued a moment ago; it must be the JSON boolean true ` +
        '(resource servers test it strictly; a string or a missing member reads as inactive or as an error)',
    );
    const clientId = member(reply, 'client_id');
    expect.that(
      clientId === undefined || clientId === authorization.client.client_id,
      `client_id is ${JSON.stringify(clientId)}, but the token was issued to ${authorization.client.client_id}`,
    );
    return `active: true${clientId ? `, client_id ${clientId}` : ''}`;
  },
});

export const introspectionRequiresAuthentication = check({
  id: 'grants.introspection-requires-authentication',
  title: 'Introspection refuses callers that do not authenticate',
  description:
    'RFC 7662 §2.1, §4: the endpoint MUST require some form of authorization, so that tokens cannot be scanned by ' +
    'anyone who can reach it.',
  requirements: ['R7662-AUTHZ'],
  level: 'MUST',
  needs: INTROSPECTION,
  async run(ctx) {
    const { accessToken } = await freshTokens(ctx);
    const endpoint = await ctx.discovery.endpoint('introspection_endpoint');
    const response = await ctx.fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token: accessToken }),
    });
    const status = response.status;
    const text = await response.text();
    expect.that(
      status === 400 || status === 401,
      `an introspection request without any client authentication answered HTTP ${status} ${text.slice(0, 120)}; ` +
        'expected 401 (or 400): an open introspection endpoint tells anyone which tokens are live and whose they are',
    );
    return `refused with HTTP ${status}`;
  },
});

export const introspectionBadCredentials = check({
  id: 'grants.introspection-bad-credentials-401',
  title: 'Introspection with a wrong client secret is 401',
  description:
    'RFC 7662 §2.3: invalid caller credentials are answered 401 (RFC 6749 §5.2); a caller using HTTP Basic gets a ' +
    'WWW-Authenticate challenge.',
  requirements: ['R7662-UNAUTH-401', 'R7662-AUTHZ'],
  level: 'MUST',
  needs: [...INTROSPECTION, 'confidential-client'],
  async run(ctx) {
    const client = await ctx.oauth.confidentialClient();
    const wrong = { ...client, client_secret: `${client.client_secret ?? ''}-wrong` };
    const reply = await introspect(ctx, bogusToken(), {}, wrong);
    expect.status(reply, 401, 'wrong client credentials at the introspection endpoint are 401 (RFC 7662 §2.3)');
    const challenge = reply.headers.get('www-authenticate');
    expect.that(
      client.auth !== 'client_secret_basic' || (challenge ?? '').toLowerCase().startsWith('basic'),
      `the 401 for failed HTTP Basic authentication has WWW-Authenticate ${JSON.stringify(challenge)}; RFC 6749 ` +
        '§5.2 requires a challenge naming the scheme the client used',
    );
    return `HTTP 401${challenge ? ` with WWW-Authenticate: ${challenge}` : ''}`;
  },
});

export const introspectionUnknownToken = check({
  id: 'grants.introspection-unknown-token-inactive',
  title: 'A token the AS never issued is introspected as {"active": false}',
  description:
    'RFC 7662 §2.2: a token that is unknown (or otherwise invalid) is answered {"active": false}, not an error.',
  requirements: ['R7662-INACTIVE', 'R7662-ACTIVE'],
  level: 'MUST',
  needs: INTROSPECTION,
  async run(ctx) {
    const reply = await introspect(ctx, bogusToken());
    expect.status(reply, 200, 'RFC 7662 §2.2 answers unknown tokens with 200 {"active": false}, never an error');
    expect.that(
      member(reply, 'active') === false,
      `a never-issued token was introspected as ${describeReply(reply)}; expected {"active": false}`,
    );
    return 'unknown token: 200 {"active": false}';
  },
});

export const introspectionHintFallback = check({
  id: 'grants.introspection-hint-fallback',
  title: 'A wrong token_type_hint does not hide a live access token',
  description:
    'RFC 7662 §2.1: if the server cannot find the token with the hinted type, it MUST extend its search across all ' +
    'of its supported token types.',
  requirements: ['R7662-HINT-FALLBACK'],
  level: 'MUST',
  needs: INTROSPECTION,
  async run(ctx) {
    const { accessToken } = await freshTokens(ctx);
    await expectActiveBefore(ctx, accessToken, 'the access token');
    const answer = introspectionAnswer(await introspect(ctx, accessToken, { token_type_hint: 'refresh_token' }));
    expect.that(
      answer.active === true,
      `an access token introspected with token_type_hint=refresh_token was answered ${JSON.stringify(answer)}; the ` +
        'hint only orders the search, so a live token must still be found and reported active',
    );
    return 'the access token was found active despite the refresh_token hint';
  },
});

export const introspectionRefreshToken = check({
  id: 'grants.introspection-refresh-token',
  title: 'A client can introspect its own refresh token',
  description:
    'RFC 7662 §2.1: `token` is an access token or a refresh token; the client holding a live refresh token learns ' +
    'that it is active.',
  requirements: ['R7662-POST', 'R7662-ACTIVE'],
  level: 'SHOULD',
  needs: [...INTROSPECTION, 'refresh-token'],
  async run(ctx) {
    const { client, token } = await refreshTokenOfConfidentialClient(ctx);
    const answer = introspectionAnswer(await introspect(ctx, token, { token_type_hint: 'refresh_token' }, client));
    expect.that(
      answer.active === true,
      `client ${client.client_id} introspected its own live refresh token and got ${JSON.stringify(answer)}; ` +
        'support refresh tokens at the introspection endpoint (at least for the client holding them)',
    );
    return 'the holder sees its refresh token active';
  },
});

export const introspectionRevokedToken = check({
  id: 'grants.introspection-revoked-token-inactive',
  title: 'A revoked refresh token is introspected as inactive',
  description:
    'RFC 7662 §4: the AS checks revocation before answering active; RFC 7009 §2.1: a revoked token is invalid ' +
    'immediately. Observed with a refresh token, whose revocation every AS must support.',
  requirements: ['R7662-CHECKS', 'R7009-EFFECT', 'R7662-INACTIVE'],
  level: 'MUST',
  needs: [...REVOCATION, 'refresh-token'],
  async run(ctx) {
    const { client, token } = await refreshTokenOfConfidentialClient(ctx);
    const before = introspectionAnswer(await introspect(ctx, token, {}, client));
    if (before.active !== true) ctx.skip('the AS does not report refresh tokens active to their holder');
    const revocation = await revoke(ctx, token, client, { token_type_hint: 'refresh_token' });
    expect.status(revocation, 200, 'RFC 7009 §2.2 answers a revocation with 200');
    const after = introspectionAnswer(await introspect(ctx, token, {}, client));
    expect.that(
      after.active === false,
      `the refresh token was revoked and is then introspected as ${JSON.stringify(after)}; revocation must take ` +
        'effect at once, or resource servers and clients keep trusting a token the user withdrew',
    );
    return 'active before revocation, inactive right after';
  },
});

// ── Revocation (RFC 7009) ─────────────────────────────────────────────────────────────────────────────────────

export const revocationAccessToken = check({
  id: 'grants.revocation-access-token',
  title: 'Revoking an access token makes it inactive',
  description: 'RFC 7009 §2: the AS SHOULD support revoking access tokens; once revoked, the token is invalid at once.',
  requirements: ['R7009-RT', 'R7009-EFFECT'],
  level: 'SHOULD',
  needs: REVOCATION,
  async run(ctx) {
    const { accessToken, authorization } = await freshTokens(ctx);
    await expectActiveBefore(ctx, accessToken, 'the access token');
    const revocation = await revoke(ctx, accessToken, authorization.client, { token_type_hint: 'access_token' });
    expect.status(revocation, 200, 'RFC 7009 §2.2 answers a revocation with 200');
    const after = introspectionAnswer(await introspect(ctx, accessToken));
    expect.that(
      after.active === false,
      `the access token was revoked by its client (200) and is still introspected as ${JSON.stringify(after)}; ` +
        'support access token revocation so a client signing out ends its access',
    );
    return 'the revoked access token is inactive';
  },
});

export const revocationUnknownToken = check({
  id: 'grants.revocation-unknown-token-200',
  title: 'Revoking a token the AS does not know answers 200',
  description:
    'RFC 7009 §2.2: the AS responds 200 also if the client submitted an invalid token; the purpose (ending the ' +
    'token) is already achieved.',
  requirements: ['R7009-200'],
  level: 'MUST',
  needs: ['authorization-code', 'revocation'],
  async run(ctx) {
    const reply = await revoke(ctx, bogusToken(), await ctx.oauth.publicClient());
    expect.status(reply, 200, 'an unknown token is an invalid token, and RFC 7009 §2.2 answers it with 200');
    return 'unknown token: HTTP 200';
  },
});

export const revocationOtherClient = check({
  id: 'grants.revocation-other-client-refused',
  title: "A client cannot revoke another client's token",
  description:
    'RFC 7009 §2.1: the AS validates that the token was issued to the requesting client, and refuses otherwise.',
  requirements: ['R7009-CLIENT-AUTH'],
  level: 'MUST',
  needs: [...REVOCATION, 'confidential-client'],
  async run(ctx) {
    const { accessToken, authorization } = await freshTokens(ctx);
    await expectActiveBefore(ctx, accessToken, "the public client's access token");
    const other = await ctx.oauth.confidentialClient();
    await revoke(ctx, accessToken, other, { token_type_hint: 'access_token' });
    const after = introspectionAnswer(await introspect(ctx, accessToken));
    expect.that(
      after.active === true,
      `client ${other.client_id} revoked a token issued to ${authorization.client.client_id}, and it became ` +
        `${JSON.stringify(after)}; only the client a token was issued to may revoke it`,
    );
    return "the other client's revocation left the token active";
  },
});

export const revocationHintFallback = check({
  id: 'grants.revocation-hint-fallback',
  title: 'A refresh token revoked with token_type_hint=access_token is revoked all the same',
  description:
    'RFC 7009 §2.1: if the server cannot locate the token with the given hint, it MUST extend its search across ' +
    'all of its supported token types.',
  requirements: ['R7009-POST', 'R7009-RT'],
  level: 'MUST',
  needs: ['authorization-code', 'revocation', 'refresh-token'],
  async run(ctx) {
    const { client, token } = await refreshTokenOfConfidentialClient(ctx);
    const revocation = await revoke(ctx, token, client, { token_type_hint: 'access_token' });
    expect.status(revocation, 200, 'RFC 7009 §2.2 answers a revocation with 200');
    return expect.tokenError(
      await refresh(ctx, client, token),
      ['invalid_grant'],
      'the refresh token was revoked with a wrong hint (access_token) and still refreshed; the hint only orders ' +
        'the search, a revocation must find the token whatever it says',
    );
  },
});

export const revocationRequiresClientAuthentication = check({
  id: 'grants.revocation-requires-client-authentication',
  title: "A confidential client's token cannot be revoked without its secret",
  description:
    'RFC 7009 §2.1: the AS first validates the client credentials of a confidential client; a request with only its ' +
    'client_id is refused and revokes nothing.',
  requirements: ['R7009-CLIENT-AUTH'],
  level: 'MUST',
  needs: [...REVOCATION, 'confidential-client'],
  async run(ctx) {
    const client = await ctx.oauth.confidentialClient();
    const { accessToken } = await freshTokens(ctx, { client });
    await expectActiveBefore(ctx, accessToken, "the confidential client's access token");
    const endpoint = await ctx.discovery.endpoint('revocation_endpoint');
    const reply = await ctx.oauth.authenticatedPost(endpoint, { token: accessToken }, client, 'none');
    const after = introspectionAnswer(await introspect(ctx, accessToken));
    expect.that(
      after.active === true,
      `the token of confidential client ${client.client_id} was revoked by a request carrying only its client_id ` +
        `(${describeReply(reply)}); anyone who knows a client_id could end its sessions`,
    );
    expect.that(
      reply.status === 400 || reply.status === 401,
      `an unauthenticated revocation for a confidential client answered ${describeReply(reply)}; expected 401 ` +
        'invalid_client (RFC 6749 §5.2)',
    );
    return `refused with HTTP ${reply.status}; the token stayed active`;
  },
});

// ── Userinfo (OIDC Core §5.3) ─────────────────────────────────────────────────────────────────────────────────

export const userinfoReturnsUser = check({
  id: 'grants.userinfo-returns-user',
  title: "Userinfo answers the token's user, with sub, never cached",
  description:
    'OIDC Core §5.3.2: the UserInfo response is JSON whose `sub` is the End-User the access token was issued for; ' +
    'it carries personal data, so it is not cached.',
  requirements: ['OIDC-USERINFO'],
  level: 'MUST',
  needs: ['authorization-code', 'userinfo'],
  async run(ctx) {
    const { accessToken } = await userinfoTokens(ctx);
    const reply = await userinfo(ctx, accessToken);
    expect.status(reply, 200, "a valid user access token gets the user's claims (OIDC Core §5.3.2)");
    const sub = member(reply, 'sub');
    expect.that(typeof sub === 'string' && sub !== '', `the userinfo response has no sub: ${describeReply(reply)}`);
    const expected = await subjectOf(ctx, accessToken);
    if (expected === undefined) ctx.skip('the token is opaque and cannot be introspected, so its user is unknown');
    expect.that(
      sub === expected,
      `userinfo answered sub ${JSON.stringify(sub)} for a token issued to ${JSON.stringify(expected)}; a client ` +
        "must never be told another user's identity",
    );
    expect.that(
      hasNoStore(reply),
      `the userinfo response has Cache-Control ${JSON.stringify(reply.headers.get('cache-control'))}; personal ` +
        'data must not be cached (no-store)',
    );
    return `sub ${sub}, the token's user`;
  },
});

export const userinfoRejectsInvalidToken = check({
  id: 'grants.userinfo-rejects-invalid-token',
  title: 'Userinfo refuses a bogus token with 401 and error="invalid_token"',
  description:
    'OIDC Core §5.3.3, RFC 6750 §3.1: an invalid access token is answered 401 with WWW-Authenticate: Bearer ' +
    'error="invalid_token".',
  requirements: ['OIDC-USERINFO', 'OA21-RS-ERROR-CODES'],
  level: 'MUST',
  needs: ['userinfo'],
  async run(ctx) {
    const reply = await userinfo(ctx, bogusToken());
    expect.status(reply, 401, 'a token the AS never issued must not unlock anyone’s profile');
    const challenge = reply.headers.get('www-authenticate') ?? '';
    expect.that(
      /^bearer\b/i.test(challenge) && /error="?invalid_token"?/i.test(challenge),
      `the 401 has WWW-Authenticate ${JSON.stringify(challenge)}; expected Bearer with error="invalid_token" (RFC ` +
        '6750 §3.1), so clients know to get a new token',
    );
    return `HTTP 401, WWW-Authenticate: ${challenge}`;
  },
});

// ── offline_access (MCP 2026-07-28, Refresh Tokens) ───────────────────────────────────────────────────────────

export const offlineAccessAccepted = check({
  id: 'grants.offline-access-accepted',
  title: 'offline_access, listed in scopes_supported, is accepted in the authorization request',
  description:
    'MCP 2026-07-28 (Refresh Tokens): clients MAY add offline_access when the AS lists it in scopes_supported; ' +
    'RFC 8414 §2: the listed scopes are ones the AS supports.',
  requirements: ['AS-OFFLINE-ACCESS', 'CL-RT-OFFLINE-ACCESS', 'R8414-SCOPES'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run(ctx) {
    const scope = await offlineScope(ctx);
    const authorization = await ctx.oauth.authorize({ scope });
    expect.that(
      authorization.code !== undefined,
      `the authorization request with scope "${scope}" was refused (error=${authorization.error ?? 'none'}); the AS ` +
        'lists offline_access, so MCP clients following the spec will send it',
    );
    const reply = await ctx.oauth.redeem(authorization);
    expect.status(reply, 200, `the code issued for "${scope}" must redeem`);
    return `scope "${scope}" was authorized and redeemed`;
  },
});

export const offlineAccessIssuesRefreshToken = check({
  id: 'grants.offline-access-issues-refresh-token',
  title: 'A refresh_token client asking for offline_access gets a refresh token',
  description:
    'MCP 2026-07-28 (Refresh Tokens): a client that wants refresh tokens registers the refresh_token grant and MAY ' +
    'add offline_access when the AS lists it; OIDC Core §11: offline_access requests a refresh token (the AS keeps ' +
    'discretion, so this is a SHOULD).',
  requirements: ['AS-OFFLINE-ACCESS', 'CL-RT-OFFLINE-ACCESS'],
  level: 'SHOULD',
  needs: ['authorization-code', 'dcr'],
  async run(ctx) {
    const scope = await offlineScope(ctx);
    const client = await refreshClient(ctx, 'none');
    const { reply } = await freshTokens(ctx, { scope, client });
    const refreshToken = member(reply, 'refresh_token');
    expect.that(
      typeof refreshToken === 'string' && refreshToken !== '',
      `client ${client.client_id}, registered for [authorization_code, refresh_token], asked for "${scope}" and got ` +
        'no refresh_token; a listed offline_access that brings nothing misleads clients',
    );
    return 'a refresh token came with offline_access';
  },
});

export const offlineAccessNotInAccessToken = check({
  id: 'grants.offline-access-not-in-access-token',
  title: 'offline_access is not a scope of the access token',
  description:
    'RFC 9068 §2.2.3: every scope of an access token is meaningful to its audience; offline_access asks the AS for ' +
    'a refresh token and means nothing to the MCP server (MCP 2026-07-28, Refresh Tokens).',
  requirements: ['R9068-SCOPE', 'AS-OFFLINE-ACCESS'],
  level: 'SHOULD',
  needs: ['authorization-code'],
  async run(ctx) {
    const scope = await offlineScope(ctx);
    const { reply, accessToken } = await freshTokens(ctx, { scope });
    const responseScope = member(reply, 'scope');
    expect.that(
      !scopeItems(responseScope).includes(OFFLINE_ACCESS),
      `the token response scope is "${responseScope}"; leave offline_access out of the access token's scope`,
    );
    const claims = decodeAccessToken(accessToken)?.claims;
    expect.that(
      !scopeItems(claims?.scope).includes(OFFLINE_ACCESS),
      `the access token's scope claim is "${claims?.scope}"; offline_access is no permission at the MCP server`,
    );
    return `access token scope "${claims?.scope ?? responseScope ?? ''}" has no offline_access`;
  },
});

// ── Expiry last: these let time pass for the target ───────────────────────────────────────────────────────────

/** The token's lifetime from the token response, else a day (beyond any sensible access token lifetime). */
function lifetimeSeconds(tokens: IssuedTokens): number {
  return (tokens.expiresIn ?? 24 * 60 * 60) + 1;
}

export const introspectionExpiredToken = check({
  id: 'grants.introspection-expired-token-inactive',
  title: 'An expired access token is introspected as inactive',
  description: 'RFC 7662 §4: the AS checks expiry before answering active: true.',
  requirements: ['R7662-CHECKS', 'R7662-INACTIVE'],
  level: 'MUST',
  needs: INTROSPECTION,
  async run(ctx) {
    const tokens = await freshTokens(ctx);
    await expectActiveBefore(ctx, tokens.accessToken, 'the access token');
    await ctx.passTime(lifetimeSeconds(tokens));
    const after = introspectionAnswer(await introspect(ctx, tokens.accessToken));
    expect.that(
      after.active === false,
      `the access token's lifetime (expires_in ${tokens.expiresIn ?? 'absent'}) has passed and it is introspected as ` +
        `${JSON.stringify(after)}; resource servers relying on introspection would accept it forever`,
    );
    return 'inactive once expired';
  },
});

export const introspectionInactiveNoClaims = check({
  id: 'grants.introspection-inactive-no-claims',
  title: 'An inactive token is answered with nothing but "active": false',
  description: 'RFC 7662 §2.2: for an inactive token the AS SHOULD NOT include any members other than "active".',
  requirements: ['R7662-INACTIVE'],
  level: 'SHOULD',
  needs: INTROSPECTION,
  async run(ctx) {
    const tokens = await freshTokens(ctx);
    await ctx.passTime(lifetimeSeconds(tokens));
    const answer = introspectionAnswer(await introspect(ctx, tokens.accessToken));
    if (answer.active !== false)
      ctx.skip('the expired token is still active (see grants.introspection-expired-token-inactive)');
    const extra = Object.keys(answer).filter((name) => name !== 'active');
    expect.that(
      extra.length === 0,
      `the inactive token's answer also carries ${extra.join(', ')}; say only {"active": false}, so a caller learns ` +
        'nothing about tokens it may not use',
    );
    return 'exactly {"active": false}';
  },
});

/** RFC 7662, RFC 7009, OIDC userinfo and offline_access: what happens to tokens after they are issued. */
export const lifecycleChecks: Check[] = [
  introspectionActiveToken,
  introspectionRequiresAuthentication,
  introspectionBadCredentials,
  introspectionUnknownToken,
  introspectionHintFallback,
  introspectionRefreshToken,
  introspectionRevokedToken,
  revocationAccessToken,
  revocationUnknownToken,
  revocationOtherClient,
  revocationHintFallback,
  revocationRequiresClientAuthentication,
  userinfoReturnsUser,
  userinfoRejectsInvalidToken,
  offlineAccessAccepted,
  offlineAccessIssuesRefreshToken,
  offlineAccessNotInAccessToken,
  introspectionExpiredToken,
  introspectionInactiveNoClaims,
];

export const lifecycleNegatives: Record<string, NegativeCase> = {
  'grants.introspection-active-token': { defect: 'introspection-active-as-string' },
  'grants.introspection-requires-authentication': { defect: 'introspection-unauthenticated' },
  'grants.introspection-bad-credentials-401': { defect: 'introspection-invalid-client-400' },
  'grants.introspection-unknown-token-inactive': { defect: 'introspection-unknown-token-404' },
  'grants.introspection-hint-fallback': { defect: 'introspection-hint-trusted' },
  'grants.introspection-refresh-token': { defect: 'introspection-refresh-tokens-unsupported' },
  'grants.introspection-revoked-token-inactive': { defect: 'introspection-ignores-revocation' },
  'grants.revocation-access-token': { defect: 'revocation-ignores-access-tokens' },
  'grants.revocation-unknown-token-200': { defect: 'revocation-unknown-token-400' },
  'grants.revocation-other-client-refused': { defect: 'revocation-other-client' },
  'grants.revocation-hint-fallback': { defect: 'revocation-hint-trusted' },
  'grants.revocation-requires-client-authentication': { defect: 'revocation-unauthenticated' },
  'grants.userinfo-returns-user': { defect: 'userinfo-wrong-user' },
  'grants.userinfo-rejects-invalid-token': { defect: 'userinfo-accepts-invalid-tokens' },
  'grants.offline-access-accepted': { defect: 'offline-access-refused' },
  'grants.offline-access-issues-refresh-token': { defect: 'offline-access-ignored' },
  'grants.offline-access-not-in-access-token': { defect: 'offline-access-in-access-token' },
  'grants.introspection-expired-token-inactive': { defect: 'introspection-ignores-expiry' },
  'grants.introspection-inactive-no-claims': { defect: 'introspection-inactive-leaks-claims' },
};
