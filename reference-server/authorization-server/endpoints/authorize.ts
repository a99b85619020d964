import type { ClientRecord } from '../../store/index.ts';
import {
  type AuthorizationDetails,
  approveAuthorization,
  authorizationErrorRedirect,
  type RedirectTarget,
} from '../authorization-response.ts';
import { resolveRedirectUri } from '../clients.ts';
import type { IssuerContext, RegisteredResource } from '../context.ts';
import { TRANSACTION_TTL_MS } from '../context.ts';
import { OAuthError } from '../errors.ts';
import { startFlowRun } from '../flow-runs.ts';
import { randomToken, redirectResponse, singleParam } from '../http.ts';
import { currentSession, startSession } from '../interaction.ts';
import { errorPage, withSetCookie } from '../pages.ts';
import { OFFLINE_ACCESS, scopeItems } from '../tokens.ts';
import { flowPageLocation } from './flow.ts';

const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const PLAIN_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;

interface VerifiedClient {
  client: ClientRecord;
  redirectUri: string;
  redirectUriInRequest: boolean;
}

// OAuth 2.1 §4.1.1: the authorization request. Client and redirect URI are verified first (§4.1.2.1: never
// redirect to an unverified URI); every later error is redirected back with error, state and iss (RFC 9207 §2).
export async function handleAuthorize(ctx: IssuerContext, request: Request): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const state = params.get('state') ?? undefined;
  const verified = await verifyClientAndRedirectUri(ctx, params, state);
  if (verified instanceof Response) return verified;
  const implicit = params.get('response_type') === 'token' && ctx.defects.has('implicit-allowed');
  const responseType = implicit ? 'token' : 'code';
  const target: RedirectTarget = { redirectUri: verified.redirectUri, responseType, ...(state ? { state } : {}) };
  let details: AuthorizationDetails;
  try {
    details = { ...validateAuthorizationRequest(ctx, verified, params), ...target };
  } catch (thrown) {
    if (!(thrown instanceof OAuthError)) throw thrown;
    return authorizationErrorRedirect(ctx, target, thrown.error, thrown.description);
  }
  // Seed 004 (Flows): a client with a flow signs in through it on every authorization, in either interaction mode.
  if (verified.client.flow_id !== undefined) return beginFlow(ctx, request, details, verified.client);
  return ctx.interaction === 'auto-approve' ? autoApprove(ctx, details) : beginInteraction(ctx, request, details);
}

/** OAuth 2.1 §4.1.2.1: an unknown client or an unregistered redirect URI is shown to the user, never redirected. */
async function verifyClientAndRedirectUri(
  ctx: IssuerContext,
  params: URLSearchParams,
  state: string | undefined,
): Promise<VerifiedClient | Response> {
  const refuse = (title: string, explanation: string): Response =>
    ctx.defects.has('open-redirect-on-error')
      ? (openRedirect(ctx, params.get('redirect_uri'), state, explanation) ?? errorPage(title, explanation))
      : errorPage(title, explanation);
  let clientId: string | undefined;
  let requestedRedirectUri: string | undefined;
  try {
    clientId = singleParam(params, 'client_id');
    requestedRedirectUri = singleParam(params, 'redirect_uri');
  } catch (thrown) {
    if (thrown instanceof OAuthError) return refuse('Invalid authorization request', thrown.description);
    throw thrown;
  }
  if (!clientId) return refuse('Missing client_id', 'The authorization request does not name a client (client_id).');
  const client = await ctx.store.clients.get(clientId);
  if (!client) return refuse('Unknown client', `No client with client_id "${clientId}" is registered here.`);
  const resolution = resolveRedirectUri(client, requestedRedirectUri, ctx.defects);
  if (!resolution.ok) return refuse('Invalid redirect URI', resolution.reason);
  return {
    client,
    redirectUri: resolution.redirectUri,
    redirectUriInRequest: requestedRedirectUri !== undefined,
  };
}

/** The `open-redirect-on-error` defect: sends the error to whatever redirect_uri the request named. */
function openRedirect(
  ctx: IssuerContext,
  redirectUri: string | null,
  state: string | undefined,
  description: string,
): Response | undefined {
  if (!redirectUri || !URL.canParse(redirectUri)) return undefined;
  const target: RedirectTarget = { redirectUri, responseType: 'code', ...(state ? { state } : {}) };
  return authorizationErrorRedirect(ctx, target, 'invalid_request', description);
}

type ValidatedRequest = Omit<AuthorizationDetails, keyof RedirectTarget>;

function validateAuthorizationRequest(
  ctx: IssuerContext,
  { client, redirectUriInRequest }: VerifiedClient,
  params: URLSearchParams,
): ValidatedRequest {
  singleParam(params, 'state');
  const responseType = checkResponseType(ctx, client, singleParam(params, 'response_type'));
  const pkce = responseType === 'code' ? checkPkce(ctx, client, params) : {};
  const resource = checkResource(ctx, params.getAll('resource'));
  const scope = checkRegisteredScope(client, checkAuthorizationScope(ctx, resource, singleParam(params, 'scope')));
  const loginHint = singleParam(params, 'login_hint');
  return {
    clientId: client.client_id,
    redirectUriInRequest,
    ...pkce,
    resource: resource.resource,
    scope,
    ...(loginHint ? { loginHint } : {}),
  };
}

/** RFC 7591 §2 `scope`: a client that registered its scopes may ask for those only (offline_access aside). */
function checkRegisteredScope(client: ClientRecord, scope: string): string {
  if (client.scope === undefined) return scope;
  const allowed = new Set(scopeItems(client.scope));
  const beyond = scopeItems(scope).filter((item) => item !== OFFLINE_ACCESS && !allowed.has(item));
  if (beyond.length > 0) {
    throw new OAuthError('invalid_scope', `client ${client.client_id} did not register the scope ${beyond.join(' ')}`);
  }
  return scope;
}

/** OAuth 2.1 §4.1.1: response_type is required and `code` is the only one; the implicit grant is gone (§10.1). */
function checkResponseType(ctx: IssuerContext, client: ClientRecord, responseType: string | undefined): string {
  if (!responseType) throw new OAuthError('invalid_request', 'response_type is required (use "code")');
  if (responseType === 'token' && ctx.defects.has('implicit-allowed')) return responseType;
  if (responseType !== 'code') {
    throw new OAuthError('unsupported_response_type', `response_type "${responseType}" is not supported; use "code"`);
  }
  if (!client.grant_types.includes('authorization_code')) {
    throw new OAuthError('unauthorized_client', 'this client is not registered for the authorization_code grant');
  }
  return responseType;
}

type PkceParameters = Pick<AuthorizationDetails, 'codeChallenge' | 'codeChallengeMethod'>;

/**
 * OAuth 2.1 §4.1.1 and RFC 7636 §4.4.1: code_challenge is required, with method S256 only. A missing method would
 * mean plain (RFC 7636 §4.3), which offers no protection when the request is observed, so it is refused too.
 */
function checkPkce(ctx: IssuerContext, client: ClientRecord, params: URLSearchParams): PkceParameters {
  const { defects } = ctx;
  const challenge = singleParam(params, 'code_challenge');
  const method = singleParam(params, 'code_challenge_method');
  if (!challenge) {
    if (defects.has('pkce-optional')) return {};
    const confidential = client.token_endpoint_auth_method !== 'none';
    if (confidential && defects.has('pkce-optional-for-confidential')) return {};
    throw new OAuthError('invalid_request', 'code_challenge is required (PKCE with code_challenge_method=S256)');
  }
  if (!method && !defects.has('pkce-method-defaults-plain')) {
    throw new OAuthError('invalid_request', 'code_challenge_method is required; it would default to plain, use S256');
  }
  const effectiveMethod = method ?? 'plain';
  const plainAllowed = defects.has('pkce-plain-allowed') || (!method && defects.has('pkce-method-defaults-plain'));
  if (effectiveMethod === 'plain' && plainAllowed) {
    if (!PLAIN_CHALLENGE.test(challenge)) throw new OAuthError('invalid_request', 'code_challenge is malformed');
    return { codeChallenge: challenge, codeChallengeMethod: 'plain' };
  }
  if (effectiveMethod !== 'S256') {
    throw new OAuthError('invalid_request', `code_challenge_method "${effectiveMethod}" is not supported; use S256`);
  }
  if (!S256_CHALLENGE.test(challenge)) {
    throw new OAuthError('invalid_request', 'an S256 code_challenge is 43 base64url characters (RFC 7636 §4.2)');
  }
  return { codeChallenge: challenge, codeChallengeMethod: 'S256' };
}

/** Compares resource indicators after URL normalisation (scheme and host are case-insensitive). */
export function canonicalResource(value: string): string | undefined {
  return URL.canParse(value) ? new URL(value).href : undefined;
}

/**
 * RFC 8707 §2: `resource` is an absolute URI without a fragment naming a resource this server issues tokens for;
 * absent, the single registered resource is the default audience (RFC 9068 §3). Otherwise `invalid_target`.
 */
export function checkResource(ctx: IssuerContext, values: string[]): RegisteredResource {
  const requested = [...new Set(values.filter((value) => value !== ''))];
  if (requested.length > 1) throw new OAuthError('invalid_target', 'request one resource at a time');
  const [value] = requested;
  if (value === undefined) {
    const [only, ...others] = ctx.resources;
    if (only && others.length === 0) return only;
    throw new OAuthError('invalid_target', 'resource is required: this server protects several resources');
  }
  // The usual case: the registered resource spelled as registered (an absolute URI without a fragment).
  const exact = ctx.resources.find((candidate) => candidate.resource === value);
  if (exact && !value.includes('#')) return exact;
  const canonical = canonicalResource(value);
  if (!canonical) throw new OAuthError('invalid_target', `resource "${value}" is not an absolute URI`);
  if (value.includes('#')) throw new OAuthError('invalid_target', `resource "${value}" must not contain a fragment`);
  const match = ctx.resources.find((candidate) => canonicalResource(candidate.resource) === canonical);
  if (!match) throw new OAuthError('invalid_target', `resource "${value}" is not known to this authorization server`);
  return match;
}

/** OAuth 2.1 §3.2.2.1: every requested scope must be one the resource understands; absent, its first scope. */
export function checkScope(resource: RegisteredResource, scope: string | undefined): string {
  if (scope === undefined) return resource.scopes[0] ?? '';
  const requested = [...new Set(scope.split(' ').filter((item) => item !== ''))];
  const unknown = requested.filter((item) => !resource.scopes.includes(item));
  if (unknown.length > 0) {
    throw new OAuthError('invalid_scope', `scope ${unknown.join(' ')} is not available for ${resource.resource}`);
  }
  return requested.join(' ');
}

/**
 * MCP 2026-07-28 (Refresh Tokens), OIDC Core §11: offline_access, listed in scopes_supported, asks for a refresh token.
 * It is kept with the grant (the token endpoint issues the refresh token for it) but is no scope of the resource;
 * asked for alone, the resource's default scope comes with it.
 */
function checkAuthorizationScope(ctx: IssuerContext, resource: RegisteredResource, scope: string | undefined): string {
  const items = scopeItems(scope ?? '');
  if (!items.includes(OFFLINE_ACCESS) || ctx.defects.has('offline-access-refused')) return checkScope(resource, scope);
  const others = items.filter((item) => item !== OFFLINE_ACCESS);
  const granted = checkScope(resource, others.length > 0 ? others.join(' ') : undefined);
  return [granted, OFFLINE_ACCESS].filter(Boolean).join(' ');
}

/** `auto-approve`: the user named by login_hint (or the first user) signs in and consents at once. */
async function autoApprove(ctx: IssuerContext, details: AuthorizationDetails): Promise<Response> {
  const user = ctx.users.find((candidate) => candidate.username === details.loginHint) ?? ctx.users[0];
  if (!user) return authorizationErrorRedirect(ctx, details, 'access_denied', 'no user can sign in here');
  return approveAuthorization(ctx, details, user.sub, 302);
}

/** The request is kept server-side under a transaction bound to this browser's session (started if need be). */
async function saveTransaction(ctx: IssuerContext, request: Request, details: AuthorizationDetails) {
  const existing = await currentSession(ctx, request);
  const started = existing ? undefined : await startSession(ctx);
  const session = existing ?? started!.session;
  const transaction = {
    ...details,
    id: randomToken(24),
    issuer: ctx.issuer,
    sessionId: session.id,
    expiresAt: ctx.clock.now() + TRANSACTION_TTL_MS,
  };
  await ctx.store.transactions.save(transaction);
  return { transaction, session, cookie: started?.cookie };
}

/** `interactive`: keep the request server-side and send the browser to sign in (or straight to consent). */
async function beginInteraction(
  ctx: IssuerContext,
  request: Request,
  details: AuthorizationDetails,
): Promise<Response> {
  const { transaction, session, cookie } = await saveTransaction(ctx, request, details);
  const next = session.sub ? 'consent' : 'login';
  const location = `${ctx.endpoint(next)}?txn=${encodeURIComponent(transaction.id)}`;
  return redirectResponse(location, 302, withSetCookie(cookie));
}

/** Seed 004 (Flows): the client's flow starts at once; the browser follows it on the flow pages. */
async function beginFlow(
  ctx: IssuerContext,
  request: Request,
  details: AuthorizationDetails,
  client: ClientRecord,
): Promise<Response> {
  const flow = ctx.flows.get(client.flow_id ?? '');
  if (!flow) {
    return authorizationErrorRedirect(ctx, details, 'server_error', `the flow "${client.flow_id}" is not configured`);
  }
  const { transaction, cookie } = await saveTransaction(ctx, request, details);
  await startFlowRun(ctx, request, transaction, client, flow);
  return redirectResponse(flowPageLocation(ctx, transaction.id), 302, withSetCookie(cookie));
}
