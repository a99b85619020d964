/** The flow interpreter: runs steps until a screen needs input, the flow ends, or a step fails. */

import { renderClaims } from './claims.ts';
import { evaluateCondition } from './conditions.ts';
import { callConnector } from './connector.ts';
import { readScreenInput } from './form.ts';
import { provisionUser } from './generate-jwt.ts';
import { successorOf } from './successor.ts';
import { renderText } from './templates.ts';
import type { Flow, FlowContext, FlowDeps, FlowState, MissingValuePolicy, ScreenStep, Step } from './types.ts';
import { FlowError } from './types.ts';
import { validateFlow } from './validate.ts';

export const DEFAULT_MAX_STEPS = 100;

export interface FlowRun {
  readonly state: FlowState;
  readonly context: FlowContext;
  /** Answers the paused screen; ignored (state returned unchanged) when the run is not paused. */
  submit(fields: Record<string, unknown>): Promise<FlowState>;
}

/** Validates the flow, then runs it up to the first screen (or to its end). */
export async function startFlow(flow: Flow, deps: FlowDeps): Promise<FlowRun> {
  const run = new Run(flow, deps);
  const issues = validateFlow(flow);
  if (issues.length > 0) {
    run.fail(`invalid flow ${flow.id}: ${issues.map((issue) => issue.message).join('; ')}`);
    return run;
  }
  await run.advanceFrom(flow.steps[0]!.id);
  return run;
}

class Run implements FlowRun {
  state: FlowState = { status: 'failed', reason: 'not started' };
  readonly context: FlowContext = { form: {}, connectors: {}, claims: {} };
  private executed = 0;
  private stopped = false;
  private readonly steps: Map<string, Step>;
  private readonly maxSteps: number;
  private readonly onMissing: MissingValuePolicy;

  constructor(
    private readonly flow: Flow,
    private readonly deps: FlowDeps,
  ) {
    this.steps = new Map(flow.steps.map((step) => [step.id, step]));
    this.maxSteps = deps.maxSteps ?? DEFAULT_MAX_STEPS;
    this.onMissing = flow.onMissingValue ?? 'empty';
  }

  fail(reason: string, stepId?: string): void {
    this.state = stepId === undefined ? { status: 'failed', reason } : { status: 'failed', reason, stepId };
  }

  async submit(fields: Record<string, unknown>): Promise<FlowState> {
    if (this.state.status !== 'paused') return this.state;
    const screen = this.steps.get(this.state.screen) as ScreenStep;
    const input = readScreenInput(screen.fields, fields ?? {});
    if (input.errors.length > 0) {
      this.pause(screen, input.errors);
      return this.state;
    }
    Object.assign(this.context.form, input.values);
    await this.advanceFrom(successorOf(this.flow, screen));
    return this.state;
  }

  async advanceFrom(stepId: string | undefined): Promise<void> {
    let current = stepId;
    let step: Step | undefined;
    this.stopped = false;
    try {
      while (current !== undefined) {
        step = this.steps.get(current);
        if (!step) throw new FlowError(`unknown step ${current}`);
        // No infinite loops: conditions may jump backwards, so every run has a step budget.
        if (++this.executed > this.maxSteps) throw new FlowError(`step limit of ${this.maxSteps} exceeded (a loop?)`);
        current = await this.execute(step);
      }
    } catch (error) {
      this.fail(error instanceof Error ? error.message : String(error), step?.id);
      return;
    }
    if (this.stopped) return;
    this.fail('flow ran past its last step without an end step', step?.id);
  }

  private pause(screen: ScreenStep, errors: string[]): void {
    this.stopped = true;
    this.state = {
      status: 'paused',
      screen: screen.id,
      fields: screen.fields,
      message: `needs input: screen ${screen.id}`,
      errors,
    };
  }

  /** Runs one step; returns the id of the next step, or undefined when the run stops (paused or done). */
  private async execute(step: Step): Promise<string | undefined> {
    const { context, onMissing } = this;
    switch (step.kind) {
      case 'screen':
        this.pause(step, []);
        return undefined;
      case 'connector':
        context.connectors[step.name] = await callConnector(step, context, this.deps.fetch, onMissing);
        break;
      case 'set-form':
        // Seed 000: map the connector response (user ID, email) into the flow context.
        for (const [name, template] of Object.entries(step.values)) {
          context.form[name] = renderText(template, context, onMissing);
        }
        break;
      case 'condition':
        return evaluateCondition(step.if, context) ? step.whenTrue : step.whenFalse;
      case 'generate-jwt':
        context.user = await provisionUser(step, context, this.deps.users);
        break;
      case 'update-user':
        context.user = await this.updateUser(step.id, step.attributes);
        break;
      case 'custom-claims':
        // Seed 001: custom claims follow Generate JWT and may read connector responses.
        Object.assign(context.claims, renderClaims(step, context, onMissing));
        break;
      case 'end':
        if (!context.user) throw new FlowError(`end ${step.id}: reached before any generate-jwt step`);
        this.stopped = true;
        this.state = { status: 'done', outcome: { user: context.user, claims: { ...context.claims } } };
        return undefined;
    }
    return successorOf(this.flow, step);
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
