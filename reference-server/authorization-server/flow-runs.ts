/**
 * Consent flows at /authorize (seed 004 Flows): each pending authorization request of a flow client has one run, kept
 * in memory by transaction id, and by correlation (OIDC `state`, SAML `RelayState`) while it waits at an upstream.
 */

import type { Fetch } from '../../harness/network/types.ts';
import { type FlowRun, startFlow } from '../flows/engine.ts';
import type { Flow, FlowDeps, FlowInput, FlowRequest, FlowState } from '../flows/types.ts';
import type { AuthorizationTransaction, ClientRecord } from '../store/index.ts';
import { recordActivity } from './activity.ts';
import type { AuthorizationDetails } from './authorization-response.ts';
import type { IssuerContext } from './context.ts';
import { StoreUserDirectory, storeConsentMemory } from './flow-users.ts';
import type { GrantAuthentication } from './grant-authentication.ts';
import { parseCookies } from './http.ts';
import { scopeItems } from './tokens.ts';

export interface ActiveFlowRun {
  run: FlowRun;
  flowId: string;
  issuer: string;
  transactionId: string;
  /** The browser session the transaction is bound to. */
  sessionId: string;
  expiresAt: number;
  /** What the browser last typed on a screen, shown again (never a password). */
  lastInput: Record<string, string>;
  /** The last screen post led straight back to the same screen: the credentials were refused. */
  refused: boolean;
}

/** A federation callback already answered, kept only under the `oidc-callback-replayable` defect. */
export interface AnsweredCallback {
  details: AuthorizationDetails;
  sub: string;
  authentication: GrantAuthentication;
}

export class FlowRuns {
  readonly #runs = new Map<string, ActiveFlowRun>();
  readonly #correlations = new Map<string, string>();
  readonly #answeredCallbacks = new Map<string, AnsweredCallback>();
  readonly #authnRequests = new Map<string, Set<string>>();
  /** Identity-system answers by request, kept only under the `session-token-not-validated` defect. */
  readonly validations = new Map<string, { status: number; headers: [string, string][]; body: string }>();

  add(active: ActiveFlowRun): void {
    this.#runs.set(active.transactionId, active);
  }

  /** The unexpired run of a transaction at this issuer. */
  get(issuer: string, transactionId: string | null | undefined, now: number): ActiveFlowRun | undefined {
    const active = transactionId ? this.#runs.get(transactionId) : undefined;
    if (!active || active.issuer !== issuer) return undefined;
    if (active.expiresAt <= now) {
      this.finish(active.transactionId);
      return undefined;
    }
    return active;
  }

  /** The upstream echoes `correlation` back; the callback finds the run by it (once it has been answered, no more). */
  correlate(correlation: string, transactionId: string): void {
    this.#correlations.set(correlation, transactionId);
  }

  byCorrelation(issuer: string, correlation: string | null | undefined, now: number): ActiveFlowRun | undefined {
    const transactionId = correlation ? this.#correlations.get(correlation) : undefined;
    return transactionId === undefined ? undefined : this.get(issuer, transactionId, now);
  }

  /** The run of a browser session that waits at an upstream (`redirect` state), whatever its correlation. */
  waitingRunOfSession(issuer: string, sessionId: string, now: number): ActiveFlowRun | undefined {
    const waiting = [...this.#runs.values()].find(
      (active) => active.sessionId === sessionId && active.run.state.status === 'redirect',
    );
    return waiting ? this.get(issuer, waiting.transactionId, now) : undefined;
  }

  /** Forgets a correlation once its callback arrived: a replayed callback finds nothing. */
  uncorrelate(correlation: string): void {
    this.#correlations.delete(correlation);
  }

  finish(transactionId: string): void {
    this.#runs.delete(transactionId);
    for (const [correlation, id] of this.#correlations) {
      if (id === transactionId) this.#correlations.delete(correlation);
    }
  }

  /** SAML AuthnRequest IDs sent for one browser session (a response must answer one of them). */
  authnRequestsOf(sessionId: string): Set<string> {
    let requests = this.#authnRequests.get(sessionId);
    if (!requests) {
      requests = new Set();
      this.#authnRequests.set(sessionId, requests);
    }
    return requests;
  }

  rememberCallback(correlation: string, answered: AnsweredCallback): void {
    this.#answeredCallbacks.set(correlation, answered);
  }

  answeredCallback(correlation: string | null | undefined): AnsweredCallback | undefined {
    return correlation ? this.#answeredCallbacks.get(correlation) : undefined;
  }
}

/** Seed 000 (existing session token): the cookies of the /authorize request the deployment lets flows read. */
function flowCookies(ctx: IssuerContext, request: Request): Record<string, string> {
  if (ctx.defects.has('session-token-ignored')) return {};
  const cookies = parseCookies(request);
  const allowed: Record<string, string> = {};
  for (const name of ctx.flowCookies) {
    const value = cookies.get(name);
    if (value !== undefined) allowed[name] = value;
  }
  return allowed;
}

/**
 * The `session-token-not-validated` defect: the first successful answer of the identity system about a session
 * token is kept and reused, so the token is never checked again (a revoked session still signs in).
 */
function trustingFetch(ctx: IssuerContext): Fetch {
  const cache = ctx.flowRuns.validations;
  return async (input, init) => {
    const request = new Request(input, init);
    if (request.method !== 'GET') return ctx.fetch(request);
    const key = JSON.stringify([request.url, request.headers.get('authorization'), request.headers.get('cookie')]);
    const cached = cache.get(key);
    if (cached) return new Response(cached.body, { status: cached.status, headers: cached.headers });
    const response = await ctx.fetch(request);
    if (!response.ok) return response;
    const body = await response.text();
    cache.set(key, { status: response.status, headers: [...response.headers], body });
    return new Response(body, { status: response.status, headers: response.headers });
  };
}

function flowRequest(ctx: IssuerContext, request: Request, transaction: AuthorizationTransaction): FlowRequest {
  return {
    issuer: ctx.issuer,
    clientId: transaction.clientId,
    scope: transaction.scope,
    scopes: scopeItems(transaction.scope),
    resource: transaction.resource,
    cookies: flowCookies(ctx, request),
  };
}

/** Every issuer (root or tenant) is its own relying party and SAML SP, at its own federation endpoints. */
export function issuerFederation(ctx: IssuerContext): NonNullable<FlowDeps['federation']> {
  const redirectUri = ctx.endpoint('federation/oidc/callback');
  const sp = { spEntityId: ctx.endpoint('federation/saml/metadata'), acsUrl: ctx.endpoint('federation/saml/acs') };
  return {
    oidc: (ctx.federation.oidc ?? []).map((connection) => ({ ...connection, redirectUri })),
    saml: (ctx.federation.saml ?? []).map((connection) => ({ ...connection, ...sp })),
  };
}

function flowDeps(
  ctx: IssuerContext,
  request: Request,
  transaction: AuthorizationTransaction,
  client: ClientRecord,
  flowId: string,
): FlowDeps {
  return {
    fetch: ctx.defects.has('session-token-not-validated') ? trustingFetch(ctx) : ctx.fetch,
    users: new StoreUserDirectory(ctx, { clientId: client.client_id, flowId }),
    now: () => ctx.clock.now(),
    request: flowRequest(ctx, request, transaction),
    consents: storeConsentMemory(ctx),
    skipConsent: client.skip_consent === true,
    federation: issuerFederation(ctx),
    // Nonces, assertion IDs and TOTP codes share the store's one-time IDs, in a namespace of their own.
    useOnce: (id, expiresAtMs) =>
      ctx.store.assertionIds.use(`flow:${id}`, Math.ceil(expiresAtMs / 1000), Math.floor(ctx.clock.now() / 1000)),
    authnRequests: ctx.flowRuns.authnRequestsOf(transaction.sessionId),
    defects: ctx.defects,
  };
}

/** Starts the client's flow for a saved transaction: the run goes as far as it can without the browser. */
export async function startFlowRun(
  ctx: IssuerContext,
  request: Request,
  transaction: AuthorizationTransaction,
  client: ClientRecord,
  flow: Flow,
): Promise<ActiveFlowRun> {
  const run = await startFlow(flow, flowDeps(ctx, request, transaction, client, flow.id));
  const active: ActiveFlowRun = {
    run,
    flowId: flow.id,
    issuer: ctx.issuer,
    transactionId: transaction.id,
    sessionId: transaction.sessionId,
    expiresAt: transaction.expiresAt,
    lastInput: {},
    refused: false,
  };
  ctx.flowRuns.add(active);
  await afterTransition(ctx, active, undefined, run.state, client.client_id);
  return active;
}

/** Continues a run with what the browser (or an upstream, through it) brought back. */
export async function resumeFlowRun(
  ctx: IssuerContext,
  active: ActiveFlowRun,
  input: FlowInput,
  clientId: string,
): Promise<FlowState> {
  const before = active.run.state;
  const after = await active.run.resume(input);
  if (before.status === 'redirect') ctx.flowRuns.uncorrelate(before.correlation);
  await afterTransition(ctx, active, before, after, clientId);
  return after;
}

/** Keeps the correlation index current and writes the audit log (seed 004: sign-ins, refusals, consent, MFA). */
async function afterTransition(
  ctx: IssuerContext,
  active: ActiveFlowRun,
  before: FlowState | undefined,
  after: FlowState,
  clientId: string,
): Promise<void> {
  if (after.status === 'redirect') ctx.flowRuns.correlate(after.correlation, active.transactionId);
  active.refused =
    before?.status === 'paused' &&
    after.status === 'paused' &&
    after.screen === before.screen &&
    after.errors.length === 0;
  const sub = active.run.context.user?.id;
  const event = { clientId, ...(sub ? { sub } : {}) };
  const details = { flow: active.flowId };
  if (active.refused) {
    await recordActivity(ctx, {
      kind: 'login-failed',
      ...event,
      summary: `flow ${active.flowId}: the sign-in was refused`,
      details: { ...details, reason: 'credentials refused' },
    });
  }
  if (after.status === 'failed' && before?.status !== 'failed') {
    await recordActivity(ctx, {
      kind: 'login-failed',
      ...event,
      summary: `flow ${active.flowId} failed: ${after.reason}`,
      details: { ...details, reason: after.reason },
    });
  }
  if (before?.status === 'mfa') await recordMfaOutcome(ctx, active, before, after, event);
  if (before?.status === 'consent' && after.status !== 'consent') {
    const granted = after.status !== 'denied' && after.status !== 'failed';
    await recordActivity(ctx, {
      kind: granted ? 'consent-granted' : 'consent-denied',
      ...event,
      summary: `${granted ? 'granted' : 'denied'} ${clientId} the scopes ${before.scopes.join(' ')}`,
      details: { ...details, scopes: before.scopes },
    });
  }
}

async function recordMfaOutcome(
  ctx: IssuerContext,
  active: ActiveFlowRun,
  before: Extract<FlowState, { status: 'mfa' }>,
  after: FlowState,
  event: { clientId: string; sub?: string },
): Promise<void> {
  const details = { flow: active.flowId, method: 'totp' };
  if (after.status === 'mfa' || after.status === 'failed') {
    await recordActivity(ctx, { kind: 'mfa-failed', ...event, summary: 'a TOTP code was refused', details });
  } else if (before.enrollment) {
    await recordActivity(ctx, { kind: 'mfa-enrolled', ...event, summary: 'enrolled a TOTP authenticator', details });
  }
}
