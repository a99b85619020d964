import samlify from 'samlify';
import type { FlowInput } from '../../flows/types.ts';
import { approveAuthorization } from '../authorization-response.ts';
import type { IssuerContext } from '../context.ts';
import { errorResponse, OAuthError } from '../errors.ts';
import { type ActiveFlowRun, resumeFlowRun } from '../flow-runs.ts';
import { readForm, redirectResponse } from '../http.ts';
import { currentSession } from '../interaction.ts';
import { errorPage, flowFailedPage } from '../pages.ts';
import type { RouteSpec } from '../routes.ts';
import { flowApproval, flowPageLocation } from './flow.ts';

const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const UNKNOWN_CALLBACK =
  'This answer of the identity provider belongs to no sign-in in progress (unknown, used or expired).';

/** Seed 004: where upstream OpenID providers and tenant SAML IdPs send the browser back. */
export function federationRoutes(ctx: IssuerContext): RouteSpec[] {
  return [
    { path: `${ctx.path}/federation/oidc/callback`, handlers: { GET: (request) => handleOidcCallback(ctx, request) } },
    {
      path: `${ctx.path}/federation/saml/acs`,
      handlers: { POST: (request) => handleSamlAcs(ctx, request), GET: (request) => handleSamlAcsGet(ctx, request) },
    },
    { path: `${ctx.path}/federation/saml/metadata`, handlers: { GET: async () => handleSamlMetadata(ctx) } },
  ];
}

// OIDC Core §3.1.2.5–§3.1.2.6 (RFC 6749 §4.1.2): the upstream's code or error; `state` finds the run, once.
export async function handleOidcCallback(ctx: IssuerContext, request: Request): Promise<Response> {
  const query = new URL(request.url).searchParams;
  const state = query.get('state');
  const active =
    ctx.flowRuns.byCorrelation(ctx.issuer, state, ctx.clock.now()) ?? (await runIgnoringState(ctx, request));
  if (!active) return replayedCallback(ctx, state);
  return continueRun(ctx, active, { kind: 'oidc-callback', query }, state);
}

/** The `oidc-state-unchecked` defect: a callback with an unknown state goes to this browser's run at the upstream. */
async function runIgnoringState(ctx: IssuerContext, request: Request): Promise<ActiveFlowRun | undefined> {
  if (!ctx.defects.has('oidc-state-unchecked')) return undefined;
  const session = await currentSession(ctx, request);
  return session ? ctx.flowRuns.waitingRunOfSession(ctx.issuer, session.id, ctx.clock.now()) : undefined;
}

/** A callback whose run is gone: refused, unless the `oidc-callback-replayable` defect answers it again. */
async function replayedCallback(ctx: IssuerContext, state: string | null): Promise<Response> {
  const answered = ctx.defects.has('oidc-callback-replayable') ? ctx.flowRuns.answeredCallback(state) : undefined;
  if (!answered) return flowFailedPage(UNKNOWN_CALLBACK);
  return approveAuthorization(ctx, answered.details, answered.sub, 302, answered.authentication);
}

async function continueRun(
  ctx: IssuerContext,
  active: ActiveFlowRun,
  input: FlowInput,
  correlation: string | null,
): Promise<Response> {
  const transaction = await ctx.store.transactions.get(active.transactionId);
  if (!transaction) return flowFailedPage(UNKNOWN_CALLBACK);
  const after = await resumeFlowRun(ctx, active, input, transaction.clientId);
  if (after.status === 'done' && correlation && ctx.defects.has('oidc-callback-replayable')) {
    ctx.flowRuns.rememberCallback(correlation, flowApproval(ctx, active, transaction, after.outcome));
  }
  return redirectResponse(flowPageLocation(ctx, active.transactionId), 303);
}

// SAML Bindings §3.5 (HTTP-POST), Profiles §4.1.4.5: the IdP's Response is posted by the browser; RelayState finds the run.
export async function handleSamlAcs(ctx: IssuerContext, request: Request): Promise<Response> {
  let form: URLSearchParams;
  try {
    form = await readForm(request);
  } catch (thrown) {
    if (thrown instanceof OAuthError) return errorPage('Invalid SAML response', thrown.description);
    throw thrown;
  }
  return acceptSamlResponse(ctx, form);
}

async function acceptSamlResponse(ctx: IssuerContext, form: URLSearchParams): Promise<Response> {
  if (!form.get('SAMLResponse')) return errorPage('Invalid SAML response', 'SAMLResponse is missing.');
  const relayState = form.get('RelayState');
  const active = ctx.flowRuns.byCorrelation(ctx.issuer, relayState, ctx.clock.now());
  if (!active) return flowFailedPage(UNKNOWN_CALLBACK);
  return continueRun(ctx, active, { kind: 'saml-response', form }, relayState);
}

// SAML Profiles §4.1.4.5: the Web SSO Response arrives by HTTP-POST only (the `saml-acs-accepts-get` defect takes GET).
export async function handleSamlAcsGet(ctx: IssuerContext, request: Request): Promise<Response> {
  if (ctx.defects.has('saml-acs-accepts-get')) return acceptSamlResponse(ctx, new URL(request.url).searchParams);
  return errorPage('Method not allowed', 'The Assertion Consumer Service takes SAML responses by HTTP-POST only.', 405);
}

// SAML Metadata §2.4.4: the SP's entity ID, that it wants signed assertions, and its ACS (HTTP-POST binding).
export function handleSamlMetadata(ctx: IssuerContext): Response {
  if (ctx.defects.has('saml-sp-metadata-missing')) {
    return errorResponse(new OAuthError('not_found', 'no SAML service provider metadata is published here', 404));
  }
  const metadata = samlify
    .ServiceProvider({
      entityID: ctx.endpoint('federation/saml/metadata'),
      wantAssertionsSigned: true,
      assertionConsumerService: [{ Binding: BINDING_POST, Location: ctx.endpoint('federation/saml/acs') }],
    })
    .getMetadata();
  return new Response(metadata, {
    status: 200,
    headers: { 'Content-Type': 'application/samlmetadata+xml', 'Cache-Control': 'no-store' },
  });
}
