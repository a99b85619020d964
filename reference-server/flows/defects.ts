/** The deliberate defects the flow engine knows, checked by name so a typo is a type error. */

import type { FEDERATION_DEFECTS, FLOW_DEFECTS } from '../defects/flows.ts';
import type { FlowDeps } from './types.ts';

export type FlowDefect = keyof typeof FLOW_DEFECTS | keyof typeof FEDERATION_DEFECTS;

export function hasDefect(deps: Pick<FlowDeps, 'defects'>, name: FlowDefect): boolean {
  return deps.defects?.has(name) ?? false;
}
