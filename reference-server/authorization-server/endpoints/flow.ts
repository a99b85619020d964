import type { FlowInput, FlowOutcome, FlowState, FormField } from '../../flows/types.ts';
import type { AuthorizationTransaction, ClientRecord, SessionRecord } from '../../store/index.ts';
import { recordActivity } from '../activity.ts';
import {
  type AuthorizationDetails,
  approveAuthorization,
  authorizationErrorRedirect,
  denyAuthorization,
} from '../authorization-response.ts';
import type { IssuerContext } from '../context.ts';
import { OAuthError } from '../errors.ts';
import { type ActiveFlowRun, resumeFlowRun } from '../flow-runs.ts';
import type { GrantAuthentication } from '../grant-authentication.ts';
import { readForm, redirectResponse } from '../http.ts';
import { csrfFailurePage, csrfTokenMatches, loadInteraction } from '../interaction.ts';
import {
  consentPage,
  errorPage,
  type FlowFormView,
  type FlowScreenField,
  flowFailedPage,
  flowScreenPage,
  mfaPage,
} from '../pages.ts';
import type { RouteSpec } from '../routes.ts';

/** Seed 004 (Flows): the pages of consent flows. */
export function flowRoutes(ctx: IssuerContext): RouteSpec[] {
  return [
    {
      path: `${ctx.path}/flow`,
      handlers: { GET: (request) => handleFlowPage(ctx, request), POST: (request) => handleFlowSubmit(ctx, request) },
    },
  ];
}

export function flowPageLocation(ctx: IssuerContext, transactionId: string): string {
  return `${ctx.endpoint('flow')}?txn=${encodeURIComponent(transactionId)}`;
}

/** A pending flow: its transaction, the browser session it is bound to, its client and its run. */
export interface FlowInteraction {
  transaction: AuthorizationTransaction;
  session: SessionRecord;
  client: ClientRecord;
  active: ActiveFlowRun;
}

const FLOW_OVER = 'This sign-in is over or has expired. Start again from the application.';

/**
 * The transaction of the request and its run. Like the built-in login, a transaction id alone is not enough: it must
 * belong to this browser's session (the `flow-transaction-unbound` defect skips that check).
 */
export async function loadFlowInteraction(
  ctx: IssuerContext,
  request: Request,
  transactionId: string | null,
): Promise<FlowInteraction | Response> {
  const interaction = ctx.defects.has('flow-transaction-unbound')
    ? await unboundInteraction(ctx, transactionId)
    : await loadInteraction(ctx, request, transactionId);
  if (interaction instanceof Response) return interaction;
  const active = ctx.flowRuns.get(ctx.issuer, interaction.transaction.id, ctx.clock.now());
  if (!active) return flowFailedPage(FLOW_OVER);
  return { ...interaction, active };
}

async function unboundInteraction(ctx: IssuerContext, transactionId: string | null) {
  const transaction = transactionId ? await ctx.store.transactions.get(transactionId) : undefined;
  const session = transaction && (await ctx.store.sessions.get(transaction.sessionId));
  const client = transaction && (await ctx.store.clients.get(transaction.clientId));
  if (!transaction || !session || !client || transaction.expiresAt <= ctx.clock.now()) {
    return flowFailedPage(FLOW_OVER);
  }
  return { transaction, session, client };
}

// OAuth 2.1 §4.1.1 (user authentication is the AS's business): the page of the run's current step, or its end.
export async function handleFlowPage(ctx: IssuerContext, request: Request): Promise<Response> {
  const interaction = await loadFlowInteraction(ctx, request, new URL(request.url).searchParams.get('txn'));
  if (interaction instanceof Response) return interaction;
  return respondToState(ctx, interaction);
}

// OAuth 2.1 §7.5.4 (RFC 9700 §4.12): a form post is answered 303, so the browser never re-sends it (credentials).
export async function handleFlowSubmit(ctx: IssuerContext, request: Request): Promise<Response> {
  let form: URLSearchParams;
  try {
    form = await readForm(request);
  } catch (thrown) {
    if (thrown instanceof OAuthError) return errorPage('Invalid form', thrown.description);
    throw thrown;
  }
  const interaction = await loadFlowInteraction(ctx, request, form.get('txn'));
  if (interaction instanceof Response) return interaction;
  const { session, active, client, transaction } = interaction;
  if (!ctx.defects.has('flow-csrf-unchecked') && !csrfTokenMatches(session, form.get('csrf_token'))) {
    return csrfFailurePage();
  }
  const before = active.run.state;
  const input = flowInput(before, form);
  if (input instanceof Response) return input;
  if (input?.kind === 'screen') active.lastInput = typedValues(form);
  const after = input ? await resumeFlowRun(ctx, active, input, client.client_id) : before;
  const location = flowPageLocation(ctx, transaction.id);
  const movedOn = after.status !== 'paused' || (before.status === 'paused' && after.screen !== before.screen);
  if (input?.kind === 'screen' && movedOn && ctx.defects.has('flow-307-after-credentials')) {
    return new Response(null, { status: 307, headers: { Location: location, 'Cache-Control': 'no-store' } });
  }
  return redirectResponse(location, 303);
}

const FORM_CONTROL_FIELDS = new Set(['txn', 'csrf_token']);

function typedValues(form: URLSearchParams): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of form) if (!FORM_CONTROL_FIELDS.has(name)) values[name] = value;
  return values;
}

/** What the posted form means for the step the run waits at; undefined when it waits for no form (e.g. upstream). */
function flowInput(state: FlowState, form: URLSearchParams): FlowInput | Response | undefined {
  switch (state.status) {
    case 'paused':
      return { kind: 'screen', fields: typedValues(form) };
    case 'mfa':
      return { kind: 'mfa', code: (form.get('otp') ?? '').trim() };
    case 'consent': {
      const decision = form.get('decision');
      if (decision !== 'approve' && decision !== 'deny') {
        return errorPage('Invalid consent form', 'The decision must be "approve" or "deny".');
      }
      return { kind: 'consent', approve: decision === 'approve' };
    }
    default:
      return undefined;
  }
}

/** The response to the run's state: a page, the upstream, or the end of the authorization request. */
export async function respondToState(ctx: IssuerContext, interaction: FlowInteraction): Promise<Response> {
  const { active, transaction, session, client } = interaction;
  const state = active.run.state;
  const form: FlowFormView = {
    action: ctx.endpoint('flow'),
    transactionId: transaction.id,
    csrfToken: session.csrfToken,
    clientName: client.client_name ?? client.client_id,
    errors: [],
  };
  switch (state.status) {
    case 'paused':
      return flowScreenPage({
        ...form,
        errors: screenErrors(ctx, active, state),
        fields: screenFields(ctx, active, state.fields),
      });
    case 'mfa':
      return mfaPage({ ...form, errors: state.errors, ...(state.enrollment ? { enrollment: state.enrollment } : {}) });
    case 'consent':
      return consentPage({
        ...form,
        clientId: client.client_id,
        redirectHost: new URL(transaction.redirectUri).host || transaction.redirectUri,
        scopes: state.scopes,
        resource: transaction.resource,
        userName: active.run.context.user?.email ?? active.run.context.user?.id ?? 'you',
      });
    case 'redirect':
      return redirectResponse(state.location, 302);
    case 'done':
      return completeFlow(ctx, interaction, state.outcome, 302);
    case 'denied':
      await endFlow(ctx, active);
      return denyAuthorization(ctx, redirectTarget(ctx, transaction), 302);
    case 'failed':
      await endFlow(ctx, active);
      return failedFlowResponse(ctx, active, transaction, state);
  }
}

/** Seed 000: wrong credentials lead back to the screen, which says so (the `login-error-hidden` defect does not). */
function screenErrors(
  ctx: IssuerContext,
  active: ActiveFlowRun,
  state: Extract<FlowState, { status: 'paused' }>,
): string[] {
  if (ctx.defects.has('login-error-hidden')) return [];
  if (state.errors.length > 0) return state.errors;
  return active.refused ? ['Sign-in failed: those credentials were not accepted. Check them and try again.'] : [];
}

/** Typed values come back after a refused post, except passwords (the `password-echoed` defect echoes them too). */
function screenFields(ctx: IssuerContext, active: ActiveFlowRun, fields: FormField[]): FlowScreenField[] {
  const echoPasswords = ctx.defects.has('password-echoed');
  return fields.map((field) => {
    const typed = active.lastInput[field.name];
    const shown = typed !== undefined && (field.type !== 'password' || echoPasswords);
    return { name: field.name, type: field.type, required: field.required, ...(shown ? { value: typed } : {}) };
  });
}

async function endFlow(ctx: IssuerContext, active: ActiveFlowRun): Promise<void> {
  ctx.flowRuns.finish(active.transactionId);
  await ctx.store.transactions.delete(active.transactionId);
}

/** Where the authorization response goes (the `flow-drops-state` defect forgets `state`). */
function redirectTarget(ctx: IssuerContext, transaction: AuthorizationTransaction): AuthorizationDetails {
  const { id: _id, issuer: _issuer, sessionId: _session, expiresAt: _expires, state, ...details } = transaction;
  return state === undefined || ctx.defects.has('flow-drops-state') ? details : { ...details, state };
}

/** What a finished flow approves: the user, the scope they consented to, and how they signed in. */
export interface FlowApproval {
  details: AuthorizationDetails;
  sub: string;
  authentication: GrantAuthentication;
}

export function flowApproval(
  ctx: IssuerContext,
  active: ActiveFlowRun,
  transaction: AuthorizationTransaction,
  outcome: FlowOutcome,
): FlowApproval {
  const custom = ctx.defects.has('flow-custom-claims-dropped') ? {} : outcome.claims;
  const email: Record<string, string> = outcome.user.email ? { email: outcome.user.email } : {};
  const authentication: GrantAuthentication = {
    claims: { ...custom, ...email },
    amr: outcome.amr ?? [],
    ...(outcome.acr !== undefined ? { acr: outcome.acr } : {}),
    authTime: ctx.clock.now(),
    flowId: active.flowId,
  };
  const scope = outcome.scope ?? transaction.scope;
  return { details: { ...redirectTarget(ctx, transaction), scope }, sub: outcome.user.id, authentication };
}

/** OAuth 2.1 §4.1.2: the flow ended with a user, so the code is issued (once: the run and transaction end here). */
async function completeFlow(
  ctx: IssuerContext,
  { active, transaction, client }: FlowInteraction,
  outcome: FlowOutcome,
  status: 302 | 303,
): Promise<Response> {
  await endFlow(ctx, active);
  const approval = flowApproval(ctx, active, transaction, outcome);
  await recordActivity(ctx, {
    kind: 'login',
    sub: approval.sub,
    clientId: client.client_id,
    summary: `${outcome.user.email ?? approval.sub} signed in through flow ${active.flowId}`,
    details: { flow: active.flowId, amr: approval.authentication.amr },
  });
  return approveAuthorization(ctx, approval.details, approval.sub, status, approval.authentication);
}

function failedAtUpstream(
  ctx: IssuerContext,
  active: ActiveFlowRun,
  state: Extract<FlowState, { status: 'failed' }>,
): boolean {
  const step = ctx.flows.get(active.flowId)?.steps.find((candidate) => candidate.id === state.stepId);
  return step?.kind === 'federate-oidc' || step?.kind === 'federate-saml';
}

/**
 * A failed flow: the user sees why (role="alert"), the client gets no code. An upstream's own error answer goes back
 * to the client as `error` (OAuth 2.1 §4.1.2.1). The `upstream-error-unhandled` defect lets upstream failures
 * escape as a bare 500 with the exception text.
 */
function failedFlowResponse(
  ctx: IssuerContext,
  active: ActiveFlowRun,
  transaction: AuthorizationTransaction,
  state: Extract<FlowState, { status: 'failed' }>,
): Response {
  if (
    ctx.defects.has('upstream-error-unhandled') &&
    failedAtUpstream(ctx, active, state) &&
    /\b5\d\d\b/.test(state.reason)
  ) {
    return new Response(`Error: ${state.reason}`, { status: 500, headers: { 'Content-Type': 'text/plain' } });
  }
  const { error } = state;
  if (error) return authorizationErrorRedirect(ctx, redirectTarget(ctx, transaction), error, state.reason);
  return flowFailedPage(`The sign-in failed: ${state.reason}`);
}
