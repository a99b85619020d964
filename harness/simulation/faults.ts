/**
 * The fault timeline, played at simulated instants: network faults in front of the identity systems and the system
 * under test (latency is simulated time, charged to the actor whose request met it), the homegrown connector failing,
 * the AS's signing key rotating, time jumping, clocks drifting.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Fault } from '../network/network.ts';
import type { Rng } from './random.ts';
import { faultEndS, type ScenarioFault } from './scenario.ts';
import type { FaultWindow } from './types.ts';
import { SIMULATION_HOMEGROWN, SIMULATION_WORKLOAD_ISSUER, type SimulationWorld } from './world.ts';

/** Whose request is running: faults charge simulated latency to it and draw from its own randomness. */
export interface StepScope {
  actor: string;
  actorIndex: number;
  rng: Rng;
  addedLatencyMs: number;
}

export const stepScope = new AsyncLocalStorage<StepScope>();

/** Faults that find the actor behind a request (to charge it latency, or to draw from its randomness). */
const SCOPED_FAULTS = new Set(['idp-latency', 'dropped-connections']);

export function needsStepScope(fault: ScenarioFault): boolean {
  return SCOPED_FAULTS.has(fault.kind);
}

/** Faults that only the embedded system can suffer (they reach inside it or its identity systems). */
const EMBEDDED_ONLY = new Set(['idp-latency', 'idp-outage', 'connector-500', 'jwks-rotation', 'expiry-storm']);

export function faultApplies(fault: ScenarioFault, world: SimulationWorld): boolean {
  return world.embedded !== undefined || !EMBEDDED_ONLY.has(fault.kind);
}

export function describeFault(fault: ScenarioFault): FaultWindow {
  return { kind: fault.kind, label: fault.label ?? defaultLabel(fault), startS: fault.startS, endS: faultEndS(fault) };
}

function defaultLabel(fault: ScenarioFault): string {
  switch (fault.kind) {
    case 'idp-latency':
      return `identity system (${fault.idp}) answers ${fault.latencyMs} ms late`;
    case 'idp-outage':
      return `identity system (${fault.idp}) down (${fault.mode})`;
    case 'connector-500':
      return `homegrown connector ${fault.routes.join(', ')} answers 500`;
    case 'jwks-rotation':
      return fault.retireOld ? 'signing key rotated, old key withdrawn at once' : 'signing key rotated';
    case 'dropped-connections':
      return `${Math.round(fault.rate * 100)}% of connections to ${fault.target} dropped`;
    case 'expiry-storm':
      return `clock jumps ${fault.jumpS} s: tokens expire together`;
    case 'clock-skew':
      return `${Math.round(fault.share * 100)}% of actor clocks off by ${fault.offsetS} s`;
  }
}

/** Plays the scenario's faults on a world; `open`/`close` run at the simulated instants the engine chooses. */
export class FaultPlayer {
  readonly #active = new Set<ScenarioFault>();
  readonly #world: SimulationWorld;
  /** Milliseconds the system's clock is ahead of simulated time (expiry storms). */
  clockOffsetMs = 0;

  constructor(world: SimulationWorld, faults: readonly ScenarioFault[]) {
    this.#world = world;
    for (const fault of faults) {
      const network = networkFault(fault, world, () => this.#active.has(fault));
      if (network) world.network.addFault(network);
    }
  }

  async open(fault: ScenarioFault): Promise<void> {
    this.#active.add(fault);
    const embedded = this.#world.embedded;
    if (!embedded) return;
    if (fault.kind === 'connector-500')
      for (const route of fault.routes) embedded.homegrown.faults.set(route, 'status-500');
    if (fault.kind === 'expiry-storm') this.clockOffsetMs += fault.jumpS * 1000;
    if (fault.kind === 'jwks-rotation') {
      const keys = embedded.system.authorizationServer.signingKeys;
      const old = keys.kid;
      await keys.rotate();
      if (fault.retireOld) keys.retire(old);
    }
  }

  close(fault: ScenarioFault): void {
    this.#active.delete(fault);
    const embedded = this.#world.embedded;
    if (embedded && fault.kind === 'connector-500') {
      for (const route of fault.routes) embedded.homegrown.faults.set(route, undefined);
    }
  }

  /** Extra seconds the clock of actor `index` is off during open clock-skew windows. */
  skewOf(index: number): number {
    let skew = 0;
    for (const fault of this.#active) {
      if (fault.kind === 'clock-skew' && spread(index) < fault.share) skew += fault.offsetS;
    }
    return skew;
  }
}

/** A stable position in [0, 1) per actor, so a share of actors is always the same actors. */
function spread(index: number): number {
  return (Math.imul(index + 1, 2_654_435_761) >>> 0) / 4_294_967_296;
}

function idpOrigins(idp: 'homegrown' | 'workload' | 'all'): Set<string> {
  const origins = { homegrown: [SIMULATION_HOMEGROWN], workload: [SIMULATION_WORKLOAD_ISSUER] };
  return new Set(idp === 'all' ? [...origins.homegrown, ...origins.workload] : origins[idp]);
}

function originOf(request: Request): string {
  return new URL(request.url).origin;
}

/** The network side of a fault (undefined for faults that act elsewhere). */
function networkFault(fault: ScenarioFault, world: SimulationWorld, active: () => boolean): Fault | undefined {
  switch (fault.kind) {
    case 'idp-latency': {
      const origins = idpOrigins(fault.idp);
      const timesOut = fault.timeoutMs !== undefined && fault.latencyMs >= fault.timeoutMs;
      return {
        match(request) {
          if (!active() || !origins.has(originOf(request))) return false;
          const scope = stepScope.getStore();
          if (scope) scope.addedLatencyMs += timesOut ? fault.timeoutMs! : fault.latencyMs;
          return timesOut;
        },
        drop: true,
      };
    }
    case 'idp-outage': {
      const origins = idpOrigins(fault.idp);
      return {
        match: (request) => active() && origins.has(originOf(request)),
        ...(fault.mode === 'drop'
          ? { drop: true }
          : { respond: () => Response.json({ error: 'temporarily_unavailable' }, { status: 503 }) }),
      };
    }
    case 'dropped-connections': {
      const origins = targetOrigins(world, fault.target);
      return {
        match(request) {
          if (!active() || !origins.has(originOf(request))) return false;
          return stepScope.getStore()?.rng.chance(fault.rate) ?? false;
        },
        drop: true,
      };
    }
    default:
      return undefined;
  }
}

function targetOrigins(world: SimulationWorld, target: 'as' | 'mcp' | 'all'): Set<string> {
  const as = new URL(world.issuer).origin;
  const mcp = new URL(world.resource).origin;
  return new Set(target === 'as' ? [as] : target === 'mcp' ? [mcp] : [as, mcp]);
}
