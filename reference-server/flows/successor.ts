import type { Flow, Step } from './types.ts';

/** Where a step goes when it completes: its `next`, else the step after it. */
export function successorOf(flow: Flow, step: Step): string | undefined {
  if ('next' in step && step.next !== undefined) return step.next;
  return flow.steps[flow.steps.indexOf(step) + 1]?.id;
}
