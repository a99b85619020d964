/** Static checks on a flow before it runs: broken links, dead steps, and steps whose preconditions can be unmet. */

import { RESERVED_CLAIMS } from './claims.ts';
import { conditionPaths } from './conditions.ts';
import { successorOf } from './successor.ts';
import { CONTEXT_ROOTS, placeholderPaths } from './templates.ts';
import type { Flow, JsonValue, Step, StepKind } from './types.ts';

export interface FlowIssue {
  stepId?: string;
  message: string;
  /** Set on issues a deliberate defect may waive: `missing-login-id` (generate-jwt-without-login-id). */
  code?: 'missing-login-id';
}

const MAX_CONNECTOR_TIMEOUT_MS = 30_000;
const IDENTITY_FIELDS = ['email', 'externalId'];
/** Steps that act on the user Generate JWT resolved. */
const NEEDS_USER: ReadonlySet<StepKind> = new Set(['update-user', 'mfa', 'consent', 'end']);

export function validateFlow(flow: Flow): FlowIssue[] {
  if (!Array.isArray(flow.steps) || flow.steps.length === 0) return [{ message: `flow ${flow.id} has no steps` }];
  const issues: FlowIssue[] = [...duplicateIds(flow), ...brokenLinks(flow)];
  if (issues.length > 0) return issues;
  const reachable = reachableSteps(flow);
  for (const step of flow.steps) {
    if (!reachable.has(step.id)) issues.push({ stepId: step.id, message: `step ${step.id} is unreachable` });
    else issues.push(...stepIssues(flow, step));
  }
  issues.push(...preconditionIssues(flow, reachable));
  return issues;
}

/** Where control can go after a step. */
export function stepTargets(flow: Flow, step: Step): string[] {
  if (step.kind === 'condition') return [step.whenTrue, step.whenFalse];
  if (step.kind === 'end') return [];
  const next = successorOf(flow, step);
  return next === undefined ? [] : [next];
}

function duplicateIds(flow: Flow): FlowIssue[] {
  const seen = new Set<string>();
  const issues: FlowIssue[] = [];
  for (const step of flow.steps) {
    if (seen.has(step.id)) issues.push({ stepId: step.id, message: `step id ${step.id} is used twice` });
    seen.add(step.id);
  }
  return issues;
}

function brokenLinks(flow: Flow): FlowIssue[] {
  const ids = new Set(flow.steps.map((step) => step.id));
  const issues: FlowIssue[] = [];
  for (const step of flow.steps) {
    for (const target of stepTargets(flow, step)) {
      if (!ids.has(target)) issues.push({ stepId: step.id, message: `step ${step.id} goes to unknown step ${target}` });
    }
    if (step.kind !== 'end' && stepTargets(flow, step).length === 0) {
      issues.push({ stepId: step.id, message: `step ${step.id} is last but is not an end step` });
    }
  }
  return issues;
}

function reachableSteps(flow: Flow): Set<string> {
  const byId = new Map(flow.steps.map((step) => [step.id, step]));
  const reached = new Set<string>();
  const pending = [flow.steps[0]!.id];
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (reached.has(id)) continue;
    reached.add(id);
    pending.push(...stepTargets(flow, byId.get(id)!));
  }
  return reached;
}

function stepIssues(flow: Flow, step: Step): FlowIssue[] {
  const issue = (message: string): FlowIssue => ({ stepId: step.id, message: `${step.kind} ${step.id}: ${message}` });
  const issues = templatePaths(step).flatMap((path) => pathProblem(flow, path).map(issue));
  if (step.kind === 'screen') {
    const names = step.fields.map((field) => field.name);
    if (names.length === 0) issues.push(issue('declares no fields'));
    if (new Set(names).size !== names.length) issues.push(issue('declares a field twice'));
  }
  if (step.kind === 'connector') {
    const { timeoutMs } = step;
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0 && timeoutMs <= MAX_CONNECTOR_TIMEOUT_MS)) {
      issues.push(issue(`timeoutMs must be between 1 and ${MAX_CONNECTOR_TIMEOUT_MS}`));
    }
  }
  if ((step.kind === 'federate-oidc' || step.kind === 'federate-saml') && !step.connection) {
    issues.push(issue('names no connection'));
  }
  if (step.kind === 'mfa' && (step.method !== 'totp' || !step.acr)) issues.push(issue('needs method totp and an acr'));
  if (step.kind === 'custom-claims') {
    for (const name of Object.keys(step.claims)) {
      if (RESERVED_CLAIMS.has(name)) issues.push(issue(`claim ${name} is reserved`));
    }
  }
  return issues;
}

function templatePaths(step: Step): string[] {
  switch (step.kind) {
    case 'connector':
      return [step.url, ...Object.values(step.headers ?? {}), ...jsonStrings(step.body ?? null)].flatMap(
        placeholderPaths,
      );
    case 'set-form':
      return Object.values(step.values).flatMap(placeholderPaths);
    case 'update-user':
      return Object.values(step.attributes).flatMap(placeholderPaths);
    case 'custom-claims':
      return Object.values(step.claims).flatMap(jsonStrings).flatMap(placeholderPaths);
    case 'condition':
      return conditionPaths(step.if);
    default:
      return [];
  }
}

function jsonStrings(value: JsonValue): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(jsonStrings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(jsonStrings);
  return [];
}

function pathProblem(flow: Flow, path: string): string[] {
  const [root, name] = path.split('.');
  if (!(CONTEXT_ROOTS as readonly string[]).includes(root ?? '')) {
    return [`path ${path} must start with one of ${CONTEXT_ROOTS.join(', ')}`];
  }
  const connectorNames = flow.steps.flatMap((step) => (step.kind === 'connector' ? [step.name] : []));
  if (root === 'connectors' && !connectorNames.includes(name ?? '')) return [`path ${path} names no connector`];
  return [];
}

interface Facts {
  identity: boolean;
  user: boolean;
}

/** Facts true after a step, given those true before it. */
function afterStep(step: Step, before: Facts): Facts {
  const setsIdentity =
    (step.kind === 'screen' && step.fields.some((field) => IDENTITY_FIELDS.includes(field.name))) ||
    (step.kind === 'set-form' && Object.keys(step.values).some((name) => IDENTITY_FIELDS.includes(name)));
  return { identity: before.identity || setsIdentity, user: before.user || step.kind === 'generate-jwt' };
}

/** Must-analysis: a fact holds at a step only if it holds on every path from the first step. */
function factsOnEveryPath(flow: Flow, reachable: Set<string>): Map<string, Facts> {
  const steps = flow.steps.filter((step) => reachable.has(step.id));
  const facts = new Map(steps.map((step) => [step.id, { identity: true, user: true }]));
  facts.set(flow.steps[0]!.id, { identity: false, user: false });
  let changed = true;
  while (changed) {
    changed = false;
    for (const step of steps) {
      const after = afterStep(step, facts.get(step.id)!);
      for (const target of stepTargets(flow, step)) {
        const current = facts.get(target)!;
        const next = { identity: current.identity && after.identity, user: current.user && after.user };
        if (next.identity !== current.identity || next.user !== current.user) {
          facts.set(target, next);
          changed = true;
        }
      }
    }
  }
  return facts;
}

function preconditionIssues(flow: Flow, reachable: Set<string>): FlowIssue[] {
  const facts = factsOnEveryPath(flow, reachable);
  const issues: FlowIssue[] = [];
  for (const step of flow.steps) {
    const before = facts.get(step.id);
    if (!before) continue;
    // Seed 001: a prior screen or step must set form.email or form.externalId.
    if (step.kind === 'generate-jwt' && !before.identity) {
      issues.push({
        code: 'missing-login-id',
        stepId: step.id,
        message: `generate-jwt ${step.id}: some path reaches it without a screen or set-form setting form.email or form.externalId`,
      });
    }
    if (NEEDS_USER.has(step.kind) && !before.user) {
      issues.push({ stepId: step.id, message: `${step.kind} ${step.id}: some path reaches it without generate-jwt` });
    }
  }
  return issues;
}
