/**
 * RFC 8693 token exchange, on behalf of a user (seed 003): the target's exchange client plays the delegating service
 * that received the user's access token and trades it for one aimed at another resource. Checked: delegation (`act`
 * names the actor, earlier actors nested), actor tokens and their types, may_act, targeting (audience binding,
 * invalid_target, no way back upstream), scope never widened, the response (issued_token_type, no-store), client
 * authentication, and the MCP server's own exchange on the way to its downstream API.
 */
import type { JWTPayload } from 'jose';
import { BlockedError, type Check, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply, type HttpReply, member } from '../../harness/http.ts';
import { audiences, decodeAccessToken } from '../../harness/jwt.ts';
import { toolName } from '../../harness/mcp.ts';
import type { OAuthClient } from '../../harness/oauth.ts';
import type { NegativeCase } from '../suite.ts';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const NEEDS = ['resource', 'authorization-code', 'token-exchange'] as const;
/** Checks that also present an actor token: the m2m client's client_credentials token stands for the acting service. */
const ACTOR_NEEDS = [...NEEDS, 'client-credentials'] as const;

type Params = Record<string, string | null | undefined>;

// ── How the checks talk to the token endpoint ─────────────────────────────────────────────────────────────────

/** Where the exchanged token should go: the alternate resource, else the downstream API, else the MCP server. */
function exchangeTarget(ctx: CheckContext): string {
  const target = ctx.target.alternateResource ?? ctx.target.downstream?.url ?? ctx.target.resource;
  if (!target) return ctx.skip('the target declares no resource to exchange a token for');
  return target;
}

/** A second hop's target: the other declared resource when there is one, else the first target again. */
function secondTarget(ctx: CheckContext, first: string): string {
  const candidates = [ctx.target.alternateResource, ctx.target.downstream?.url].filter(
    (value): value is string => value !== undefined && value !== first,
  );
  return candidates[0] ?? first;
}

/** A correct exchange request (§2.1) of `subjectToken` for the first target; `null` leaves a parameter out. */
function exchangeParams(ctx: CheckContext, subjectToken: string, overrides: Params = {}): Params {
  return {
    grant_type: TOKEN_EXCHANGE,
    subject_token: subjectToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    resource: exchangeTarget(ctx),
    ...overrides,
  };
}

async function exchange(ctx: CheckContext, subjectToken: string, overrides: Params = {}, client?: OAuthClient) {
  const exchanger = client ?? (await ctx.oauth.machineClient('exchange'));
  return ctx.oauth.tokenRequest(exchangeParams(ctx, subjectToken, overrides), exchanger);
}

/** The user's access token for the MCP server: the subject token every exchange starts from. */
async function userToken(ctx: CheckContext): Promise<string> {
  return (await ctx.oauth.userTokens()).accessToken;
}

/** The access token of a successful exchange; anything else means the thing checked did not happen. */
function exchangedToken(reply: HttpReply, what: string): string {
  const token = member(reply, 'access_token');
  expect.that(
    reply.status === 200 && typeof token === 'string',
    `${what} was refused: ${describeReply(reply)}; an authenticated client registered for token exchange that sends ` +
      'an active access token of the user and a registered resource gets a token for it (RFC 8693 §2.1–2.2)',
  );
  return token;
}

/** A prerequisite exchange (not the thing checked): its failure blocks the check. */
async function priorExchange(ctx: CheckContext, subjectToken: string, overrides: Params = {}): Promise<string> {
  const reply = await exchange(ctx, subjectToken, overrides);
  const token = member(reply, 'access_token');
  if (reply.status !== 200 || typeof token !== 'string') {
    throw new BlockedError('token exchange', `a correct exchange request answered ${describeReply(reply)}`);
  }
  return token;
}

/** The claims of a JWT access token; SKIPs for opaque tokens, whose claims the harness cannot read. */
function claimsOf(ctx: CheckContext, token: string, which: string): JWTPayload {
  const jwt = decodeAccessToken(token);
  if (!jwt) return ctx.skip(`the ${which} is opaque; its claims cannot be read`);
  return jwt.claims;
}

interface Actor {
  sub?: unknown;
  act?: Actor;
}

/** RFC 8693 §4.1: `act` is a JSON object; anything else counts as absent. */
function actOf(claims: JWTPayload, name = 'act'): Actor | undefined {
  const value = claims[name];
  return typeof value === 'object' && value !== null ? (value as Actor) : undefined;
}

/** A client_credentials token of the m2m client: the acting service's own token, used as actor_token. */
async function actorToken(ctx: CheckContext): Promise<{ token: string; sub: string }> {
  const client = await ctx.oauth.machineClient('m2m');
  const params = { grant_type: 'client_credentials', resource: ctx.target.resource, scope: ctx.target.scopes?.basic };
  const reply = await ctx.oauth.tokenRequest(params, client);
  const token = member(reply, 'access_token');
  if (reply.status !== 200 || typeof token !== 'string') {
    throw new BlockedError('actor token (client_credentials)', `the token endpoint answered ${describeReply(reply)}`);
  }
  const sub = claimsOf(ctx, token, 'actor token').sub;
  if (typeof sub !== 'string') return ctx.skip('the actor token has no sub; the actor it names cannot be compared');
  return { token, sub };
}

function hasNoStore(reply: HttpReply): boolean {
  return (reply.headers.get('cache-control') ?? '')
    .split(',')
    .some((directive) => directive.trim().toLowerCase() === 'no-store');
}

// ── Delegation ────────────────────────────────────────────────────────────────────────────────────────────────

export const delegatesToClient = check({
  id: 'grants.token-exchange-delegation',
  title: 'An exchange without actor_token is delegation: sub stays the user, act names the exchanging client',
  description:
    'RFC 8693 §1.1 and §4.1: the issued token keeps the user as sub and names the party acting for them in act. ' +
    'Impersonation (no act) is a policy the AS grants to specific clients, never the default.',
  requirements: ['R8693-GRANT', 'R8693-SUBJECT', 'R8693-ACT'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const subject = await userToken(ctx);
    const user = claimsOf(ctx, subject, "user's access token").sub;
    const client = await ctx.oauth.machineClient('exchange');
    const token = exchangedToken(await exchange(ctx, subject, {}, client), 'the exchange of the user’s token');
    const claims = claimsOf(ctx, token, 'exchanged token');
    expect.that(
      claims.sub === user,
      `the exchanged token has sub ${JSON.stringify(claims.sub)}; expected the user ${JSON.stringify(user)}. On ` +
        'behalf of the user means the downstream service still sees who the user is',
    );
    const act = actOf(claims);
    expect.that(
      act?.sub === client.client_id,
      `the exchanged token has act ${JSON.stringify(claims.act)}; expected {"sub": "${client.client_id}"}. Without ` +
        'act the token impersonates the user and the acting service disappears from every log downstream; ' +
        'impersonation must be an explicit per-client policy',
    );
    return `sub = ${String(user)}, act.sub = ${client.client_id}`;
  },
});

export const actorTokenNamesActor = check({
  id: 'grants.token-exchange-actor-token',
  title: 'With actor_token, act names the actor token’s subject',
  description:
    'RFC 8693 §2.1: actor_token represents the acting party; §4.1: act identifies the current actor by its sub.',
  requirements: ['R8693-ACT', 'R8693-ACTOR-TYPE'],
  level: 'MUST',
  needs: ACTOR_NEEDS,
  async run(ctx) {
    const actor = await actorToken(ctx);
    const overrides = { actor_token: actor.token, actor_token_type: ACCESS_TOKEN_TYPE };
    const token = exchangedToken(await exchange(ctx, await userToken(ctx), overrides), 'the exchange with actor_token');
    const act = actOf(claimsOf(ctx, token, 'exchanged token'));
    expect.that(
      act?.sub === actor.sub,
      `the exchanged token has act ${JSON.stringify(act)}; expected act.sub = ${JSON.stringify(actor.sub)}, the ` +
        'subject of the actor token. The actor token is how a service proves who acts; ignoring it names the wrong party',
    );
    return `act.sub = ${actor.sub} (the actor token's subject)`;
  },
});

export const nestsPriorActors = check({
  id: 'grants.token-exchange-nested-act',
  title: 'Exchanging an exchanged token nests the earlier actor inside act',
  description:
    'RFC 8693 §4.1: a chain of delegation is expressed by nesting act claims, the current actor outermost and the ' +
    'earlier actors inside it.',
  requirements: ['R8693-ACT'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const first = await priorExchange(ctx, await userToken(ctx));
    const firstActor = actOf(claimsOf(ctx, first, 'first exchanged token'))?.sub;
    if (typeof firstActor !== 'string') ctx.skip('the first exchanged token names no actor (act.sub) to nest');
    const target = secondTarget(ctx, exchangeTarget(ctx));
    const second = exchangedToken(await exchange(ctx, first, { resource: target }), 'the second hop');
    const act = actOf(claimsOf(ctx, second, 'second exchanged token'));
    expect.that(
      typeof act?.sub === 'string' && act.act?.sub === firstActor,
      `after two hops act is ${JSON.stringify(act)}; expected the current actor with {"sub": "${firstActor}"} nested ` +
        'as its act. Dropping earlier actors hides who the request passed through',
    );
    return `act = ${JSON.stringify(act)}`;
  },
});

export const mayActHonoured = check({
  id: 'grants.token-exchange-may-act',
  title: 'A subject token whose may_act names another party cannot be exchanged by a different actor',
  description:
    'RFC 8693 §4.4: may_act says who may act for the subject; §2.2.2: a subject or actor token unacceptable by ' +
    'policy is invalid_request. Checked on exchanged tokens that carry may_act (SKIP otherwise).',
  requirements: ['R8693-MAY-ACT', 'R8693-ERR-INVALID-REQUEST'],
  level: 'SHOULD',
  needs: ACTOR_NEEDS,
  async run(ctx) {
    const first = await priorExchange(ctx, await userToken(ctx));
    const mayAct = actOf(claimsOf(ctx, first, 'exchanged token'), 'may_act')?.sub;
    if (typeof mayAct !== 'string') return ctx.skip('the exchanged token carries no may_act; nothing to enforce');
    const actor = await actorToken(ctx);
    if (actor.sub === mayAct) ctx.skip(`may_act names ${actor.sub}, the only actor token the harness holds`);
    const overrides = { actor_token: actor.token, actor_token_type: ACCESS_TOKEN_TYPE };
    const reply = await exchange(ctx, first, { resource: secondTarget(ctx, exchangeTarget(ctx)), ...overrides });
    return expect.tokenError(
      reply,
      ['invalid_request'],
      `the subject token's may_act names ${mayAct}, but the actor token is ${actor.sub}'s; the AS put may_act ` +
        'there to say who may act for the user, so anyone else must be refused',
    );
  },
});

// ── Request rules (§2.1) ──────────────────────────────────────────────────────────────────────────────────────

export const actorTypeRequired = check({
  id: 'grants.token-exchange-actor-type-required',
  title: 'actor_token without actor_token_type is refused with invalid_request',
  description: 'RFC 8693 §2.1: actor_token_type is REQUIRED when actor_token is present.',
  requirements: ['R8693-ACTOR-TYPE', 'R8693-ERR-INVALID-REQUEST'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const subject = await userToken(ctx);
    const reply = await exchange(ctx, subject, { actor_token: subject });
    return expect.tokenError(reply, ['invalid_request'], 'actor_token came without actor_token_type');
  },
});

export const actorTypeWithoutToken = check({
  id: 'grants.token-exchange-actor-type-without-token',
  title: 'actor_token_type without actor_token is refused with invalid_request',
  description: 'RFC 8693 §2.1: actor_token_type MUST NOT be included when actor_token is not present.',
  requirements: ['R8693-ACTOR-TYPE', 'R8693-ERR-INVALID-REQUEST'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const reply = await exchange(ctx, await userToken(ctx), { actor_token_type: ACCESS_TOKEN_TYPE });
    return expect.tokenError(reply, ['invalid_request'], 'actor_token_type came without an actor_token');
  },
});

export const subjectRequired = check({
  id: 'grants.token-exchange-subject-required',
  title: 'A request missing subject_token or subject_token_type is refused with invalid_request',
  description: 'RFC 8693 §2.1: subject_token and subject_token_type are REQUIRED.',
  requirements: ['R8693-SUBJECT'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const subject = await userToken(ctx);
    const withoutToken = await exchange(ctx, subject, { subject_token: null });
    expect.tokenError(withoutToken, ['invalid_request'], 'the request had no subject_token');
    const withoutType = await exchange(ctx, subject, { subject_token_type: null });
    expect.tokenError(
      withoutType,
      ['invalid_request'],
      'the request had no subject_token_type; without it the AS guesses what kind of token it verifies',
    );
    return 'missing subject_token and missing subject_token_type: both invalid_request';
  },
});

/** The user's JWT with its payload altered (signature kept), or garbage for an opaque token. */
function tamperedToken(token: string): string {
  const parts = token.split('.');
  if (parts.length !== 3) return `${token.slice(0, 8)}${crypto.randomUUID()}`;
  const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  const altered = Buffer.from(JSON.stringify({ ...payload, scope: `${payload.scope ?? ''} tampered`.trim() }));
  return `${parts[0]}.${altered.toString('base64url')}.${parts[2]}`;
}

export const invalidSubjectRefused = check({
  id: 'grants.token-exchange-invalid-subject',
  title: 'A subject token whose signature does not verify is refused with invalid_request',
  description: 'RFC 8693 §2.2.2: invalid_request when the subject token is invalid.',
  requirements: ['R8693-ERR-INVALID-REQUEST'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const reply = await exchange(ctx, tamperedToken(await userToken(ctx)));
    return expect.tokenError(
      reply,
      ['invalid_request'],
      "the subject token was the user's token with an altered payload (its signature no longer matches); an AS " +
        'that does not verify the subject token mints tokens for whatever an attacker writes',
    );
  },
});

export const revokedSubjectRefused = check({
  id: 'grants.token-exchange-revoked-subject',
  title: 'A revoked subject token cannot be exchanged',
  description:
    'RFC 8693 §2.2.2: invalid_request when the subject token is invalid; RFC 7009 §2.1: a revoked token is unusable ' +
    'at once — exchanging it would resurrect it under another audience.',
  requirements: ['R8693-ERR-INVALID-REQUEST', 'R7009-EFFECT'],
  level: 'MUST',
  needs: [...NEEDS, 'revocation'],
  async run(ctx) {
    const { accessToken, authorization } = await ctx.oauth.obtainTokens();
    const endpoint = await ctx.discovery.endpoint('revocation_endpoint');
    const revocation = await ctx.oauth.authenticatedPost(endpoint, { token: accessToken }, authorization.client);
    if (revocation.status !== 200) {
      throw new BlockedError('revocation', `revoking the user's access token answered ${describeReply(revocation)}`);
    }
    return expect.tokenError(
      await exchange(ctx, accessToken),
      ['invalid_request'],
      'the subject token had just been revoked by its client',
    );
  },
});

// ── Targeting and scope ───────────────────────────────────────────────────────────────────────────────────────

export const audienceIsTarget = check({
  id: 'grants.token-exchange-audience',
  title: 'The exchanged token is audience-bound to the requested resource',
  description:
    'RFC 8693 §2.1: resource/audience name where the token will be used; RFC 8707 §2: the AS audience-restricts the ' +
    'token to it.',
  requirements: ['R8693-OPTIONAL-PARAMS', 'AS-AUD-BINDING'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const target = exchangeTarget(ctx);
    const token = exchangedToken(await exchange(ctx, await userToken(ctx)), 'the exchange');
    const claims = claimsOf(ctx, token, 'exchanged token');
    expect.that(
      audiences(claims).includes(target),
      `the exchanged token's aud is ${JSON.stringify(claims.aud)}; expected the requested resource ${target}. A token ` +
        'exchanged for one service must not open another',
    );
    return `aud = ${JSON.stringify(claims.aud)}`;
  },
});

export const refusedAtMcpServer = check({
  id: 'grants.token-exchange-refused-at-mcp',
  title: 'A token exchanged for another audience is refused by the MCP server',
  description:
    'MCP Token Audience Binding: the MCP server rejects tokens not issued for it, including tokens the AS issued to ' +
    'a service acting for the same user.',
  requirements: ['RS-AUD-REJECT', 'AS-AUD-BINDING'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const target = exchangeTarget(ctx);
    if (target === ctx.target.resource)
      ctx.skip('the target declares no other resource (alternateResource, downstream)');
    const token = exchangedToken(await exchange(ctx, await userToken(ctx)), 'the exchange');
    const reply = await ctx.mcp.post({ token });
    expect.status(
      reply,
      401,
      `The token was exchanged for ${target}, not for the MCP server; accepting it lets every downstream service ` +
        'replay the tokens it receives against the MCP server.',
    );
    return `token for ${target} refused by the MCP server with 401`;
  },
});

export const unknownTargetRefused = check({
  id: 'grants.token-exchange-unknown-target',
  title: 'An exchange for a resource the AS does not know is refused with invalid_target',
  description: 'RFC 8693 §2.2.2: invalid_target when the AS is unwilling or unable to issue a token for the target.',
  requirements: ['R8693-ERR-INVALID-TARGET'],
  level: 'SHOULD',
  needs: NEEDS,
  async run(ctx) {
    const resource = `https://unknown-${crypto.randomUUID()}.invalid/api`;
    return expect.tokenError(
      await exchange(ctx, await userToken(ctx), { resource }),
      ['invalid_target'],
      `${resource} is no resource of this AS; minting tokens for arbitrary audiences hands the user's authority to ` +
        'whoever runs them',
    );
  },
});

export const noWayBackUpstream = check({
  id: 'grants.token-exchange-no-upstream',
  title: 'A token exchanged for a downstream service cannot be exchanged back for the MCP server',
  description:
    'RFC 8693 §2.2.2: invalid_target when the AS will not issue for the target. A downstream service holding a token ' +
    'it received must not turn it into one for the upstream server the chain came from.',
  requirements: ['R8693-ERR-INVALID-TARGET', 'R8693-ACT'],
  level: 'SHOULD',
  needs: NEEDS,
  async run(ctx) {
    const target = exchangeTarget(ctx);
    if (target === ctx.target.resource)
      ctx.skip('the target declares no other resource (alternateResource, downstream)');
    const downstream = await priorExchange(ctx, await userToken(ctx));
    return expect.tokenError(
      await exchange(ctx, downstream, { resource: ctx.target.resource }),
      ['invalid_target'],
      `the subject token was exchanged from the user's token for ${ctx.target.resource} down to ${target}; exchanging ` +
        'it back up lets a downstream service call the MCP server as the user',
    );
  },
});

export const scopeNotWidened = check({
  id: 'grants.token-exchange-scope-not-widened',
  title: 'An exchange asking for more scope than the subject token has is refused with invalid_scope',
  description:
    'RFC 8693 §2.1 scope and §4.2: the issued token’s scope; delegation never grants more than the user granted. ' +
    'OAuth 2.1 §3.2.4: invalid_scope.',
  requirements: ['R8693-CLIENT-ID-SCOPE', 'OA21-TOKEN-ERRORS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const { elevated, basic } = ctx.target.scopes ?? {};
    if (!elevated) return ctx.skip('the target declares no elevated scope ("scopes.elevated")');
    const issued = await ctx.oauth.userTokens();
    const granted = (issued.scope ?? basic ?? '').split(' ');
    if (granted.includes(elevated)) ctx.skip(`the user's token already has ${elevated}`);
    return expect.tokenError(
      await exchange(ctx, issued.accessToken, { scope: elevated }),
      ['invalid_scope'],
      `the subject token has scope "${granted.join(' ')}" but the exchange asked for ${elevated}; a service acting ` +
        'for the user must never get more than the user granted',
    );
  },
});

// ── Response and clients ──────────────────────────────────────────────────────────────────────────────────────

export const responseNamesIssuedType = check({
  id: 'grants.token-exchange-response',
  title: 'The exchange response has access_token, issued_token_type and token_type Bearer',
  description:
    'RFC 8693 §2.2.1: access_token, issued_token_type and token_type are REQUIRED; an access token has token_type ' +
    'Bearer (N_A only for tokens that are not access tokens); §3: type identifiers.',
  requirements: ['R8693-RESPONSE', 'R8693-TOKEN-TYPES'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const reply = await exchange(ctx, await userToken(ctx), { requested_token_type: ACCESS_TOKEN_TYPE });
    exchangedToken(reply, 'the exchange asking for an access token');
    const issuedType = member(reply, 'issued_token_type');
    expect.that(
      issuedType === ACCESS_TOKEN_TYPE,
      `issued_token_type is ${JSON.stringify(issuedType)}; expected "${ACCESS_TOKEN_TYPE}" (the type requested). ` +
        'Without it the client cannot tell what kind of token it holds',
    );
    const tokenType = member(reply, 'token_type');
    expect.that(
      typeof tokenType === 'string' && tokenType.toLowerCase() === 'bearer',
      `token_type is ${JSON.stringify(tokenType)}; an access token is presented as a Bearer token`,
    );
    return `issued_token_type = ${issuedType}, token_type = ${tokenType}`;
  },
});

export const responseNotCached = check({
  id: 'grants.token-exchange-no-store',
  title: 'The exchange response is never cached (Cache-Control: no-store)',
  description: 'RFC 8693 §2.2.1 (as RFC 6749 §5.1): the response carries a token and MUST NOT be cached.',
  requirements: ['R8693-RESPONSE'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const reply = await exchange(ctx, await userToken(ctx));
    exchangedToken(reply, 'the exchange');
    expect.that(
      hasNoStore(reply),
      `the exchange response has Cache-Control: ${JSON.stringify(reply.headers.get('cache-control'))}; it must say ` +
        'no-store so no cache keeps a token acting for the user',
    );
    return 'Cache-Control: no-store';
  },
});

export const publicClientRefused = check({
  id: 'grants.token-exchange-public-client-refused',
  title: 'An unauthenticated (public) client cannot exchange tokens',
  description:
    'RFC 8693 §2.1 and §5: client authentication is the AS’s policy, and a token that acts for a user should only ' +
    'go to a client the AS has authenticated; anyone holding a leaked token could otherwise re-target it.',
  requirements: ['R8693-CLIENT-AUTH'],
  level: 'SHOULD',
  needs: NEEDS,
  async run(ctx) {
    const client = await ctx.oauth.publicClient();
    return expect.tokenError(
      await exchange(ctx, await userToken(ctx), {}, client),
      ['unauthorized_client', 'invalid_client'],
      `public client ${client.client_id} sent only its client_id`,
    );
  },
});

// ── Seed 003: the MCP server's own exchange on the way downstream ────────────────────────────────────────────

function bearerOf(authorization: string | undefined): string | undefined {
  return /^bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
}

export const downstreamOnBehalf = check({
  id: 'grants.token-exchange-downstream-on-behalf',
  title: 'The MCP server calls its downstream API with a token for the user that names the MCP server as actor',
  description:
    'Seed 003, on behalf of: the MCP tool exchanges the user’s token (RFC 8693) and calls the downstream service ' +
    'with a token whose sub is the user and whose act names the acting server, never with the client’s token.',
  requirements: ['R8693-ACT', 'RS-NO-PASSTHROUGH'],
  level: 'MUST',
  needs: ['resource', 'authorization-code', 'downstream'],
  async run(ctx) {
    const observer = ctx.downstream();
    const tool = ctx.target.downstream!.tool;
    const { accessToken, authorization } = await ctx.oauth.userTokens();
    const user = claimsOf(ctx, accessToken, "user's access token").sub;
    const before = observer.requests().length;
    const reply = await ctx.mcp.callTool(accessToken, tool);
    if (reply.status !== 200) {
      throw new BlockedError(`tools/call ${toolName(tool)}`, `the MCP server answered ${describeReply(reply)}`);
    }
    const tokens = observer
      .requests()
      .slice(before)
      .map((request) => bearerOf(request.authorization));
    const token = tokens.find((value): value is string => value !== undefined);
    expect.that(token, `tools/call ${toolName(tool)} sent no Bearer token to ${observer.url}`);
    expect.that(token !== accessToken, "the downstream API received the client's own access token (token passthrough)");
    const claims = claimsOf(ctx, token, 'downstream token');
    const act = actOf(claims);
    expect.that(
      claims.sub === user && typeof act?.sub === 'string' && act.sub !== authorization.client.client_id,
      `the downstream token has sub ${JSON.stringify(claims.sub)} and act ${JSON.stringify(claims.act)}; expected ` +
        `sub ${JSON.stringify(user)} and act naming the MCP server that acted (not the MCP client ` +
        `${authorization.client.client_id}). The downstream service and its logs must see both the user and the actor`,
    );
    return `downstream token: sub = ${String(user)}, act.sub = ${act.sub}`;
  },
});

export const tokenExchangeChecks: Check[] = [
  delegatesToClient,
  actorTokenNamesActor,
  nestsPriorActors,
  mayActHonoured,
  actorTypeRequired,
  actorTypeWithoutToken,
  subjectRequired,
  invalidSubjectRefused,
  revokedSubjectRefused,
  audienceIsTarget,
  refusedAtMcpServer,
  unknownTargetRefused,
  noWayBackUpstream,
  scopeNotWidened,
  responseNamesIssuedType,
  responseNotCached,
  publicClientRefused,
  downstreamOnBehalf,
];

export const tokenExchangeNegatives: Record<string, NegativeCase> = {
  'grants.token-exchange-delegation': { defect: 'exchange-impersonation-without-policy' },
  'grants.token-exchange-actor-token': { defect: 'exchange-actor-token-ignored' },
  'grants.token-exchange-nested-act': { defect: 'exchange-prior-actors-dropped' },
  'grants.token-exchange-may-act': { defect: 'exchange-may-act-ignored' },
  'grants.token-exchange-actor-type-required': { defect: 'exchange-actor-type-unchecked' },
  'grants.token-exchange-actor-type-without-token': { defect: 'exchange-actor-type-unchecked' },
  'grants.token-exchange-subject-required': { defect: 'exchange-subject-type-optional' },
  'grants.token-exchange-invalid-subject': { defect: 'exchange-subject-unverified' },
  'grants.token-exchange-revoked-subject': { defect: 'exchange-subject-liveness-unchecked' },
  'grants.token-exchange-audience': { defect: 'exchange-audience-ignored' },
  'grants.token-exchange-refused-at-mcp': { defect: 'exchange-audience-ignored' },
  'grants.token-exchange-unknown-target': { defect: 'exchange-unknown-target-accepted' },
  'grants.token-exchange-no-upstream': { defect: 'exchange-upstream-allowed' },
  'grants.token-exchange-scope-not-widened': { defect: 'exchange-scope-widened' },
  'grants.token-exchange-response': { defect: 'exchange-issued-token-type-missing' },
  'grants.token-exchange-no-store': { defect: 'token-response-cacheable' },
  'grants.token-exchange-public-client-refused': { defect: 'exchange-public-client-allowed' },
  'grants.token-exchange-downstream-on-behalf': { defect: 'exchange-act-missing' },
};
