export type { SimulationOptions } from './engine.ts';
export { runSimulation } from './engine.ts';
export { INVARIANTS, type InvariantName } from './invariants.ts';
export {
  ACTOR_KINDS,
  loadScenario,
  parseScenario,
  type Scenario,
  ScenarioError,
  type ScenarioInput,
  scenarioSchema,
} from './scenario.ts';
export type * from './types.ts';
export type { SimulationProgress } from './types.ts';
