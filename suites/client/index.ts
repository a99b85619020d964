import type { ClientScenario } from '../../harness/client-mode/scenario.ts';
import { DISCOVERY_SCENARIOS } from './discovery/scenarios.ts';
import { IDENTITY_SCENARIOS } from './identity/scenarios.ts';
import { LIFECYCLE_SCENARIOS } from './lifecycle/scenarios.ts';
import { MACHINE_SCENARIOS } from './machine/scenarios.ts';
import {
  basicDcr,
  PRE_REGISTERED_SCENARIOS,
  REFUSAL_SCENARIOS,
  scopeFromWwwAuthenticate,
  tokenEndpointAuthNone,
} from './scenarios.ts';

/** Every client scenario, in run order (kept apart from the server-side suites of suites/index.ts). */
export const CLIENT_SCENARIOS: readonly ClientScenario[] = [
  basicDcr,
  scopeFromWwwAuthenticate,
  tokenEndpointAuthNone,
  ...PRE_REGISTERED_SCENARIOS,
  ...REFUSAL_SCENARIOS,
  ...IDENTITY_SCENARIOS,
  ...LIFECYCLE_SCENARIOS,
  ...DISCOVERY_SCENARIOS,
  ...MACHINE_SCENARIOS,
];

/** Client suites by name: the scenario-name prefix (`auth/…` → `auth`). */
export function clientSuites(): string[] {
  return [...new Set(CLIENT_SCENARIOS.map((scenario) => suiteOf(scenario)))];
}

export function suiteOf(scenario: ClientScenario): string {
  return scenario.name.split('/')[0] ?? scenario.name;
}
