/**
 * OpenID CIBA Core 1.0 §7, poll mode, with the user reached by email (seed 004: "CIBA currently only supports email as
 * a delivery method"). A client-authenticated request names the user by one hint; the server answers an auth_req_id
 * at once and mails the user a link to approve or deny. The link is single use and expires (default 3 minutes);
 * possession of it, which only the mailbox owner has, is what authenticates the user here.
 */
import type { BackchannelRequestRecord, ClientRecord } from '../../store/index.ts';
import { authenticateClient } from '../clients.ts';
import type { IssuerContext, ReferenceUser, RegisteredResource } from '../context.ts';
import { asOAuthError, errorResponse, jsonResponse, NO_STORE, OAuthError } from '../errors.ts';
import { backchannelRequestKey, CIBA_GRANT, CIBA_POLL_INTERVAL_SECONDS, secretDigest } from '../grants/ciba.ts';
import { constantTimeEqual, randomToken, readForm, singleParam } from '../http.ts';
import { idTokenSubject } from '../id-token.ts';
import { checkResource, checkScope } from './authorize.ts';
import { cibaApprovalPage, cibaDecisionPage, cibaLinkErrorPage } from './ciba-pages.ts';

/** §7.3 expires_in: how long the request lives unless the client asks for less (requested_expiry). */
const DEFAULT_REQUEST_TTL_SECONDS = 600;
const MAX_REQUEST_TTL_SECONDS = 1800;
/** Seed 004: "how long the approval link remains valid (default 3 minutes)". */
const DEFAULT_LINK_EXPIRY_SECONDS = 180;
/** §7.1: "relatively short", "a limited set of plain text characters". */
const BINDING_MESSAGE = /^[\p{L}\p{N} .,:;!?'()#@/_+-]{1,64}$/u;
const HINTS = ['login_hint', 'id_token_hint', 'login_hint_token'] as const;

// CIBA Core §7.1: POST, client-authenticated, scope with openid, exactly one hint; §7.3 answers auth_req_id, expires_in
// and interval (no-store); §13: errors are JSON, 400 (401 invalid_client).
export async function handleBackchannelAuthentication(ctx: IssuerContext, request: Request): Promise<Response> {
  try {
    const form = await readForm(request);
    const client = await authenticatedCibaClient(ctx, request, form);
    const target = requestedResource(ctx, form);
    const scope = requestedScope(ctx, target, singleParam(form, 'scope'));
    const user = await hintedUser(ctx, client, form);
    const bindingMessage = checkedBindingMessage(ctx, singleParam(form, 'binding_message'));
    const ttlSeconds = requestLifetime(singleParam(form, 'requested_expiry'));
    const authReqId = ctx.defects.has('ciba-auth-req-id-guessable') ? randomToken(4) : randomToken(32);
    await startRequest(ctx, { authReqId, client, user, scope, resource: target.resource, bindingMessage, ttlSeconds });
    const body = { auth_req_id: authReqId, expires_in: ttlSeconds, interval: CIBA_POLL_INTERVAL_SECONDS };
    return jsonResponse(body, 200, { ...NO_STORE });
  } catch (thrown) {
    return errorResponse(asOAuthError(thrown));
  }
}

/**
 * §7.1: the client authenticates as at the token endpoint (CIBA is for confidential clients), and must be registered
 * for the CIBA grant in poll mode, the only mode offered here (§13 unauthorized_client).
 */
async function authenticatedCibaClient(ctx: IssuerContext, request: Request, form: URLSearchParams) {
  const client = ctx.defects.has('ciba-request-unauthenticated')
    ? await clientNamedWithoutCredentials(ctx, request, form)
    : undefined;
  const checked = client ?? (await authenticatedConfidentialClient(ctx, request, form));
  if (!checked.grant_types.includes(CIBA_GRANT)) {
    throw new OAuthError('unauthorized_client', `client ${checked.client_id} is not registered for CIBA`);
  }
  if (checked.backchannel_token_delivery_mode !== 'poll') {
    throw new OAuthError('unauthorized_client', `client ${checked.client_id} is not registered for CIBA poll mode`);
  }
  return checked;
}

async function authenticatedConfidentialClient(ctx: IssuerContext, request: Request, form: URLSearchParams) {
  const { client, method } = await authenticateClient(request, form, {
    store: ctx.store,
    defects: ctx.defects,
    realm: ctx.issuer,
    assertions: { audiences: [ctx.issuer, ctx.endpoint('bc-authorize')], clock: ctx.clock },
  });
  if (method === 'none') throw new OAuthError('invalid_client', 'CIBA requests must be client-authenticated', 401);
  return client;
}

async function clientNamedWithoutCredentials(ctx: IssuerContext, request: Request, form: URLSearchParams) {
  const clientId = singleParam(form, 'client_id');
  if (request.headers.has('authorization') || form.has('client_secret') || clientId === undefined) return undefined;
  return ctx.store.clients.get(clientId);
}

/** RFC 8707: optional here; absent, the first registered resource is the audience. */
function requestedResource(ctx: IssuerContext, form: URLSearchParams): RegisteredResource {
  const first = ctx.resources[0];
  if (form.getAll('resource').every((value) => value === '') && first) return first;
  return checkResource(ctx, form.getAll('resource'));
}

/** §7.1: scope is required and includes openid; the other scopes must be ones the resource understands. */
function requestedScope(ctx: IssuerContext, target: RegisteredResource, scope: string | undefined): string {
  if (scope === undefined) throw new OAuthError('invalid_request', 'scope is required and must include openid');
  const scopes = scope.split(' ').filter((item) => item !== '');
  if (!scopes.includes('openid') && !ctx.defects.has('ciba-openid-not-required')) {
    throw new OAuthError('invalid_scope', 'a CIBA request is an OpenID authentication: scope must include openid');
  }
  const resourceScopes = scopes.filter((item) => item !== 'openid');
  const granted = checkScope(target, resourceScopes.length > 0 ? resourceScopes.join(' ') : undefined);
  return ['openid', granted].filter((item) => item !== '').join(' ');
}

/** §7.1: exactly one of login_hint, id_token_hint, login_hint_token names the user (§13 invalid_request). */
async function hintedUser(ctx: IssuerContext, client: ClientRecord, form: URLSearchParams): Promise<ReferenceUser> {
  const sent = HINTS.filter((name) => singleParam(form, name) !== undefined);
  if (sent.length === 0) throw new OAuthError('invalid_request', `send one of ${HINTS.join(', ')}`);
  if (sent.length > 1 && !ctx.defects.has('ciba-several-hints-accepted')) {
    throw new OAuthError('invalid_request', `send exactly one of ${HINTS.join(', ')}, not ${sent.join(' and ')}`);
  }
  const [hint] = sent;
  const value = singleParam(form, hint!)!;
  if (hint === 'login_hint_token') {
    throw new OAuthError('invalid_request', 'login_hint_token is not supported here; send login_hint or id_token_hint');
  }
  if (hint === 'id_token_hint') {
    const sub = await idTokenSubject(ctx, value, client.client_id);
    if (sub === undefined) {
      throw new OAuthError('invalid_request', 'id_token_hint is not a current ID token this server issued to you');
    }
    return knownUser(ctx, (user) => user.sub === sub, value);
  }
  return knownUser(ctx, (user) => user.email === value || user.username === value, value);
}

/** §13 unknown_user_id: the hint names nobody this server knows. */
function knownUser(ctx: IssuerContext, matches: (user: ReferenceUser) => boolean, hint: string): ReferenceUser {
  const user = ctx.users.find(matches);
  if (user) return user;
  if (!ctx.defects.has('ciba-unknown-user-accepted')) {
    throw new OAuthError('unknown_user_id', 'the hint does not identify a user of this server');
  }
  return { sub: hint, username: hint, password: '', email: hint, name: hint };
}

/** §7.1 binding_message: short plain text shown on both devices; anything else is invalid_binding_message (§13). */
function checkedBindingMessage(ctx: IssuerContext, message: string | undefined): string | undefined {
  if (message === undefined || BINDING_MESSAGE.test(message) || ctx.defects.has('ciba-binding-message-unchecked')) {
    return message;
  }
  throw new OAuthError(
    'invalid_binding_message',
    'binding_message must be 1 to 64 letters, digits, spaces and simple punctuation',
  );
}

/** §7.1 requested_expiry: a positive integer of seconds; the server keeps to its own maximum. */
function requestLifetime(requested: string | undefined): number {
  if (requested === undefined) return DEFAULT_REQUEST_TTL_SECONDS;
  if (!/^[1-9][0-9]{0,8}$/.test(requested)) {
    throw new OAuthError('invalid_request', 'requested_expiry must be a positive integer of seconds');
  }
  return Math.min(Number(requested), MAX_REQUEST_TTL_SECONDS);
}

interface NewRequest {
  authReqId: string;
  client: ClientRecord;
  user: ReferenceUser;
  scope: string;
  resource: string;
  bindingMessage: string | undefined;
  ttlSeconds: number;
}

/** Stores the request (digests only) and mails the user the approval link; an undeliverable mail ends the request. */
async function startRequest(ctx: IssuerContext, request: NewRequest): Promise<void> {
  const now = ctx.clock.now();
  const linkSeconds = Math.min(
    request.client.ciba_link_expiry_seconds ?? DEFAULT_LINK_EXPIRY_SECONDS,
    request.ttlSeconds,
  );
  const secret = randomToken(32);
  const record: BackchannelRequestRecord = {
    id: await backchannelRequestKey(request.authReqId),
    issuer: ctx.issuer,
    clientId: request.client.client_id,
    sub: request.user.sub,
    scope: request.scope,
    resource: request.resource,
    ...(request.bindingMessage ? { bindingMessage: request.bindingMessage } : {}),
    status: 'pending',
    createdAt: now,
    expiresAt: now + request.ttlSeconds * 1000,
    linkExpiresAt: now + linkSeconds * 1000,
    linkSecretDigest: await secretDigest(secret),
    intervalSeconds: CIBA_POLL_INTERVAL_SECONDS,
  };
  await ctx.store.backchannelRequests.save(record);
  try {
    await ctx.mailer.send(approvalMail(ctx, record, request, secret, linkSeconds));
  } catch (thrown) {
    await ctx.store.backchannelRequests.delete(record.id);
    throw thrown;
  }
}

function approvalLink(ctx: IssuerContext, requestKey: string, secret: string): string {
  const link = new URL(ctx.endpoint('ciba/approve'));
  link.searchParams.set('request', requestKey);
  link.searchParams.set('secret', secret);
  return link.href;
}

function approvalMail(
  ctx: IssuerContext,
  record: BackchannelRequestRecord,
  request: NewRequest,
  secret: string,
  linkSeconds: number,
) {
  const link = approvalLink(ctx, record.id, secret);
  const clientName = request.client.client_name ?? request.client.client_id;
  const lines = [
    `Hello ${request.user.name},`,
    '',
    `${clientName} asks to act for you (scope: ${record.scope}).`,
    ...(record.bindingMessage ? [`It shows the code: ${record.bindingMessage}`] : []),
    '',
    `Approve or deny within ${linkSeconds % 60 === 0 ? `${linkSeconds / 60} minute(s)` : `${linkSeconds} s`}: ${link}`,
    '',
    'If you did not start this, deny it.',
  ];
  return {
    to: request.user.email,
    subject: `Approve sign-in to ${clientName}?`,
    text: lines.join('\n'),
    links: [link],
  };
}

// ── The emailed approval link ───────────────────────────────────────────────────────────────────────────────────

/** The pending request an approval link names, or the error page to show instead (nothing is ever approved then). */
async function linkedRequest(
  ctx: IssuerContext,
  requestKey: string | null,
  secret: string | null,
): Promise<BackchannelRequestRecord | Response> {
  const record = requestKey ? await ctx.store.backchannelRequests.get(requestKey) : undefined;
  if (
    !record ||
    record.issuer !== ctx.issuer ||
    !secret ||
    !constantTimeEqual(await secretDigest(secret), record.linkSecretDigest)
  ) {
    return cibaLinkErrorPage('Invalid link', 'This approval link is not valid.', 400);
  }
  if (record.status !== 'pending' && !ctx.defects.has('ciba-approval-link-reusable')) {
    return cibaLinkErrorPage('Link already used', 'This approval link was already used.', 410);
  }
  const now = ctx.clock.now();
  // Seed 004: the link stays valid for its configured time only.
  if (now >= record.linkExpiresAt && !ctx.defects.has('ciba-link-never-expires')) {
    return cibaLinkErrorPage('Link expired', 'This approval link has expired.', 410);
  }
  if (now >= record.expiresAt || record.redeemedAt !== undefined) {
    return cibaLinkErrorPage('Request ended', 'The request this link belongs to has ended.', 410);
  }
  return record;
}

async function decide(ctx: IssuerContext, record: BackchannelRequestRecord, decision: 'approve' | 'deny') {
  const status = decision === 'approve' ? 'approved' : 'denied';
  const decided = await ctx.store.backchannelRequests.decide(record.id, status, ctx.clock.now());
  if (!decided && !ctx.defects.has('ciba-approval-link-reusable')) {
    return cibaLinkErrorPage('Link already used', 'This approval link was already used.', 410);
  }
  if (!decided) await ctx.store.backchannelRequests.save({ ...record, status, decidedAt: ctx.clock.now() });
  return cibaDecisionPage(decision);
}

// Seed 004: the link shows who asks, for what, and the binding message (CIBA §7.1); a GET never decides anything,
// since mail scanners open links too.
export async function handleCibaApprovalPage(ctx: IssuerContext, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const record = await linkedRequest(ctx, url.searchParams.get('request'), url.searchParams.get('secret'));
  if (record instanceof Response) return record;
  if (ctx.defects.has('ciba-link-get-approves')) return decide(ctx, record, 'approve');
  const client = await ctx.store.clients.get(record.clientId);
  const user = ctx.users.find((candidate) => candidate.sub === record.sub);
  const showBindingMessage = record.bindingMessage && !ctx.defects.has('ciba-binding-message-hidden');
  return cibaApprovalPage({
    action: ctx.endpoint('ciba/approve'),
    requestKey: record.id,
    secret: url.searchParams.get('secret')!,
    clientName: client?.client_name ?? record.clientId,
    clientId: record.clientId,
    userName: user?.name ?? record.sub,
    scopes: record.scope.split(' '),
    resource: record.resource,
    ...(showBindingMessage ? { bindingMessage: record.bindingMessage } : {}),
    linkExpiresAt: new Date(record.linkExpiresAt).toISOString(),
  });
}

// Seed 004: the decision is a POST carrying the link's secret (a cross-site form cannot know it, and a cross-origin
// Origin is refused); it ends the link: single use.
export async function handleCibaApprovalSubmit(ctx: IssuerContext, request: Request): Promise<Response> {
  const origin = request.headers.get('origin');
  if (origin !== null && origin !== new URL(ctx.issuer).origin) {
    return cibaLinkErrorPage('Refused', 'This form may only be sent from the approval page itself.', 403);
  }
  let form: URLSearchParams;
  try {
    form = await readForm(request);
  } catch (thrown) {
    return cibaLinkErrorPage('Invalid form', asOAuthError(thrown).description, 400);
  }
  const record = await linkedRequest(ctx, form.get('request'), form.get('secret'));
  if (record instanceof Response) return record;
  const decision = form.get('decision');
  if (decision !== 'approve' && decision !== 'deny') {
    return cibaLinkErrorPage('Invalid form', 'The decision must be "approve" or "deny".', 400);
  }
  return decide(ctx, record, decision);
}
