/**
 * OpenID CIBA Core 1.0, poll mode, with approval by an emailed link (seed 004: email is the delivery method; the link
 * expires, by default after 3 minutes). The harness plays the client (the declared `clients.ciba`) and, through the
 * inbox the target exposes (`ciba.mailbox`), the user who approves or denies (harness/ciba.ts). Polls respect the
 * interval: `ctx.passTime` in memory, real waiting against real targets.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import { BlockedError, type Check, check } from '../../harness/check.ts';
import { type CibaUser, cibaUser, type InboxMark } from '../../harness/ciba.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply, type HttpReply, isJsonContentType, isJsonObject, member } from '../../harness/http.ts';
import { audiences, decodeAccessToken } from '../../harness/jwt.ts';
import type { OAuthClient } from '../../harness/oauth.ts';
import type { NegativeCase } from '../suite.ts';

const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';
const NEEDS = ['ciba'] as const;
const APPROVAL_NEEDS = ['ciba-approval'] as const;
/** §7.3: the client's default interval when the AS names none. */
const DEFAULT_INTERVAL_SECONDS = 5;
/** Seed 004: the approval link's default lifetime is 3 minutes. */
const DEFAULT_LINK_EXPIRY_SECONDS = 180;
/** Longer waits than this between polls go through ctx.passTime (which may SKIP against real targets). */
const LONGEST_REAL_PAUSE_SECONDS = 30;

// ── The client side: backchannel requests and polls ──────────────────────────────────────────────────────────

interface StartedRequest {
  authReqId: string;
  expiresIn: number;
  /** The interval in force (§7.3), grown by slow_down answers. */
  interval: number;
  client: OAuthClient;
}

/** A correct backchannel request for the target's user, resource and basic scope; `null` leaves a parameter out. */
function requestParams(ctx: CheckContext, overrides: Record<string, string | null>) {
  return {
    scope: ['openid', ctx.target.scopes?.basic].filter(Boolean).join(' '),
    login_hint: ctx.target.ciba?.loginHint,
    resource: ctx.target.resource,
    ...overrides,
  };
}

async function backchannelRequest(
  ctx: CheckContext,
  overrides: Record<string, string | null> = {},
  client?: OAuthClient,
): Promise<HttpReply> {
  const endpoint = await ctx.discovery.endpoint('backchannel_authentication_endpoint');
  const requester = client ?? (await ctx.oauth.machineClient('ciba'));
  return ctx.oauth.authenticatedPost(endpoint, requestParams(ctx, overrides), requester);
}

/** §7.3: a started request; anything else blocks the check (starting one is its prerequisite). */
async function startRequest(ctx: CheckContext, overrides: Record<string, string | null> = {}): Promise<StartedRequest> {
  const client = await ctx.oauth.machineClient('ciba');
  const reply = await backchannelRequest(ctx, overrides, client);
  const authReqId = member(reply, 'auth_req_id');
  const expiresIn = member(reply, 'expires_in');
  const interval = member(reply, 'interval');
  if (reply.status !== 200 || typeof authReqId !== 'string' || typeof expiresIn !== 'number') {
    throw new BlockedError('backchannel authentication request', `it answered ${describeReply(reply)}`);
  }
  return {
    authReqId,
    expiresIn,
    interval: typeof interval === 'number' && interval > 0 ? interval : DEFAULT_INTERVAL_SECONDS,
    client,
  };
}

/** Lets `seconds` pass: the harness's clock in memory, real waiting for short pauses against real targets. */
async function pause(ctx: CheckContext, seconds: number): Promise<void> {
  if (ctx.clock || seconds > LONGEST_REAL_PAUSE_SECONDS) return ctx.passTime(seconds);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}

/** §10.1: the token request of poll mode. */
function poll(ctx: CheckContext, request: StartedRequest, client = request.client): Promise<HttpReply> {
  return ctx.oauth.tokenRequest({ grant_type: CIBA_GRANT, auth_req_id: request.authReqId }, client);
}

/** CIBA-POLL-INTERVAL: waits the interval, then polls. */
async function politePoll(ctx: CheckContext, request: StartedRequest, client?: OAuthClient): Promise<HttpReply> {
  await pause(ctx, request.interval);
  return poll(ctx, request, client);
}

/** §13: an error of the backchannel endpoint is JSON, 400 (401 invalid_client, 403 access_denied). */
function expectBackchannelError(reply: HttpReply, errors: readonly string[], why: string): string {
  const error = member(reply, 'error');
  expect.that(
    !(reply.status === 200 && member(reply, 'auth_req_id') !== undefined),
    `the backchannel endpoint accepted the request (auth_req_id issued); expected error ${errors.join(' or ')}. ${why}`,
  );
  expect.that(
    typeof error === 'string',
    `expected a JSON error body {"error": "${errors.join('|')}"}, got ${describeReply(reply)}. ${why}`,
  );
  expect.that(
    errors.includes(error),
    `the backchannel endpoint answered error=${error}; expected ${errors.join(' or ')}. ${why}`,
  );
  const allowed = error === 'invalid_client' ? [400, 401] : error === 'access_denied' ? [403] : [400];
  expect.that(
    allowed.includes(reply.status),
    `error=${error} came with HTTP ${reply.status}; CIBA Core §13 answers it with ${allowed.join(' or ')}`,
  );
  expect.that(isJsonContentType(reply.headers), `error=${error} was not sent as application/json`);
  return `refused with HTTP ${reply.status} error=${error}`;
}

function pollErrorIs(reply: HttpReply, error: string): boolean {
  return reply.status === 400 && member(reply, 'error') === error;
}

function describePoll(reply: HttpReply): string {
  return member(reply, 'access_token') === undefined ? describeReply(reply) : `tokens (HTTP ${reply.status})`;
}

/** Another client the target declares (m2m, else the confidential one), to present this client's auth_req_id. */
async function anotherClient(ctx: CheckContext, cibaClientId: string): Promise<OAuthClient> {
  const declared = [ctx.target.clients.m2m, ctx.target.clients.confidential].find(
    (candidate) => candidate && candidate.client_id !== cibaClientId,
  );
  if (declared === ctx.target.clients.m2m && declared) return ctx.oauth.machineClient('m2m');
  if (declared) return ctx.oauth.confidentialClient();
  return ctx.skip('the target declares no second confidential client ("clients.m2m" or "clients.confidential")');
}

// ── The user side: the approval mail ─────────────────────────────────────────────────────────────────────────

interface MailedRequest {
  user: CibaUser;
  mark: InboxMark;
  request: StartedRequest;
}

/** Starts a request, knowing where in the inbox its mail will appear. */
async function startMailedRequest(ctx: CheckContext, overrides: Record<string, string | null> = {}) {
  const user = cibaUser(ctx);
  const mark = await user.mark();
  const request = await startRequest(ctx, overrides);
  return { user, mark, request } satisfies MailedRequest;
}

/** The user opens the mail's link and decides; a refused decision blocks the check (it is its prerequisite). */
async function decide(mailed: MailedRequest, decision: 'approve' | 'deny'): Promise<void> {
  const reply = await mailed.user.answer(mailed.mark, decision);
  if (reply.status >= 400) {
    throw new BlockedError(`the user's ${decision}`, `the approval form answered ${describeReply(reply)}`);
  }
}

/** A request the user approved, polled once: the token reply. */
async function approvedTokenReply(ctx: CheckContext) {
  const mailed = await startMailedRequest(ctx);
  await decide(mailed, 'approve');
  return { mailed, reply: await politePoll(ctx, mailed.request) };
}

function issuedTokens(reply: HttpReply, what: string): Record<string, unknown> {
  expect.that(
    reply.status === 200 && typeof member(reply, 'access_token') === 'string' && isJsonObject(reply.json),
    `${what} answered ${describeReply(reply)}; once the user approved, the poll gets a token response (CIBA Core §10.1.1)`,
  );
  return reply.json;
}

// ── Checks: metadata and the backchannel request ──────────────────────────────────────────────────────────────

export const cibaMetadata = check({
  id: 'grants.ciba-metadata',
  title: 'The AS metadata describes its CIBA endpoint, the poll delivery mode and the CIBA grant',
  description:
    'CIBA Core §4: backchannel_authentication_endpoint and backchannel_token_delivery_modes_supported are REQUIRED; ' +
    'grant_types_supported lists urn:openid:params:grant-type:ciba.',
  requirements: ['CIBA-META'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const { metadata } = await ctx.discovery.authorizationServerMetadata();
    const modes = metadata.backchannel_token_delivery_modes_supported;
    expect.that(
      Array.isArray(modes) && modes.length > 0,
      `backchannel_token_delivery_modes_supported is ${JSON.stringify(modes)}; it is REQUIRED with a backchannel ` +
        'endpoint, so clients learn whether to poll or be notified',
    );
    if (!modes.includes('poll')) ctx.skip(`the AS offers ${modes.join(', ')} but not poll mode`);
    const grants = metadata.grant_types_supported;
    expect.that(
      !Array.isArray(grants) || grants.includes(CIBA_GRANT),
      `grant_types_supported (${JSON.stringify(grants)}) lacks ${CIBA_GRANT} although a backchannel endpoint is advertised`,
    );
    return `backchannel endpoint advertised; delivery modes ${modes.join(', ')}`;
  },
});

export const cibaRequestResponse = check({
  id: 'grants.ciba-request-response',
  title: 'A backchannel request is answered with an unguessable auth_req_id, expires_in and interval',
  description:
    'CIBA Core §7.3: 200 JSON with auth_req_id (at least 128 bits of entropy, characters [A-Za-z0-9._-]), expires_in ' +
    '(a positive integer) and optionally interval.',
  requirements: ['CIBA-RESP', 'CIBA-REQ-AUTH'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const reply = await backchannelRequest(ctx);
    const authReqId = member(reply, 'auth_req_id');
    expect.that(
      reply.status === 200 && typeof authReqId === 'string' && isJsonContentType(reply.headers),
      `the backchannel request answered ${describeReply(reply)}; expected 200 JSON with auth_req_id`,
    );
    // 128 bits in an alphabet of 64 characters take at least 22 of them.
    expect.that(
      /^[A-Za-z0-9._-]{22,}$/.test(authReqId),
      `auth_req_id "${authReqId}" is too short or uses other characters; it must carry at least 128 bits of ` +
        'entropy in [A-Za-z0-9._-] (22 characters at the very least), or other requests can be guessed and polled',
    );
    const expiresIn = member(reply, 'expires_in');
    expect.that(
      Number.isInteger(expiresIn) && Number(expiresIn) > 0,
      `expires_in is ${JSON.stringify(expiresIn)}; a positive integer of seconds is REQUIRED`,
    );
    const interval = member(reply, 'interval');
    expect.that(
      interval === undefined || (Number.isInteger(interval) && Number(interval) > 0),
      `interval is ${JSON.stringify(interval)}; when present it is a positive integer of seconds`,
    );
    return `auth_req_id of ${authReqId.length} characters, expires_in ${expiresIn}, interval ${interval ?? '(default 5)'}`;
  },
});

export const cibaRequiresClientAuth = check({
  id: 'grants.ciba-request-requires-client-auth',
  title: 'A backchannel request without client authentication is refused',
  description:
    'CIBA Core §7.1: the client authenticates to the backchannel endpoint as at the token endpoint; CIBA is for ' +
    'confidential clients. §13: invalid_client.',
  requirements: ['CIBA-REQ-AUTH', 'CIBA-AUTH-ERRORS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const client = await ctx.oauth.machineClient('ciba');
    const reply = await backchannelRequest(ctx, {}, { ...client, auth: 'none' });
    return expectBackchannelError(
      reply,
      ['invalid_client', 'unauthorized_client', 'invalid_request'],
      `only client_id ${client.client_id} was sent; without authentication anyone knowing a client_id could push ` +
        'approval requests to users in its name',
    );
  },
});

export const cibaRequiresOpenid = check({
  id: 'grants.ciba-request-requires-openid',
  title: 'A backchannel request whose scope lacks openid is refused',
  description: 'CIBA Core §7.1: scope is REQUIRED and MUST include openid (CIBA is an OpenID authentication).',
  requirements: ['CIBA-REQ-SCOPE', 'CIBA-AUTH-ERRORS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const scope = ctx.target.scopes?.basic ?? 'profile';
    const reply = await backchannelRequest(ctx, { scope });
    return expectBackchannelError(
      reply,
      ['invalid_scope', 'invalid_request'],
      `scope was "${scope}" without openid; the request is an authentication of the user and must say so`,
    );
  },
});

export const cibaOneHint = check({
  id: 'grants.ciba-request-one-hint',
  title: 'A backchannel request with several hints, or none, is refused with invalid_request',
  description: 'CIBA Core §7.1: exactly one of login_hint_token, id_token_hint and login_hint; §13 invalid_request.',
  requirements: ['CIBA-REQ-HINT', 'CIBA-AUTH-ERRORS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const several = await backchannelRequest(ctx, { login_hint_token: 'conformance-hint-token' });
    expectBackchannelError(
      several,
      ['invalid_request'],
      'login_hint and login_hint_token were both sent; with two hints it is unclear whom to ask, and the AS could ' +
        'ask the wrong user',
    );
    const none = await backchannelRequest(ctx, { login_hint: null });
    expectBackchannelError(none, ['invalid_request'], 'no hint was sent; the request names no user');
    return 'two hints and no hint both refused with invalid_request';
  },
});

export const cibaUnknownUser = check({
  id: 'grants.ciba-request-unknown-user',
  title: 'A login_hint naming no user is refused with unknown_user_id',
  description:
    'CIBA Core §13: unknown_user_id when the OP cannot identify the end-user from the hint, so the client learns at ' +
    'once instead of polling a request nobody can approve.',
  requirements: ['CIBA-AUTH-ERRORS', 'CIBA-REQ-HINT'],
  level: 'SHOULD',
  needs: NEEDS,
  async run(ctx) {
    const hint = `nobody-${crypto.randomUUID()}@conformance.invalid`;
    return expectBackchannelError(
      await backchannelRequest(ctx, { login_hint: hint }),
      ['unknown_user_id'],
      `login_hint "${hint}" names no user; accepting it leaves the client polling a request no one can approve`,
    );
  },
});

export const cibaBindingMessageValidated = check({
  id: 'grants.ciba-binding-message-validated',
  title: 'A binding_message with markup, control characters and hundreds of characters is refused',
  description:
    'CIBA Core §7.1: binding_message is relatively short plain text shown on both devices; §13: ' +
    'invalid_binding_message when it is unacceptable.',
  requirements: ['CIBA-REQ-OPTIONAL', 'CIBA-AUTH-ERRORS'],
  level: 'SHOULD',
  needs: NEEDS,
  async run(ctx) {
    const message = `\u0007<a href="https://phish.invalid">Approve now</a>${'!'.repeat(300)}`;
    return expectBackchannelError(
      await backchannelRequest(ctx, { binding_message: message }),
      ['invalid_binding_message', 'invalid_request'],
      'the binding_message carried a control character, a link in markup and 300 more characters; the user is ' +
        'shown it as coming from the AS, so a client could phish with it',
    );
  },
});

// ── Checks: polling ──────────────────────────────────────────────────────────────────────────────────────────

export const cibaPending = check({
  id: 'grants.ciba-pending',
  title: 'Polling before the user approved answers authorization_pending, never tokens',
  description: 'CIBA Core §11: authorization_pending while the user has not acted yet.',
  requirements: ['CIBA-POLL-ERRORS', 'CIBA-TOKEN-REQ'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const request = await startRequest(ctx);
    const reply = await politePoll(ctx, request);
    return expect.tokenError(
      reply,
      ['authorization_pending'],
      'nobody approved the request yet; tokens now would mean the user is never asked',
    );
  },
});

export const cibaSlowDown = check({
  id: 'grants.ciba-slow-down',
  title: 'A poll sooner than the interval is answered slow_down',
  description:
    'CIBA Core §7.3 and §11: the client waits the interval between polls; one that polls faster is told slow_down.',
  requirements: ['CIBA-POLL-ERRORS', 'CIBA-POLL-INTERVAL'],
  level: 'SHOULD',
  needs: NEEDS,
  async run(ctx) {
    const request = await startRequest(ctx);
    await politePoll(ctx, request);
    const hasty = await poll(ctx, request);
    return expect.tokenError(
      hasty,
      ['slow_down'],
      `the second poll came at once, well inside the ${request.interval} s interval; without slow_down a client ` +
        'can hammer the token endpoint',
    );
  },
});

export const cibaSlowDownGrowsInterval = check({
  id: 'grants.ciba-slow-down-interval',
  title: 'After slow_down the interval is 5 s longer: a poll at the old interval is still too fast',
  description:
    'CIBA Core §11 slow_down: the interval MUST be increased by at least 5 seconds for this and all subsequent ' +
    'requests.',
  requirements: ['CIBA-POLL-ERRORS', 'CIBA-POLL-INTERVAL'],
  level: 'SHOULD',
  needs: NEEDS,
  async run(ctx) {
    const request = await startRequest(ctx);
    await politePoll(ctx, request);
    if (!pollErrorIs(await poll(ctx, request), 'slow_down')) {
      ctx.skip('the AS does not answer slow_down to a poll inside the interval');
    }
    const atOldInterval = await politePoll(ctx, request);
    return expect.tokenError(
      atOldInterval,
      ['slow_down'],
      `after slow_down the client waited only the old ${request.interval} s; the interval is now at least ` +
        `${request.interval + 5} s, so this poll is still too fast`,
    );
  },
});

export const cibaUnknownAuthReqId = check({
  id: 'grants.ciba-unknown-auth-req-id',
  title: 'Polling with an auth_req_id the AS never issued is invalid_grant',
  description: 'CIBA Core §11: invalid_grant when the auth_req_id is invalid.',
  requirements: ['CIBA-POLL-ERRORS', 'CIBA-TOKEN-REQ'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const client = await ctx.oauth.machineClient('ciba');
    const made = { authReqId: `conformance-${crypto.randomUUID()}`, expiresIn: 60, interval: 5, client };
    return expect.tokenError(
      await poll(ctx, made),
      ['invalid_grant'],
      'the auth_req_id was made up; answering anything else leaves a client polling for a request that does not exist',
    );
  },
});

export const cibaAuthReqIdBoundToClient = check({
  id: 'grants.ciba-auth-req-id-bound-to-client',
  title: "Another client cannot poll with this client's auth_req_id",
  description: 'CIBA Core §10.1: the OP checks that the auth_req_id was issued to the authenticated client.',
  requirements: ['CIBA-TOKEN-REQ', 'CIBA-POLL-ERRORS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const request = await startRequest(ctx);
    const other = await anotherClient(ctx, request.client.client_id);
    const reply = await politePoll(ctx, request, other);
    return expect.tokenError(
      reply,
      ['invalid_grant', 'unauthorized_client'],
      `client ${other.client_id} presented an auth_req_id issued to ${request.client.client_id}. A leaked ` +
        "auth_req_id must not let another client collect the user's tokens, and the refusal names why: invalid_grant " +
        '(issued to another client, CIBA Core §11) or unauthorized_client (a grant type the client may not use, ' +
        'RFC 6749 §5.2)',
    );
  },
});

export const cibaRequestExpiry = check({
  id: 'grants.ciba-request-expiry',
  title: 'After expires_in the request is over: expired_token',
  description: 'CIBA Core §7.3 expires_in and §11: expired_token once the auth_req_id has expired.',
  requirements: ['CIBA-POLL-ERRORS', 'CIBA-RESP'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const request = await startRequest(ctx, { requested_expiry: '60' });
    await ctx.passTime(request.expiresIn + 1);
    const reply = await poll(ctx, request);
    return expect.tokenError(
      reply,
      ['expired_token'],
      `the request was started ${request.expiresIn + 1} s ago with expires_in ${request.expiresIn}; a request that ` +
        'never ends can be approved by a user long after the client stopped waiting',
    );
  },
});

// ── Checks: the user's decision through the emailed link ─────────────────────────────────────────────────────

export const cibaApprovalTokens = check({
  id: 'grants.ciba-approval-tokens',
  title: 'Once the user approves through the emailed link, the poll gets a Bearer token for the resource',
  description:
    'CIBA Core §10.1.1: a normal token response (access_token, token_type, expires_in); RFC 8707: the access token ' +
    'is audience-bound to the requested resource, and the MCP server accepts it.',
  requirements: ['CIBA-TOKEN-RESP', 'CIBA-TOKEN-REQ', 'AS-AUD-BINDING'],
  level: 'MUST',
  needs: APPROVAL_NEEDS,
  async run(ctx) {
    const { reply } = await approvedTokenReply(ctx);
    const tokens = issuedTokens(reply, 'the poll after approval');
    expect.that(
      String(tokens.token_type).toLowerCase() === 'bearer',
      `token_type is ${JSON.stringify(tokens.token_type)}; expected Bearer`,
    );
    const accessToken = String(tokens.access_token);
    const jwt = decodeAccessToken(accessToken);
    if (jwt) {
      expect.that(
        ctx.target.resource !== undefined && audiences(jwt.claims).includes(ctx.target.resource),
        `the access token's aud is ${JSON.stringify(jwt.claims.aud)}; expected the requested resource ` +
          `${ctx.target.resource}, or it can be replayed at every server that trusts this AS`,
      );
    }
    const mcp = await ctx.mcp.post({ token: accessToken });
    expect.that(mcp.status === 200, `the MCP server refused the CIBA access token: ${describeReply(mcp)}`);
    return `Bearer token${jwt ? ` for ${JSON.stringify(jwt.claims.aud)}` : ''} accepted by the MCP server`;
  },
});

export const cibaIdToken = check({
  id: 'grants.ciba-id-token',
  title: 'The CIBA token response carries a signed ID token about the user, for the client',
  description:
    'CIBA Core §10.1.1 with OIDC Core §2: an id_token signed by the OP (its jwks_uri), with iss = the issuer, sub, ' +
    'aud containing the client_id, exp and iat.',
  requirements: ['CIBA-TOKEN-RESP'],
  level: 'MUST',
  needs: APPROVAL_NEEDS,
  async run(ctx) {
    const { reply, mailed } = await approvedTokenReply(ctx);
    const idToken = issuedTokens(reply, 'the poll after approval').id_token;
    expect.that(
      typeof idToken === 'string',
      'the token response has no id_token; CIBA is an OpenID authentication (scope openid), and the ID token is ' +
        'how the client learns who approved',
    );
    const { metadata } = await ctx.discovery.authorizationServerMetadata();
    const jwksUri = await ctx.discovery.endpoint('jwks_uri');
    const jwks = await (await ctx.fetch(jwksUri, { headers: { accept: 'application/json' } })).json();
    const clientId = mailed.request.client.client_id;
    try {
      const { payload } = await jwtVerify(idToken, createLocalJWKSet(jwks), {
        issuer: String(metadata.issuer),
        audience: clientId,
        currentDate: new Date(ctx.clock?.now() ?? Date.now()),
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      return `ID token for ${clientId} about ${payload.sub}, signed with a published key`;
    } catch (error) {
      return expect.fail(
        `the ID token does not verify: ${(error as Error).message}. It must be signed with a key of ${jwksUri} and ` +
          `carry iss ${metadata.issuer}, aud ${clientId}, sub, exp and iat (OIDC Core §2)`,
      );
    }
  },
});

export const cibaDenied = check({
  id: 'grants.ciba-denied',
  title: 'Once the user denies through the emailed link, the poll answers access_denied',
  description: 'CIBA Core §11: access_denied when the end-user denied the authorization request.',
  requirements: ['CIBA-POLL-ERRORS'],
  level: 'MUST',
  needs: APPROVAL_NEEDS,
  async run(ctx) {
    const mailed = await startMailedRequest(ctx);
    await decide(mailed, 'deny');
    return expect.tokenError(
      await politePoll(ctx, mailed.request),
      ['access_denied'],
      'the user pressed Deny; tokens now would override their decision',
    );
  },
});

export const cibaLinkExpiry = check({
  id: 'grants.ciba-link-expiry',
  title: 'The emailed approval link stops working after 3 minutes, and the request stays unapproved',
  description:
    'Seed 004: "Custom link expiration: how long the approval link remains valid (default 3 minutes)". After it, ' +
    'opening and submitting the link approves nothing; the poll is still authorization_pending (or expired_token).',
  requirements: ['CIBA-EMAIL-LINK-EXPIRY', 'CIBA-POLL-ERRORS'],
  level: 'MUST',
  needs: APPROVAL_NEEDS,
  async run(ctx) {
    const mailed = await startMailedRequest(ctx);
    const mail = await mailed.user.mailSince(mailed.mark);
    await ctx.passTime(DEFAULT_LINK_EXPIRY_SECONDS + 1);
    const page = await mailed.user.open(mail);
    const submitted = page.forms?.approve ? await mailed.user.submit(page, 'approve') : undefined;
    const after = await politePoll(ctx, mailed.request);
    expect.that(
      pollErrorIs(after, 'authorization_pending') || pollErrorIs(after, 'expired_token'),
      `approving through the link ${DEFAULT_LINK_EXPIRY_SECONDS + 1} s after it was mailed led to ` +
        `${describePoll(after)}; an expired link must approve nothing, or a mail read days later still grants access`,
    );
    if (!submitted)
      return `the expired link offers no approval (HTTP ${page.reply.status}); the request stayed unapproved`;
    expect.that(
      submitted.status >= 400,
      `the expired link's form accepted the approval (${describeReply(submitted)}); it should be refused so the ` +
        'user learns the link is dead',
    );
    return `the expired link's approval was refused (HTTP ${submitted.status}); the request stayed unapproved`;
  },
});

export const cibaAuthReqIdSingleUse = check({
  id: 'grants.ciba-auth-req-id-single-use',
  title: 'An auth_req_id that already got tokens cannot get them again',
  description:
    'CIBA Core §10.1.1: one token response per authentication request; a second poll with the spent auth_req_id ' +
    'is invalid_grant (or expired_token).',
  requirements: ['CIBA-TOKEN-RESP', 'CIBA-POLL-ERRORS'],
  level: 'MUST',
  needs: APPROVAL_NEEDS,
  async run(ctx) {
    const { reply, mailed } = await approvedTokenReply(ctx);
    issuedTokens(reply, 'the first poll after approval');
    return expect.tokenError(
      await politePoll(ctx, mailed.request),
      ['invalid_grant', 'expired_token'],
      'the auth_req_id was already redeemed; whoever captures it could otherwise mint fresh tokens for the user',
    );
  },
});

export const cibaLinkSingleUse = check({
  id: 'grants.ciba-link-single-use',
  title: 'The approval link decides once: after Deny, the same link cannot approve',
  description:
    'Seed 004 approval links: the decision ends the link, so a link forwarded or found later cannot overturn it; ' +
    'CIBA Core §11: the denied request keeps answering access_denied.',
  requirements: ['CIBA-POLL-ERRORS'],
  level: 'SHOULD',
  needs: APPROVAL_NEEDS,
  async run(ctx) {
    const mailed = await startMailedRequest(ctx);
    await decide(mailed, 'deny');
    const mail = await mailed.user.mailSince(mailed.mark);
    const again = await mailed.user.open(mail);
    const second = again.forms?.approve ? await mailed.user.submit(again, 'approve') : undefined;
    const after = await politePoll(ctx, mailed.request);
    expect.that(
      pollErrorIs(after, 'access_denied'),
      `after Deny, the same link was used to approve (${second ? `HTTP ${second.status}` : 'no form'}) and the poll ` +
        `got ${describePoll(after)}; the user's refusal must stand`,
    );
    return second
      ? `the second use was refused (HTTP ${second.status}); the request stayed denied`
      : `the used link offers no form (HTTP ${again.reply.status}); the request stayed denied`;
  },
});

export const cibaLinkGetIsSafe = check({
  id: 'grants.ciba-link-get-safe',
  title: 'Opening the approval link does not approve: only the submitted decision does',
  description:
    'Mail scanners and link previews fetch links in mails; a GET of the approval link must not decide, so the ' +
    'request stays authorization_pending (CIBA Core §11) until the user presses Approve.',
  requirements: ['CIBA-POLL-ERRORS'],
  level: 'SHOULD',
  needs: APPROVAL_NEEDS,
  async run(ctx) {
    const mailed = await startMailedRequest(ctx);
    const page = await mailed.user.open(await mailed.user.mailSince(mailed.mark));
    return expect.tokenError(
      await politePoll(ctx, mailed.request),
      ['authorization_pending'],
      `the link was only opened (HTTP ${page.reply.status}), no button pressed; a mail scanner following links ` +
        'would otherwise approve on the user’s behalf',
    );
  },
});

export const cibaBindingMessageShown = check({
  id: 'grants.ciba-binding-message-shown',
  title: 'The approval page shows the binding message the client sent',
  description:
    'CIBA Core §7.1: binding_message is displayed on both devices, so the user can tell this request from a ' +
    "phisher's.",
  requirements: ['CIBA-REQ-OPTIONAL'],
  level: 'SHOULD',
  needs: APPROVAL_NEEDS,
  async run(ctx) {
    const code = `MCP-${Math.floor(1000 + Math.random() * 9000)}`;
    const mailed = await startMailedRequest(ctx, { binding_message: code });
    const page = await mailed.user.open(await mailed.user.mailSince(mailed.mark));
    expect.that(
      page.reply.text.includes(code),
      `the approval page (HTTP ${page.reply.status}) does not show the binding_message "${code}"; without it the ` +
        'user cannot match the request to the device that made it',
    );
    return `the approval page shows "${code}"`;
  },
});

export const cibaChecks: Check[] = [
  cibaMetadata,
  cibaRequestResponse,
  cibaRequiresClientAuth,
  cibaRequiresOpenid,
  cibaOneHint,
  cibaUnknownUser,
  cibaBindingMessageValidated,
  cibaPending,
  cibaSlowDown,
  cibaSlowDownGrowsInterval,
  cibaUnknownAuthReqId,
  cibaAuthReqIdBoundToClient,
  cibaRequestExpiry,
  cibaApprovalTokens,
  cibaIdToken,
  cibaDenied,
  cibaLinkExpiry,
  cibaAuthReqIdSingleUse,
  cibaLinkSingleUse,
  cibaLinkGetIsSafe,
  cibaBindingMessageShown,
];

export const cibaNegatives: Record<string, NegativeCase> = {
  'grants.ciba-metadata': { defect: 'ciba-metadata-incomplete' },
  'grants.ciba-request-response': { defect: 'ciba-auth-req-id-guessable' },
  'grants.ciba-request-requires-client-auth': { defect: 'ciba-request-unauthenticated' },
  'grants.ciba-request-requires-openid': { defect: 'ciba-openid-not-required' },
  'grants.ciba-request-one-hint': { defect: 'ciba-several-hints-accepted' },
  'grants.ciba-request-unknown-user': { defect: 'ciba-unknown-user-accepted' },
  'grants.ciba-binding-message-validated': { defect: 'ciba-binding-message-unchecked' },
  'grants.ciba-pending': { defect: 'ciba-tokens-before-approval' },
  'grants.ciba-slow-down': { defect: 'ciba-slow-down-never-sent' },
  'grants.ciba-slow-down-interval': { defect: 'ciba-interval-not-increased' },
  'grants.ciba-unknown-auth-req-id': { defect: 'ciba-unknown-auth-req-id-pending' },
  'grants.ciba-auth-req-id-bound-to-client': { defect: 'ciba-auth-req-id-not-bound-to-client' },
  'grants.ciba-request-expiry': { defect: 'ciba-request-never-expires' },
  'grants.ciba-approval-tokens': { defect: 'audience-not-bound' },
  'grants.ciba-id-token': { defect: 'ciba-no-id-token' },
  'grants.ciba-denied': { defect: 'ciba-denied-issues-tokens' },
  'grants.ciba-link-expiry': { defect: 'ciba-link-never-expires' },
  'grants.ciba-auth-req-id-single-use': { defect: 'ciba-auth-req-id-reusable' },
  'grants.ciba-link-single-use': { defect: 'ciba-approval-link-reusable' },
  'grants.ciba-link-get-safe': { defect: 'ciba-link-get-approves' },
  'grants.ciba-binding-message-shown': { defect: 'ciba-binding-message-hidden' },
};
