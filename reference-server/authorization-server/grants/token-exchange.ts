/**
 * RFC 8693 token exchange, in its on-behalf-of form (seed 003): a confidential client (typically a service that
 * received a user's token) trades that subject token for one aimed at another registered resource.
 *
 * The policy of this server, rule by rule:
 * - Subject tokens are this issuer's own active access tokens, typed `access_token` (JWT or opaque) or `jwt` (a JWT
 *   access token). This server issues no ID tokens, so `id_token` subject tokens are refused, as are other types.
 * - Delegation is the default. The current actor is the subject of the `actor_token` when one is sent (e.g. a
 *   client_credentials token of the acting service), else the authenticated client. The new token's `act` names it,
 *   with the subject token's own `act` nested inside (§4.1), up to MAX_DELEGATION_DEPTH actors.
 * - Impersonation (no `act`) happens only when the request sends no `actor_token` AND the client's
 *   `token_exchange_impersonation` policy is true. A client with that policy that wants delegation sends an actor token.
 * - Every exchanged token carries `may_act` (§4.4) naming the client it was issued to: only that party may act with it
 *   in a further exchange; any other actor is `invalid_request`. The audit trail keeps it, so it holds for opaque
 *   tokens too.
 * - One target per request (`resource` or `audience`, §2.1), a registered resource; otherwise `invalid_target`. A
 *   token never goes back upstream: a target earlier in the subject's chain is `invalid_target` too.
 * - Scope is never widened (`invalid_scope`); the new token shares the user's grant, so it dies with it.
 * - Every exchange appends an AuditEvent linking the new token to the subject token, the user and the actor chain.
 */

import { actorChain } from '../../../harness/jwt.ts';
import type { AccessTokenRecord, ActorClaim, AuditEvent, ClientRecord, TokenExchangeEvent } from '../../store/index.ts';
import type { AuthenticatedClient } from '../clients.ts';
import type { IssuerContext, RegisteredResource } from '../context.ts';
import { canonicalResource } from '../endpoints/authorize.ts';
import { jsonResponse, NO_STORE, OAuthError } from '../errors.ts';
import { randomToken, singleParam } from '../http.ts';
import {
  activeTokenRecord,
  findTokenRecord,
  type IssuedAccessToken,
  issueAccessToken,
  noteIssuedToken,
} from '../tokens.ts';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** RFC 8693 §3: token type identifiers. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';

/** The longest delegation chain: the current actor and at most two before it. */
export const MAX_DELEGATION_DEPTH = 3;

/** Token types this server verifies as subject or actor tokens: its own access tokens. */
const VERIFIABLE_TYPES = [ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE];
/** Token types it issues: access tokens, which are JWTs when the server's format is `jwt`. */
const ISSUABLE_TYPES = [ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE];

/** The parts of a token exchange request (§2.1) after their shape was checked. */
interface ExchangeRequest {
  subjectToken: string;
  subjectTokenType: string;
  actorToken?: { token: string; type: string };
  requestedTokenType: string;
}

/** A subject or actor token this server issued, with what the audit trail knows about it. */
interface PresentedToken {
  record: AccessTokenRecord;
  /** The exchange that issued it, if it was issued by one. */
  issuedBy: TokenExchangeEvent | undefined;
}

/** RFC 8693 §2.1 request → §2.2.1 response: a new access token for the target, on behalf of the subject's user. */
export async function exchangeToken(
  ctx: IssuerContext,
  { client, method }: AuthenticatedClient,
  form: URLSearchParams,
): Promise<Response> {
  checkClientMayExchange(ctx, client, method);
  const request = exchangeRequest(ctx, form);
  const subject = await subjectToken(ctx, request);
  const actorToken = request.actorToken ? await presentedActorToken(ctx, request.actorToken) : undefined;
  const act = issuedActor(ctx, client, subject, actorToken);
  checkMayAct(ctx, subject, act?.sub ?? client.client_id);
  const target = await targetResource(ctx, form, subject);
  const scope = exchangedScope(ctx, subject.record, target, singleParam(form, 'scope'));
  const mayAct: ActorClaim = { sub: client.client_id };
  const issued = await issueAccessToken(ctx, {
    grantId: subject.record.grantId,
    clientId: client.client_id,
    sub: subject.record.sub,
    resource: ctx.defects.has('exchange-audience-ignored') ? subject.record.aud : target.resource,
    scope,
    ...(act ? { act } : {}),
    mayAct,
  });
  const accessToken = issued.accessToken;
  await recordExchange(ctx, { issued, request, subject, actorToken, mayAct });
  const body = {
    access_token: accessToken,
    ...(ctx.defects.has('exchange-issued-token-type-missing') ? {} : { issued_token_type: request.requestedTokenType }),
    // §2.2.1: token_type is N_A only for tokens that are not access tokens; every token issued here is one.
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    ...(scope ? { scope } : {}),
  };
  // §2.2.1: the response carries a token and is not cached.
  const response = jsonResponse(body, 200, ctx.defects.has('token-response-cacheable') ? {} : { ...NO_STORE });
  return noteIssuedToken(response, { record: issued.record, withRefreshToken: false });
}

/** §2.1 and §5 leave client authentication to policy; here only authenticated clients registered for the grant. */
function checkClientMayExchange(ctx: IssuerContext, client: ClientRecord, method: AuthenticatedClient['method']): void {
  if (method === 'none') {
    if (ctx.defects.has('exchange-public-client-allowed')) return;
    throw new OAuthError('unauthorized_client', 'token exchange is only for authenticated confidential clients');
  }
  if (!client.grant_types.includes(TOKEN_EXCHANGE_GRANT)) {
    throw new OAuthError('unauthorized_client', `client ${client.client_id} is not registered for token exchange`);
  }
}

/**
 * §2.1: subject_token and subject_token_type are REQUIRED; actor_token_type is REQUIRED with actor_token and MUST NOT
 * be sent without it; requested_token_type names one of the types this server issues.
 */
function exchangeRequest(ctx: IssuerContext, form: URLSearchParams): ExchangeRequest {
  const subjectToken = singleParam(form, 'subject_token');
  if (!subjectToken) throw new OAuthError('invalid_request', 'subject_token is required');
  const subjectTokenType =
    singleParam(form, 'subject_token_type') ??
    (ctx.defects.has('exchange-subject-type-optional') ? ACCESS_TOKEN_TYPE : undefined);
  if (!subjectTokenType) throw new OAuthError('invalid_request', 'subject_token_type is required');
  checkVerifiableType('subject_token_type', subjectTokenType);
  const actorToken = actorTokenParams(ctx, form);
  const requestedTokenType = singleParam(form, 'requested_token_type') ?? ACCESS_TOKEN_TYPE;
  if (!ISSUABLE_TYPES.includes(requestedTokenType)) {
    throw new OAuthError('invalid_request', `requested_token_type must be one of ${ISSUABLE_TYPES.join(', ')}`);
  }
  if (requestedTokenType === JWT_TOKEN_TYPE && ctx.accessTokenFormat !== 'jwt') {
    throw new OAuthError('invalid_request', 'this server issues opaque access tokens, not JWTs');
  }
  return { subjectToken, subjectTokenType, ...(actorToken ? { actorToken } : {}), requestedTokenType };
}

function checkVerifiableType(parameter: string, type: string): void {
  if (type === ID_TOKEN_TYPE) {
    throw new OAuthError('invalid_request', `${parameter}: this server issues no ID tokens, so it cannot verify one`);
  }
  if (!VERIFIABLE_TYPES.includes(type)) {
    throw new OAuthError(
      'invalid_request',
      `${parameter} must be one of ${VERIFIABLE_TYPES.join(', ')}, got "${type}"`,
    );
  }
}

/** §2.1: actor_token and actor_token_type come together or not at all. */
function actorTokenParams(ctx: IssuerContext, form: URLSearchParams): ExchangeRequest['actorToken'] {
  const token = singleParam(form, 'actor_token');
  const type = singleParam(form, 'actor_token_type');
  const unchecked = ctx.defects.has('exchange-actor-type-unchecked');
  if (token === undefined) {
    if (type !== undefined && !unchecked) {
      throw new OAuthError('invalid_request', 'actor_token_type must not be sent without actor_token');
    }
    return undefined;
  }
  if (type === undefined && !unchecked) {
    throw new OAuthError('invalid_request', 'actor_token_type is required with actor_token');
  }
  const actorType = type ?? ACCESS_TOKEN_TYPE;
  checkVerifiableType('actor_token_type', actorType);
  return { token, type: actorType };
}

/** §2.2.2: a subject token that is not an active token of this issuer (of the type named) is `invalid_request`. */
async function subjectToken(ctx: IssuerContext, request: ExchangeRequest): Promise<PresentedToken> {
  const record = await verifiedSubjectRecord(ctx, request.subjectToken, request.subjectTokenType);
  if (!record) {
    throw new OAuthError('invalid_request', 'subject_token is not an active access token issued by this server');
  }
  return { record, issuedBy: await exchangeThatIssued(ctx, record.jti) };
}

async function verifiedSubjectRecord(
  ctx: IssuerContext,
  token: string,
  type: string,
): Promise<AccessTokenRecord | undefined> {
  if (ctx.defects.has('exchange-subject-unverified') && isJwt(token)) return recordByUnverifiedJti(ctx, token);
  if (ctx.defects.has('exchange-subject-liveness-unchecked')) return findTokenRecord(ctx, token);
  return activeToken(ctx, token, type);
}

/** An active access token of this issuer; a `jwt`-typed one must be a JWT. */
async function activeToken(ctx: IssuerContext, token: string, type: string): Promise<AccessTokenRecord | undefined> {
  if (type === JWT_TOKEN_TYPE && !isJwt(token)) return undefined;
  return activeTokenRecord(ctx, token);
}

function isJwt(token: string): boolean {
  return token.split('.').length === 3;
}

/** The record named by a JWT's `jti`, read without checking the signature (the defect's shortcut). */
async function recordByUnverifiedJti(ctx: IssuerContext, token: string): Promise<AccessTokenRecord | undefined> {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { jti?: unknown };
    return typeof payload.jti === 'string' ? await ctx.store.tokens.get(payload.jti) : undefined;
  } catch {
    return undefined;
  }
}

/** §2.2.2: an actor token that is not an active token of this issuer is `invalid_request`. */
async function presentedActorToken(
  ctx: IssuerContext,
  actorToken: NonNullable<ExchangeRequest['actorToken']>,
): Promise<PresentedToken> {
  const record = await activeToken(ctx, actorToken.token, actorToken.type);
  if (!record)
    throw new OAuthError('invalid_request', 'actor_token is not an active access token issued by this server');
  return { record, issuedBy: await exchangeThatIssued(ctx, record.jti) };
}

async function exchangeThatIssued(ctx: IssuerContext, jti: string): Promise<TokenExchangeEvent | undefined> {
  return (await exchangeEvents(ctx)).find((event) => event.issuedJti === jti);
}

/** The audit log's token exchanges at this issuer (other events say nothing about delegation chains). */
async function exchangeEvents(ctx: IssuerContext): Promise<TokenExchangeEvent[]> {
  return (await ctx.store.audit.list(ctx.issuer, ['token-exchange'])).filter(
    (event: AuditEvent): event is TokenExchangeEvent => event.kind === 'token-exchange',
  );
}

/**
 * §4.1: the `act` of the new token: the current actor (the actor token's subject, else the client), with the subject
 * token's actors nested inside, most recent outermost. Undefined means impersonation, which the client's policy must
 * allow and the request must ask for by sending no actor token.
 */
function issuedActor(
  ctx: IssuerContext,
  client: ClientRecord,
  subject: PresentedToken,
  actorToken: PresentedToken | undefined,
): ActorClaim | undefined {
  const { defects } = ctx;
  if (defects.has('exchange-act-missing')) return undefined;
  if (!actorToken && (client.token_exchange_impersonation || defects.has('exchange-impersonation-without-policy'))) {
    return undefined;
  }
  const current = actorToken && !defects.has('exchange-actor-token-ignored') ? actorToken.record.sub : client.client_id;
  const prior = defects.has('exchange-prior-actors-dropped') ? undefined : subject.record.act;
  const act: ActorClaim = prior ? { sub: current, act: prior } : { sub: current };
  if (actorChain(act).length > MAX_DELEGATION_DEPTH && !defects.has('exchange-chain-unbounded')) {
    throw new OAuthError('invalid_request', `the delegation chain would exceed ${MAX_DELEGATION_DEPTH} actors`);
  }
  return act;
}

/** §4.4: when the subject token says who may act for its subject, nobody else may (`invalid_request`, §2.2.2). */
function checkMayAct(ctx: IssuerContext, subject: PresentedToken, actor: string): void {
  const allowed = subject.issuedBy?.mayAct;
  if (allowed === undefined || allowed === actor || ctx.defects.has('exchange-may-act-ignored')) return;
  throw new OAuthError('invalid_request', `the subject token's may_act allows only ${allowed} to act for its subject`);
}

/**
 * §2.1: the target is named by `resource` (an absolute URI, RFC 8707) or `audience`; several are allowed, but this
 * server issues a token for one. §2.2.2: a target it does not issue tokens for is `invalid_target`, and so is one
 * the subject's chain already came from: a downstream token never climbs back upstream.
 */
async function targetResource(
  ctx: IssuerContext,
  form: URLSearchParams,
  subject: PresentedToken,
): Promise<RegisteredResource> {
  const named = [...new Set([...form.getAll('resource'), ...form.getAll('audience')].filter((value) => value !== ''))];
  if (named.length === 0) throw new OAuthError('invalid_target', 'name the target with resource or audience');
  if (named.length > 1) throw new OAuthError('invalid_target', 'request a token for one target at a time');
  const value = named[0]!;
  if (value.includes('#')) throw new OAuthError('invalid_target', `"${value}" must not contain a fragment`);
  const canonical = canonicalResource(value);
  const match = canonical && ctx.resources.find((candidate) => canonicalResource(candidate.resource) === canonical);
  if (!match) {
    if (ctx.defects.has('exchange-unknown-target-accepted')) return { resource: value, scopes: [] };
    throw new OAuthError('invalid_target', `"${value}" is not a resource this server issues tokens for`);
  }
  await checkNotUpstream(ctx, subject, match.resource);
  return match;
}

async function checkNotUpstream(ctx: IssuerContext, subject: PresentedToken, target: string): Promise<void> {
  if (ctx.defects.has('exchange-upstream-allowed')) return;
  const upstream = await upstreamAudiences(ctx, subject.issuedBy);
  const canonical = canonicalResource(target);
  const own = canonicalResource(subject.record.aud);
  if (canonical !== own && upstream.some((audience) => canonicalResource(audience) === canonical)) {
    throw new OAuthError(
      'invalid_target',
      `the subject token was exchanged from a token for ${target}; it cannot go back`,
    );
  }
}

/** The audiences of the tokens before the subject in its chain, by following the audit trail back. */
async function upstreamAudiences(ctx: IssuerContext, issuedBy: TokenExchangeEvent | undefined): Promise<string[]> {
  const byIssuedJti = new Map((await exchangeEvents(ctx)).map((event) => [event.issuedJti, event]));
  const audiences: string[] = [];
  let event = issuedBy;
  while (event && audiences.length <= byIssuedJti.size) {
    audiences.push(event.subjectAudience);
    event = byIssuedJti.get(event.subjectJti);
  }
  return audiences;
}

/**
 * An exchange never widens access: every requested scope must be in the subject token and understood by the target
 * (`invalid_scope` otherwise); absent, the subject's scopes the target understands.
 */
function exchangedScope(
  ctx: IssuerContext,
  subject: AccessTokenRecord,
  target: RegisteredResource,
  requested: string | undefined,
): string {
  const granted = subject.scope.split(' ').filter((item) => item !== '');
  if (requested === undefined) return granted.filter((item) => target.scopes.includes(item)).join(' ');
  const wanted = [...new Set(requested.split(' ').filter((item) => item !== ''))];
  const beyondSubject = wanted.filter((item) => !granted.includes(item));
  if (beyondSubject.length > 0 && !ctx.defects.has('exchange-scope-widened')) {
    throw new OAuthError('invalid_scope', `scope ${beyondSubject.join(' ')} exceeds the subject token's scope`);
  }
  const unknown = wanted.filter((item) => !target.scopes.includes(item));
  if (unknown.length > 0 && !ctx.defects.has('exchange-unknown-target-accepted')) {
    throw new OAuthError('invalid_scope', `scope ${unknown.join(' ')} is not available for ${target.resource}`);
  }
  return wanted.join(' ');
}

interface ExchangeOutcome {
  issued: IssuedAccessToken;
  request: ExchangeRequest;
  subject: PresentedToken;
  actorToken: PresentedToken | undefined;
  mayAct: ActorClaim;
}

/** Seed 003: the audit trail links the new token to the subject token, the user and the actor chain. */
async function recordExchange(ctx: IssuerContext, outcome: ExchangeOutcome): Promise<void> {
  if (ctx.defects.has('exchange-audit-missing')) return;
  const { issued, request, subject, actorToken, mayAct } = outcome;
  const { record } = issued;
  await ctx.store.audit.append({
    id: randomToken(12),
    issuer: ctx.issuer,
    at: ctx.clock.now(),
    kind: 'token-exchange',
    issuedJti: record.jti,
    issuedTokenType: request.requestedTokenType,
    subjectJti: subject.record.jti,
    subjectAudience: subject.record.aud,
    ...(actorToken ? { actorTokenJti: actorToken.record.jti } : {}),
    sub: record.sub,
    clientId: record.clientId,
    actors: actorChain(record.act),
    impersonation: record.act === undefined,
    mayAct: mayAct.sub,
    audience: record.aud,
    scope: record.scope,
  });
}
