/** The flow interpreter: runs steps until the user or an upstream must answer, the flow ends, or a step fails. */

import { renderClaims } from './claims.ts';
import { evaluateCondition } from './conditions.ts';
import { callConnector } from './connector.ts';
import { rememberConsent, scopesToAsk } from './consent.ts';
import { hasDefect } from './defects.ts';
import { beginOidc, finishOidc, type OidcPending } from './federation/oidc.ts';
import { beginSaml, finishSaml, type SamlPending } from './federation/saml.ts';
import { readScreenInput } from './form.ts';
import { provisionUser } from './generate-jwt.ts';
import { successorOf } from './successor.ts';
import { renderText } from './templates.ts';
import { acceptsCode, INVALID_CODE_MESSAGE, newEnrollment, TOTP_SECRET_ATTRIBUTE } from './totp.ts';
import type {
  ConditionStep,
  ConnectorStep,
  ConsentStep,
  FederateOidcStep,
  FederateSamlStep,
  Flow,
  FlowContext,
  FlowDeps,
  FlowInput,
  FlowState,
  FlowUser,
  MfaStep,
  MissingValuePolicy,
  ScreenStep,
  Step,
} from './types.ts';
import { ClientVisibleFlowError, FlowError } from './types.ts';
import { validateFlow } from './validate.ts';

export const DEFAULT_MAX_STEPS = 100;

export interface FlowRun {
  readonly state: FlowState;
  readonly context: FlowContext;
  /** Answers the paused screen: `resume({ kind: 'screen', fields })`. */
  submit(fields: Record<string, unknown>): Promise<FlowState>;
  /** Continues a run that waits for input of the matching kind; otherwise the state is returned unchanged. */
  resume(input: FlowInput): Promise<FlowState>;
}

/** Validates the flow, then runs it up to the first pause (or to its end). */
export async function startFlow(flow: Flow, deps: FlowDeps): Promise<FlowRun> {
  const run = new Run(flow, deps);
  const ignored = hasDefect(deps, 'generate-jwt-without-login-id') ? 'missing-login-id' : undefined;
  const issues = validateFlow(flow).filter((issue) => issue.code === undefined || issue.code !== ignored);
  if (issues.length > 0) {
    run.fail(`invalid flow ${flow.id}: ${issues.map((issue) => issue.message).join('; ')}`);
    return run;
  }
  const first = flow.steps[0]!.id;
  await run.drive(first, async () => first);
  return run;
}

/** What a stopped run waits for; `kind` names the FlowInput that continues it. */
type Waiting =
  | { kind: 'screen'; step: ScreenStep }
  | { kind: 'oidc-callback'; step: FederateOidcStep; pending: OidcPending }
  | { kind: 'saml-response'; step: FederateSamlStep; pending: SamlPending }
  | { kind: 'mfa'; step: MfaStep; secret: string; enrolling: boolean }
  | { kind: 'consent'; step: ConsentStep; scopes: string[] };

/** RFC 8176 §2, in the order they can happen in a flow. */
type AuthenticationMethod = 'pwd' | 'fed' | 'otp';

class Run implements FlowRun {
  state: FlowState = { status: 'failed', reason: 'not started' };
  readonly context: FlowContext;
  private executed = 0;
  private stopped = false;
  private waiting: Waiting | undefined;
  private readonly methods = new Set<AuthenticationMethod>();
  private acr: string | undefined;
  /** A deliberate defect turned a failed connector call into an answer (the typed username then stands in). */
  private connectorFailureAccepted = false;
  private readonly steps: Map<string, Step>;
  private readonly deps: FlowDeps;
  private readonly maxSteps: number;
  private readonly onMissing: MissingValuePolicy;

  constructor(
    private readonly flow: Flow,
    deps: FlowDeps,
  ) {
    this.steps = new Map(flow.steps.map((step) => [step.id, step]));
    this.deps = { ...deps, useOnce: deps.useOnce ?? memoryOnce(), authnRequests: deps.authnRequests ?? new Set() };
    this.maxSteps = deps.maxSteps ?? DEFAULT_MAX_STEPS;
    this.onMissing = flow.onMissingValue ?? 'empty';
    this.context = { form: {}, connectors: {}, claims: {}, ...(deps.request ? { request: deps.request } : {}) };
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  fail(reason: string, stepId?: string, error?: string): void {
    this.stopped = true;
    this.waiting = undefined;
    this.state = {
      status: 'failed',
      reason,
      ...(stepId === undefined ? {} : { stepId }),
      ...(error === undefined ? {} : { error }),
    };
  }

  submit(fields: Record<string, unknown>): Promise<FlowState> {
    return this.resume({ kind: 'screen', fields });
  }

  async resume(input: FlowInput): Promise<FlowState> {
    const waiting = this.waiting;
    if (!waiting || waiting.kind !== input.kind) return this.state;
    this.waiting = undefined;
    await this.drive(waiting.step.id, () => this.answer(waiting, input));
    return this.state;
  }

  /** Runs `first` (a step or an answer to one), then steps until the run stops; any error fails the run. */
  async drive(stepId: string, first: () => Promise<string | undefined>): Promise<void> {
    let at = stepId;
    this.stopped = false;
    try {
      let current = await first();
      while (current !== undefined) {
        const step = this.steps.get(current);
        if (!step) throw new FlowError(`unknown step ${current}`);
        at = step.id;
        // No infinite loops: conditions may jump backwards, so every run has a step budget.
        if (++this.executed > this.maxSteps) throw new FlowError(`step limit of ${this.maxSteps} exceeded (a loop?)`);
        current = await this.execute(step);
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.fail(reason, at, error instanceof ClientVisibleFlowError ? error.error : undefined);
      return;
    }
    if (!this.stopped) this.fail('flow ran past its last step without an end step', at);
  }

  private wait(waiting: Waiting, state: FlowState): undefined {
    this.stopped = true;
    this.waiting = waiting;
    this.state = state;
    return undefined;
  }

  private pause(step: ScreenStep, errors: string[]): undefined {
    return this.wait(
      { kind: 'screen', step },
      { status: 'paused', screen: step.id, fields: step.fields, message: `needs input: screen ${step.id}`, errors },
    );
  }

  /** Runs one step; returns the id of the next step, or undefined when the run stops. */
  private async execute(step: Step): Promise<string | undefined> {
    const { context, onMissing } = this;
    switch (step.kind) {
      case 'screen':
        return this.pause(step, []);
      case 'connector':
        await this.callConnector(step);
        break;
      case 'set-form':
        // Seed 000: map the connector response (user ID, email) into the flow context.
        for (const [name, template] of Object.entries(step.values)) {
          context.form[name] = this.formValue(name, renderText(template, context, onMissing));
        }
        break;
      case 'condition':
        return this.branch(step);
      case 'generate-jwt':
        this.standInTypedUsername();
        context.user = await provisionUser(step, context, this.deps);
        break;
      case 'update-user':
        context.user = await this.updateUser(step.id, step.attributes);
        break;
      case 'custom-claims':
        // Seed 001: custom claims follow Generate JWT and may read connector responses.
        Object.assign(context.claims, renderClaims(step, context, onMissing));
        break;
      case 'federate-oidc':
        return this.federateOidc(step);
      case 'federate-saml':
        return this.federateSaml(step);
      case 'mfa':
        if (hasDefect(this.deps, 'mfa-not-enforced')) break;
        return this.askForCode(step, this.requireUser(step), []);
      case 'consent':
        return this.askForConsent(step);
      case 'end':
        return this.finish(step.id);
    }
    return successorOf(this.flow, step);
  }

  /** Continues a waiting step with the input it asked for; returns the next step, or undefined when it waits again. */
  private async answer(waiting: Waiting, input: FlowInput): Promise<string | undefined> {
    if (waiting.kind === 'screen' && input.kind === 'screen') return this.answerScreen(waiting.step, input.fields);
    if (waiting.kind === 'oidc-callback' && input.kind === 'oidc-callback') {
      return this.federated(waiting.step, await finishOidc(waiting.pending, input.query, this.deps));
    }
    if (waiting.kind === 'saml-response' && input.kind === 'saml-response') {
      return this.federated(waiting.step, await finishSaml(waiting.pending, input.form, this.deps));
    }
    if (waiting.kind === 'mfa' && input.kind === 'mfa') return this.answerCode(waiting, input.code);
    if (waiting.kind === 'consent' && input.kind === 'consent') return this.answerConsent(waiting, input.approve);
    return undefined;
  }

  private answerScreen(step: ScreenStep, fields: Record<string, unknown>): string | undefined {
    const input = readScreenInput(step.fields, fields ?? {});
    if (input.errors.length > 0) return this.pause(step, input.errors);
    Object.assign(this.context.form, input.values);
    // RFC 8176 §2 "pwd": the user typed a password (checked by whatever the flow calls next).
    if (step.fields.some((field) => field.type === 'password')) this.methods.add('pwd');
    return successorOf(this.flow, step);
  }

  private async callConnector(step: ConnectorStep): Promise<void> {
    const { context, deps } = this;
    if (hasDefect(deps, 'connector-failure-creates-user')) {
      const typed = context.form.email || context.form.username;
      if (typed) await deps.users.create({ email: typed });
    }
    const call = await callConnector(step, context, deps, this.onMissing);
    context.connectors[step.name] = call.response;
    if (call.failureAccepted) this.connectorFailureAccepted = true;
  }

  private formValue(name: string, value: string): string {
    const typed = this.context.form.username;
    return name === 'email' && typed && hasDefect(this.deps, 'flow-email-from-form') ? typed : value;
  }

  /** Under a defect that accepted a failed connector call, the typed username becomes the login ID. */
  private standInTypedUsername(): void {
    const { form } = this.context;
    if (this.connectorFailureAccepted && !form.email && !form.externalId && form.username) form.email = form.username;
  }

  private branch(step: ConditionStep): string {
    if (hasDefect(this.deps, 'mfa-always')) {
      // The defect: a condition with an MFA step on one of its branches always takes that branch.
      const toMfa = [step.whenTrue, step.whenFalse].find((id) => this.steps.get(id)?.kind === 'mfa');
      if (toMfa) return toMfa;
    }
    return evaluateCondition(step.if, this.context) ? step.whenTrue : step.whenFalse;
  }

  private async federateOidc(step: FederateOidcStep): Promise<undefined> {
    const connection = this.deps.federation?.oidc?.find((candidate) => candidate.name === step.connection);
    if (!connection) throw new FlowError(`federate-oidc ${step.id}: no OIDC connection named ${step.connection}`);
    const correlation = newCorrelation();
    const { location, pending } = await beginOidc(step, connection, correlation, this.deps);
    return this.wait(
      { kind: 'oidc-callback', step, pending },
      { status: 'redirect', stepId: step.id, location, correlation },
    );
  }

  private federateSaml(step: FederateSamlStep): undefined {
    const connection = this.deps.federation?.saml?.find((candidate) => candidate.name === step.connection);
    if (!connection) throw new FlowError(`federate-saml ${step.id}: no SAML connection named ${step.connection}`);
    const correlation = newCorrelation();
    const { location, pending } = beginSaml(connection, correlation, this.deps);
    return this.wait(
      { kind: 'saml-response', step, pending },
      { status: 'redirect', stepId: step.id, location, correlation },
    );
  }

  private federated(step: FederateOidcStep | FederateSamlStep, identity: FlowContext['federated']): string | undefined {
    this.context.federated = identity;
    this.methods.add('fed');
    return successorOf(this.flow, step);
  }

  private requireUser(step: Step): FlowUser {
    const user = this.context.user;
    if (!user) throw new FlowError(`${step.kind} ${step.id}: no user yet; run generate-jwt first`);
    return user;
  }

  /** RFC 6238: a user without an authenticator is shown a new secret to enrol, kept once the first code matches. */
  private askForCode(step: MfaStep, user: FlowUser, errors: string[], pending?: { secret: string }): undefined {
    const existing = user.attributes[TOTP_SECRET_ATTRIBUTE];
    if (existing) return this.wait({ kind: 'mfa', step, secret: existing, enrolling: false }, mfaState(step, errors));
    const enrollment = newEnrollment(this.totpIssuer(), user, pending?.secret);
    return this.wait(
      { kind: 'mfa', step, secret: enrollment.secret, enrolling: true },
      { ...mfaState(step, errors), enrollment },
    );
  }

  private totpIssuer(): string {
    return this.deps.request ? new URL(this.deps.request.issuer).host : 'mcp-auth-conformance';
  }

  private async answerCode(waiting: Extract<Waiting, { kind: 'mfa' }>, code: string): Promise<string | undefined> {
    const { step, secret, enrolling } = waiting;
    const user = this.requireUser(step);
    if (!(await acceptsCode(secret, user, code, this.now(), this.deps))) {
      return this.askForCode(step, user, [INVALID_CODE_MESSAGE], enrolling ? { secret } : undefined);
    }
    if (enrolling) this.context.user = await this.deps.users.update(user.id, { [TOTP_SECRET_ATTRIBUTE]: secret });
    if (!hasDefect(this.deps, 'mfa-amr-missing')) {
      this.methods.add('otp');
      this.acr = step.acr;
    }
    return successorOf(this.flow, step);
  }

  private async askForConsent(step: ConsentStep): Promise<string | undefined> {
    const scopes = await scopesToAsk(this.deps, this.requireUser(step), step.id);
    if (scopes === undefined) return successorOf(this.flow, step);
    return this.wait({ kind: 'consent', step, scopes }, { status: 'consent', stepId: step.id, scopes });
  }

  private async answerConsent(
    waiting: Extract<Waiting, { kind: 'consent' }>,
    approve: boolean,
  ): Promise<string | undefined> {
    const { step, scopes } = waiting;
    if (approve) await rememberConsent(this.deps, this.requireUser(step), scopes, step.id);
    else if (!hasDefect(this.deps, 'consent-deny-issues-code')) {
      this.stopped = true;
      this.state = { status: 'denied', reason: 'the user declined consent' };
      return undefined;
    }
    return successorOf(this.flow, step);
  }

  private finish(stepId: string): undefined {
    const { context } = this;
    if (!context.user) throw new FlowError(`end ${stepId}: reached before any generate-jwt step`);
    this.stopped = true;
    const methods: AuthenticationMethod[] = ['pwd', 'fed', 'otp'];
    this.state = {
      status: 'done',
      outcome: {
        user: context.user,
        claims: { ...context.claims },
        amr: methods.filter((method) => this.methods.has(method)),
        ...(this.acr === undefined ? {} : { acr: this.acr }),
        scope: this.deps.request?.scope ?? '',
      },
    };
    return undefined;
  }

  private async updateUser(stepId: string, templates: Record<string, string>) {
    const user = this.context.user;
    if (!user) throw new FlowError(`update-user ${stepId}: no user yet; run generate-jwt first`);
    const attributes: Record<string, string> = {};
    for (const [name, template] of Object.entries(templates)) {
      attributes[name] = renderText(template, this.context, this.onMissing);
    }
    return this.deps.users.update(user.id, attributes);
  }
}

function mfaState(step: MfaStep, errors: string[]): Extract<FlowState, { status: 'mfa' }> {
  return { status: 'mfa', stepId: step.id, errors };
}

/** The value the upstream echoes back (OIDC state, SAML RelayState): unguessable, so it also binds the callback. */
function newCorrelation(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url');
}

/** A run-local single-use memory, for runs hosted without a shared one (replays across runs go unnoticed then). */
function memoryOnce(): NonNullable<FlowDeps['useOnce']> {
  const used = new Map<string, number>();
  return async (id, expiresAtMs) => {
    if (used.has(id)) return false;
    used.set(id, expiresAtMs);
    return true;
  };
}
