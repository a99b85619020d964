/** Condition evaluation over the flow context: data in, boolean out — no eval, no Function. */

import { resolvePath } from './templates.ts';
import type { Condition, FlowContext } from './types.ts';

/** Seed 000: connector response values can drive conditions, e.g. {equals: ['connectors.login.status', 200]}. */
export function evaluateCondition(condition: Condition, context: FlowContext): boolean {
  if ('equals' in condition) return resolvePath(context, condition.equals[0]) === condition.equals[1];
  if ('exists' in condition) return isPresent(resolvePath(context, condition.exists));
  if ('in' in condition) {
    const value = resolvePath(context, condition.in[0]);
    return condition.in[1].some((candidate) => candidate === value);
  }
  if ('gt' in condition) return compareNumber(resolvePath(context, condition.gt[0]), (n) => n > condition.gt[1]);
  if ('lt' in condition) return compareNumber(resolvePath(context, condition.lt[0]), (n) => n < condition.lt[1]);
  if ('contains' in condition) return holds(resolvePath(context, condition.contains[0]), condition.contains[1]);
  if ('and' in condition) return condition.and.every((part) => evaluateCondition(part, context));
  if ('or' in condition) return condition.or.some((part) => evaluateCondition(part, context));
  return !evaluateCondition(condition.not, context);
}

/** An array holds the value, or a space-separated string (e.g. `request.scope`) has it as one item. */
function holds(container: unknown, value: unknown): boolean {
  if (Array.isArray(container)) return container.some((item) => item === value);
  return typeof container === 'string' && typeof value === 'string' && container.split(' ').includes(value);
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** Only real numbers compare; a numeric string from a form is not silently coerced. */
function compareNumber(value: unknown, test: (n: number) => boolean): boolean {
  return typeof value === 'number' && Number.isFinite(value) && test(value);
}

/** The context paths a condition reads, for validation. */
export function conditionPaths(condition: Condition): string[] {
  if ('equals' in condition) return [condition.equals[0]];
  if ('exists' in condition) return [condition.exists];
  if ('in' in condition) return [condition.in[0]];
  if ('gt' in condition) return [condition.gt[0]];
  if ('lt' in condition) return [condition.lt[0]];
  if ('contains' in condition) return [condition.contains[0]];
  if ('and' in condition) return condition.and.flatMap(conditionPaths);
  if ('or' in condition) return condition.or.flatMap(conditionPaths);
  return conditionPaths(condition.not);
}
