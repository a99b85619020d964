/**
 * RFC 8693 token exchange, in its on-behalf-of form: a confidential client (typically a resource server) trades an
 * access token it received for one aimed at another registered resource. The new token keeps the user as `sub` and
 * names the client as the current actor in `act`.
 */
import type { AccessTokenRecord, ActorClaim, ClientRecord, TokenEndpointAuthMethod } from '../../store/index.ts';
import type { IssuerContext, RegisteredResource } from '../context.ts';
import { canonicalResource } from '../endpoints/authorize.ts';
import { jsonResponse, NO_STORE, OAuthError } from '../errors.ts';
import { singleParam } from '../http.ts';
import { activeTokenRecord, issueAccessToken } from '../tokens.ts';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface ExchangingClient {
  client: ClientRecord;
  method: TokenEndpointAuthMethod;
}

/** RFC 8693 §2.1 request → §2.2.1 response: a new access token for the target, on behalf of the subject's user. */
export async function exchangeToken(
  ctx: IssuerContext,
  { client, method }: ExchangingClient,
  form: URLSearchParams,
): Promise<Response> {
  checkClientMayExchange(client, method);
  checkTokenTypes(form);
  const subject = await subjectToken(ctx, form);
  const target = targetResource(ctx, form);
  const scope = exchangedScope(subject, target, singleParam(form, 'scope'));
  const issued = await issueAccessToken(ctx, {
    grantId: subject.grantId,
    clientId: client.client_id,
    sub: subject.sub,
    resource: target.resource,
    scope,
    act: currentActor(client.client_id, subject.act),
  });
  const body = {
    access_token: issued.accessToken,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    ...(scope ? { scope } : {}),
  };
  // §2.2.1: the response carries a token and is not cached.
  return jsonResponse(body, 200, { ...NO_STORE });
}

/** §2.1 and §5 leave client authentication to policy; here only authenticated clients registered for the grant. */
function checkClientMayExchange(client: ClientRecord, method: TokenEndpointAuthMethod): void {
  if (method === 'none') {
    throw new OAuthError('unauthorized_client', 'token exchange is only for authenticated confidential clients');
  }
  if (!client.grant_types.includes(TOKEN_EXCHANGE_GRANT)) {
    throw new OAuthError('unauthorized_client', `client ${client.client_id} is not registered for token exchange`);
  }
}

/**
 * §2.1: subject_token and subject_token_type are required; actor_token_type goes only with actor_token. This server
 * exchanges access tokens for access tokens, and the actor is always the authenticated client, so no actor_token.
 */
function checkTokenTypes(form: URLSearchParams): void {
  const subjectType = singleParam(form, 'subject_token_type');
  if (!subjectType) throw new OAuthError('invalid_request', 'subject_token_type is required');
  if (subjectType !== ACCESS_TOKEN_TYPE) {
    throw new OAuthError('invalid_request', `subject_token_type must be ${ACCESS_TOKEN_TYPE}, got "${subjectType}"`);
  }
  const requestedType = singleParam(form, 'requested_token_type');
  if (requestedType !== undefined && requestedType !== ACCESS_TOKEN_TYPE) {
    throw new OAuthError('invalid_request', `only ${ACCESS_TOKEN_TYPE} can be requested, got "${requestedType}"`);
  }
  const actorToken = singleParam(form, 'actor_token');
  const actorType = singleParam(form, 'actor_token_type');
  if (actorToken === undefined && actorType !== undefined) {
    throw new OAuthError('invalid_request', 'actor_token_type was sent without actor_token');
  }
  if (actorToken !== undefined) {
    throw new OAuthError('invalid_request', 'actor_token is not accepted: the authenticated client is the actor');
  }
}

/** §2.2.2: a subject token that is not an active access token of this issuer is `invalid_request`. */
async function subjectToken(ctx: IssuerContext, form: URLSearchParams): Promise<AccessTokenRecord> {
  const token = singleParam(form, 'subject_token');
  if (!token) throw new OAuthError('invalid_request', 'subject_token is required');
  const record = await activeTokenRecord(ctx, token);
  if (!record) {
    throw new OAuthError('invalid_request', 'subject_token is not an active access token issued by this server');
  }
  return record;
}

/**
 * §2.1: the target is named by `resource` (an absolute URI, RFC 8707) or `audience`; §2.2.2: a target this server
 * does not issue tokens for is `invalid_target`.
 */
function targetResource(ctx: IssuerContext, form: URLSearchParams): RegisteredResource {
  const named = [...new Set([...form.getAll('resource'), ...form.getAll('audience')].filter((value) => value !== ''))];
  if (named.length === 0) throw new OAuthError('invalid_target', 'name the target with resource or audience');
  if (named.length > 1) throw new OAuthError('invalid_target', 'request a token for one target at a time');
  const value = named[0]!;
  if (value.includes('#')) throw new OAuthError('invalid_target', `"${value}" must not contain a fragment`);
  const canonical = canonicalResource(value);
  const match = canonical && ctx.resources.find((candidate) => canonicalResource(candidate.resource) === canonical);
  if (!match) throw new OAuthError('invalid_target', `"${value}" is not a resource this server issues tokens for`);
  return match;
}

/**
 * An exchange never widens access: every requested scope must be in the subject token and understood by the target
 * (`invalid_scope` otherwise); absent, the subject's scopes the target understands.
 */
function exchangedScope(subject: AccessTokenRecord, target: RegisteredResource, requested: string | undefined): string {
  const granted = subject.scope.split(' ').filter((item) => item !== '');
  if (requested === undefined) return granted.filter((item) => target.scopes.includes(item)).join(' ');
  const wanted = [...new Set(requested.split(' ').filter((item) => item !== ''))];
  const beyondSubject = wanted.filter((item) => !granted.includes(item));
  if (beyondSubject.length > 0) {
    throw new OAuthError('invalid_scope', `scope ${beyondSubject.join(' ')} exceeds the subject token's scope`);
  }
  const unknown = wanted.filter((item) => !target.scopes.includes(item));
  if (unknown.length > 0) {
    throw new OAuthError('invalid_scope', `scope ${unknown.join(' ')} is not available for ${target.resource}`);
  }
  return wanted.join(' ');
}

/** §4.1: the requesting client is the current actor; actors before it stay nested, the least recent deepest. */
function currentActor(clientId: string, previous: ActorClaim | undefined): ActorClaim {
  return previous ? { sub: clientId, act: previous } : { sub: clientId };
}
