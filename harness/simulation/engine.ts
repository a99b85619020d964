/**
 * The discrete-event simulation: actors arrive and act at simulated instants, faults open and close on the timeline,
 * and the system's clock follows simulated time — so an hour of traffic runs in seconds in memory. Actors due in the
 * same tick run concurrently; every figure is aggregated online.
 */
import { faker } from '@faker-js/faker';
import type { Defect } from '../../reference-server/defects.ts';
import type { Fetch } from '../network/types.ts';
import type { TargetFile } from '../target.ts';
import { type ActorIo, type ActorProfile, errorType, StepError } from './actor.ts';
import { describeFault, FaultPlayer, faultApplies, needsStepScope, type StepScope, stepScope } from './faults.ts';
import { InvariantLedger, type InvariantName } from './invariants.ts';
import { actorJourney } from './journey.ts';
import type { Waiting } from './logins.ts';
import { RunMetrics } from './metrics.ts';
import { actorSeed, createRng, pickWeighted, type Rng } from './random.ts';
import { ACTOR_KINDS, faultEndS, type Scenario, type ScenarioFault } from './scenario.ts';
import {
  type ActorKind,
  CLIENT_IDENTITIES,
  type ClientIdentity,
  type FaultOutcome,
  type SimulationProgress,
  type SimulationResult,
} from './types.ts';
import { embeddedWorld, type SimulationWorld, targetWorld } from './world.ts';

export interface SimulationOptions {
  scenario: Scenario;
  /** Where the scenario came from (shown in the report). */
  scenarioFile?: string;
  seed?: number;
  /** Overrides the scenario's agent count. */
  agents?: number;
  /** Overrides the scenario's simulated duration (seconds). */
  durationS?: number;
  /** A target file's system on loopback instead of the embedded reference system. */
  target?: TargetFile;
  /** Deliberate defects of the embedded reference system (negative tests). */
  defects?: readonly Defect[];
  /** Stops starting steps after this many requests (default: unbounded in memory, 5,000 for a target). */
  maxRequests?: number;
  /** Stops after this much real time (default: unbounded in memory, 60 s for a target). */
  maxWallMs?: number;
  /** Simulated width of a tick: actors due within one act together (default 1000 ms). */
  tickMs?: number;
  /**
   * Most actors in flight at once within a tick (default 64): the rest of the tick's actors wait their turn in real
   * time only, so memory stays bounded and a step's latency is its own, not the queue's.
   */
  maxConcurrentActors?: number;
  onProgress?: (progress: SimulationProgress) => void;
  /** Called once the world is built, just before the first actor arrives (a benchmark starts its clocks here). */
  onStart?: () => void;
}

export const TOOL = { name: 'mcp-auth-conformance', version: '0.1.0' };
const TARGET_MAX_REQUESTS = 5000;
const TARGET_MAX_WALL_MS = 60_000;
const DEFAULT_MAX_CONCURRENT_ACTORS = 64;
/** Resident memory is sampled once per tick and after every this many actor events within one. */
const RSS_SAMPLE_EVERY_EVENTS = 64;
/** Within this many points of the rate before the fault counts as recovered. */
const RECOVERY_TOLERANCE = 0.05;

interface Actor {
  profile: ActorProfile;
  journey: Waiting<boolean>;
  scope: StepScope;
}

interface Event {
  atMs: number;
  seq: number;
  run: () => Promise<void>;
}

/** A binary min-heap of events by simulated time, ties in insertion order (deterministic). */
class EventQueue {
  readonly #heap: Event[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  push(atMs: number, run: () => Promise<void>): void {
    this.#heap.push({ atMs, seq: this.#seq++, run });
    let index = this.#heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(this.#heap[index]!, this.#heap[parent]!)) break;
      [this.#heap[index], this.#heap[parent]] = [this.#heap[parent]!, this.#heap[index]!];
      index = parent;
    }
  }

  peek(): Event | undefined {
    return this.#heap[0];
  }

  pop(): Event | undefined {
    const top = this.#heap[0];
    const last = this.#heap.pop();
    if (this.#heap.length > 0 && last) {
      this.#heap[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < this.#heap.length && before(this.#heap[left]!, this.#heap[smallest]!)) smallest = left;
        if (right < this.#heap.length && before(this.#heap[right]!, this.#heap[smallest]!)) smallest = right;
        if (smallest === index) break;
        [this.#heap[index], this.#heap[smallest]] = [this.#heap[smallest]!, this.#heap[index]!];
        index = smallest;
      }
    }
    return top;
  }
}

function before(a: Event, b: Event): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

/** Runs a scenario to its end (or its bounds) and returns the figures of SimulationResult. */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const wallStart = performance.now();
  const world = options.target ? await targetWorld(options.target) : await embeddedWorld(options.defects ?? []);
  try {
    return await simulateIn(world, options, wallStart);
  } finally {
    await world.close();
  }
}

async function simulateIn(
  baseWorld: SimulationWorld,
  options: SimulationOptions,
  wallStart: number,
): Promise<SimulationResult> {
  const scenario = options.scenario;
  const seed = options.seed ?? 1;
  const agents = options.agents ?? scenario.agents;
  const durationS = options.durationS ?? scenario.durationS;
  const durationMs = durationS * 1000;
  const tickMs = options.tickMs ?? 1000;
  const maxConcurrentActors = Math.max(1, options.maxConcurrentActors ?? DEFAULT_MAX_CONCURRENT_ACTORS);
  const maxRequests = options.maxRequests ?? (options.target ? TARGET_MAX_REQUESTS : Number.POSITIVE_INFINITY);
  const maxWallMs = options.maxWallMs ?? (options.target ? TARGET_MAX_WALL_MS : Number.POSITIVE_INFINITY);
  const mix = supportedMix(scenario, baseWorld);
  const faults = scenario.faults.filter((fault) => faultApplies(fault, baseWorld));
  const player = new FaultPlayer(baseWorld, faults);
  const inStepScope = stepScopeRunner(faults);
  const clockStart = baseWorld.embedded?.clock.now() ?? Date.now();
  const metrics = new RunMetrics(durationS, scenario.bucketS);
  const ledger = new InvariantLedger(skippedInvariants(baseWorld));
  const faultTally = new Map<ScenarioFault, Record<string, number>>(faults.map((fault) => [fault, {}]));
  const totals = { requests: 0, journeysStarted: 0, journeysCompleted: 0, tokensIssued: 0, refreshes: 0 };
  const counts = Object.fromEntries(ACTOR_KINDS.map((kind) => [kind, 0])) as Record<ActorKind, number>;
  const identityCounts = Object.fromEntries(CLIENT_IDENTITIES.map((identity) => [identity, 0])) as Record<
    ClientIdentity,
    number
  >;
  let simMs = 0;
  let peakRss = process.memoryUsage.rss();
  let eventsSinceRssSample = 0;
  const sampleRss = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  };
  const afterActorEvent = () => {
    if (++eventsSinceRssSample < RSS_SAMPLE_EVERY_EVENTS) return;
    eventsSinceRssSample = 0;
    sampleRss();
  };
  let stepFailures = 0;
  let active = 0;
  let finished = 0;
  let stopped = false;

  const queue = new EventQueue();

  /** The actor's own fetch: counted against the budget, and the system's answers judged for no-5xx in its name. */
  function observedFetch(fetch: Fetch, actor: string): Fetch {
    return async (input, init) => {
      totals.requests += 1;
      if (totals.requests > maxRequests) {
        stopped = true;
        throw new StepError('request-budget', `the run's request budget (${maxRequests}) is spent`);
      }
      const response = await fetch(input, init);
      const url = new URL(input instanceof Request ? input.url : input);
      if (baseWorld.systemOrigins.has(url.origin)) {
        ledger.observe('no-5xx', response.status < 500, {
          atS: simMs / 1000,
          actor,
          message: `${init?.method ?? 'GET'} ${url.origin}${url.pathname} answered ${response.status}`,
        });
      }
      return response;
    };
  }

  const activeFaults = (atS: number) =>
    faults.filter((fault) => atS >= fault.startS && atS < judgedEndS(fault, scenario.bucketS));

  function ioOf(profile: ActorProfile, scope: StepScope): ActorIo {
    const nowS = () => (clockStart + simMs + player.clockOffsetMs) / 1000;
    return {
      profile,
      world: { ...baseWorld, fetch: observedFetch(baseWorld.fetch, profile.id) },
      behaviour: scenario.behaviour,
      nowS,
      actorNowS: () => nowS() + profile.skewS + player.skewOf(profile.index),
      runS: () => simMs / 1000,
      async step(name, work) {
        const started = performance.now();
        const latencyBefore = scope.addedLatencyMs;
        const record = (error?: string) => {
          const latencyMs = performance.now() - started + (scope.addedLatencyMs - latencyBefore);
          metrics.record({ journey: profile.kind, step: name, atMs: simMs, latencyMs, ...(error ? { error } : {}) });
          if (error === undefined) return;
          stepFailures += 1;
          for (const fault of activeFaults(simMs / 1000)) {
            const tally = faultTally.get(fault)!;
            tally[`${profile.kind}/${name}`] = (tally[`${profile.kind}/${name}`] ?? 0) + 1;
          }
        };
        try {
          const result = await work();
          record();
          return result;
        } catch (error) {
          const type = errorType(error);
          record(type);
          throw error instanceof StepError ? error : new StepError(type, (error as Error).message);
        }
      },
      observe(invariant: InvariantName, held: boolean, message: string) {
        ledger.observe(invariant, held, { atS: simMs / 1000, actor: profile.id, message });
      },
      tokenIssued: () => {
        totals.tokensIssued += 1;
      },
      refreshed: () => {
        totals.refreshes += 1;
      },
    };
  }

  /** Advances an actor to its next wait; schedules it, or retires it when its journey ends. */
  async function advance(actor: Actor): Promise<void> {
    if (stopped) return retire(false);
    let next: IteratorResult<number, boolean>;
    try {
      next = await inStepScope(actor.scope, () => actor.journey.next());
    } catch (error) {
      if (!(error instanceof StepError)) throw error;
      return retire(false);
    }
    if (next.done) return retire(next.value);
    const waitMs = next.value + actor.scope.addedLatencyMs;
    actor.scope.addedLatencyMs = 0;
    const atMs = simMs + Math.max(waitMs, 1);
    if (atMs < durationMs) queue.push(atMs, () => advance(actor));
    else retire(false, true);
  }

  function retire(completed: boolean, stillRunning = false): void {
    if (completed) totals.journeysCompleted += 1;
    active -= 1;
    if (!stillRunning) finished += 1;
    metrics.actorFinished(simMs);
  }

  const population = createPopulation(seed, mix, scenario, {
    identityWeights: clientIdentityWeights(scenario, baseWorld),
    consentFlowShare: baseWorld.embedded ? scenario.behaviour.federatedShare : 0,
  });
  for (const [index, startMs] of arrivals(scenario, agents).entries()) {
    if (startMs >= durationMs) break;
    const profile = population(index);
    counts[profile.kind] += 1;
    if (profile.clientIdentity) identityCounts[profile.clientIdentity] += 1;
    queue.push(startMs, async () => {
      totals.journeysStarted += 1;
      active += 1;
      metrics.actorStarted(simMs);
      const scope: StepScope = { actor: profile.id, actorIndex: index, rng: profile.rng, addedLatencyMs: 0 };
      const actor: Actor = { profile, scope, journey: actorJourney(ioOf(profile, scope)) };
      await advance(actor);
    });
  }
  const transitions = faultTransitions(faults, player);
  for (const transition of transitions) queue.push(transition.atMs, transition.run);

  options.onStart?.();
  let nextProgressMs = 0;
  const progress = () =>
    options.onProgress?.({
      simulatedS: Math.round(simMs / 1000),
      durationS,
      activeActors: active,
      started: totals.journeysStarted,
      completed: finished,
      failures: stepFailures,
      requests: totals.requests,
    });

  while (queue.size > 0 && !stopped) {
    const tickStart = Math.floor(queue.peek()!.atMs / tickMs) * tickMs;
    const tickEnd = tickStart + tickMs;
    simMs = tickStart;
    baseWorld.embedded?.clock.set(clockStart + simMs + player.clockOffsetMs);
    const due: Event[] = [];
    while (queue.size > 0 && queue.peek()!.atMs < tickEnd) due.push(queue.pop()!);
    await runTick(due, {
      world: baseWorld,
      player,
      clockStart,
      simMs: () => simMs,
      maxConcurrentActors,
      afterActorEvent,
    });
    sampleRss();
    if (simMs >= nextProgressMs) {
      progress();
      nextProgressMs = simMs + scenario.bucketS * 1000;
    }
    if (performance.now() - wallStart > maxWallMs) stopped = true;
  }
  simMs = Math.min(simMs, durationMs);
  progress();

  return {
    tool: TOOL,
    scenario: {
      name: scenario.name,
      ...(scenario.description ? { description: scenario.description } : {}),
      ...(options.scenarioFile ? { file: options.scenarioFile } : {}),
    },
    target: { name: baseWorld.name, kind: baseWorld.kind },
    seed,
    agents,
    maxConcurrentActors,
    durationS,
    wallMs: Math.round(performance.now() - wallStart),
    peakRssBytes: peakRss,
    actors: counts,
    clientIdentities: identityCounts,
    totals: {
      ...totals,
      refreshChurnPerMinute: Math.round((totals.refreshes / (durationS / 60)) * 100) / 100,
    },
    steps: metrics.steps(),
    timeline: { bucketS: scenario.bucketS, buckets: metrics.timeline(durationS) },
    faults: faults.map((fault) => faultOutcome(fault, faultTally.get(fault)!, metrics, durationS)),
    invariants: ledger.figures(),
    verdict: ledger.violated ? 'FAIL' : 'PASS',
  };
}

/** Fault openings and closings first in their tick (queued before the actors of the same instant). */
function faultTransitions(faults: readonly ScenarioFault[], player: FaultPlayer) {
  return faults.flatMap((fault) => [
    { atMs: fault.startS * 1000 - 0.5, run: () => player.open(fault) },
    ...(faultEndS(fault) > fault.startS
      ? [{ atMs: faultEndS(fault) * 1000 - 0.5, run: async () => player.close(fault) }]
      : [{ atMs: fault.startS * 1000 - 0.25, run: async () => player.close(fault) }]),
  ]);
}

interface TickContext {
  world: SimulationWorld;
  player: FaultPlayer;
  clockStart: number;
  simMs: () => number;
  maxConcurrentActors: number;
  afterActorEvent: () => void;
}

/** Fault transitions of the tick in order, then the actors due in it, together (at most `maxConcurrentActors`). */
async function runTick(due: Event[], tick: TickContext): Promise<void> {
  const transitions = due.filter((event) => !Number.isInteger(event.atMs));
  for (const transition of transitions) await transition.run();
  tick.world.embedded?.clock.set(tick.clockStart + tick.simMs() + tick.player.clockOffsetMs);
  const actors = due.filter((event) => Number.isInteger(event.atMs));
  let next = 0;
  const lane = async () => {
    while (next < actors.length) {
      await actors[next++]!.run();
      tick.afterActorEvent();
    }
  };
  await Promise.all(Array.from({ length: Math.min(tick.maxConcurrentActors, actors.length) }, lane));
}

/**
 * Runs an actor's step with its scope where the network faults can find it. Only faults that charge latency or draw
 * randomness per request need that; without them the scope is skipped, since AsyncLocalStorage taxes every promise.
 */
function stepScopeRunner(faults: readonly ScenarioFault[]) {
  if (!faults.some(needsStepScope)) return <T>(_scope: StepScope, work: () => T): T => work();
  return <T>(scope: StepScope, work: () => T): T => stepScope.run(scope, work);
}

function supportedMix(scenario: Scenario, world: SimulationWorld): Partial<Record<ActorKind, number>> {
  const mix = Object.fromEntries(
    Object.entries(scenario.mix).filter(([kind]) => !world.unsupported.has(kind as ActorKind)),
  ) as Partial<Record<ActorKind, number>>;
  if (!Object.values(mix).some((weight) => (weight ?? 0) > 0)) {
    const reasons = [...world.unsupported].map(([kind, why]) => `${kind}: ${why}`).join('; ');
    throw new Error(`mix: no actor kind of the scenario can run against this target (${reasons})`);
  }
  return mix;
}

function skippedInvariants(world: SimulationWorld): Map<InvariantName, string> {
  if (world.embedded) return new Map();
  return new Map([
    ['no-token-after-expiry', "needs the reference system's clock"],
    ['no-lost-consent', "needs the reference system's consent flow and its identity system"],
  ]);
}

/**
 * Seeded faker: names, emails and passwords drawn in actor order from one seeded sequence (seeding faker costs more
 * than drawing, so it is seeded once); kinds by the mix and clock skew by the scenario's law, from each actor's rng.
 */
/** The scenario's client identity weights without those the world cannot offer; DCR alone when none is left. */
function clientIdentityWeights(scenario: Scenario, world: SimulationWorld): Partial<Record<ClientIdentity, number>> {
  const offered = Object.entries(scenario.behaviour.clientIdentity).filter(
    ([identity, weight]) => weight > 0 && !world.unsupportedClientIdentities.has(identity as ClientIdentity),
  );
  return offered.length > 0 ? Object.fromEntries(offered) : { dcr: 1 };
}

/** Salt of the draws of how a user signs in, so they leave the actor's own random sequence as it was. */
const SIGN_IN_SALT = 0x5bd1e995;

interface SignInChoices {
  identityWeights: Partial<Record<ClientIdentity, number>>;
  /** Share of interactive users who sign in through the consent flow (with the flow's own client). */
  consentFlowShare: number;
}

/** How an interactive user signs in: through the consent flow, or automatically with a client of the drawn identity. */
function signInOf(rng: Rng, choices: SignInChoices): Pick<ActorProfile, 'consentFlow' | 'clientIdentity'> {
  if (rng.chance(choices.consentFlowShare)) return { consentFlow: true };
  return { consentFlow: false, clientIdentity: pickWeighted(choices.identityWeights, rng) };
}

function createPopulation(
  seed: number,
  mix: Partial<Record<ActorKind, number>>,
  scenario: Scenario,
  signIn: SignInChoices,
) {
  faker.seed(seed);
  return (index: number): ActorProfile => {
    const rng = createRng(actorSeed(seed, index));
    const first = faker.person.firstName();
    const last = faker.person.lastName();
    const kind = pickWeighted(mix, rng);
    const signInRng = createRng((actorSeed(seed, index) ^ SIGN_IN_SALT) >>> 0);
    return {
      ...(kind === 'interactive-user' ? signInOf(signInRng, signIn) : {}),
      id: `${kind}-${index + 1}`,
      index,
      kind,
      name: `${first} ${last}`,
      email: faker.internet.email({ firstName: first, lastName: `${last}${index}` }).toLowerCase(),
      password: faker.internet.password({ length: 16 }),
      skewS: skewOf(scenario.clockSkew, rng),
      rng,
    };
  };
}

function skewOf(skew: Scenario['clockSkew'], rng: Rng): number {
  switch (skew.distribution) {
    case 'none':
      return 0;
    case 'uniform':
      return rng.between(skew.minS, skew.maxS);
    case 'normal':
      return rng.normal(skew.meanS, skew.stdDevS);
  }
}

/** When each actor arrives (simulated ms), by the scenario's arrival law. */
function arrivals(scenario: Scenario, agents: number): number[] {
  const arrival = scenario.arrival;
  const startS = (index: number): number => {
    switch (arrival.kind) {
      case 'all-at-once':
        return 0;
      case 'rate':
        return index / arrival.perSecond;
      case 'ramp':
        return rampArrivalS(index, arrival.fromPerSecond, arrival.toPerSecond, arrival.overS);
    }
  };
  return Array.from({ length: agents }, (_, index) => Math.round(startS(index) * 1000));
}

/** Solves n = from·t + (to − from)·t² / (2·over) for t, then a steady `to` after the ramp. */
function rampArrivalS(n: number, from: number, to: number, over: number): number {
  const rampCount = ((from + to) / 2) * over;
  if (n >= rampCount) return over + (n - rampCount) / to;
  const slope = (to - from) / over;
  if (Math.abs(slope) < 1e-12) return n / from;
  return (-from + Math.sqrt(from * from + 2 * slope * n)) / slope;
}

/** Instant faults (a rotation, a time jump) are judged over the bucket that follows them. */
function judgedEndS(fault: ScenarioFault, bucketS: number): number {
  return faultEndS(fault) > fault.startS ? faultEndS(fault) : fault.startS + bucketS;
}

function faultOutcome(
  fault: ScenarioFault,
  failuresDuring: Record<string, number>,
  metrics: RunMetrics,
  durationS: number,
): FaultOutcome {
  const startS = fault.startS;
  const endS = Math.min(judgedEndS(fault, metrics.bucketS), durationS);
  const span = Math.max(endS - startS, metrics.bucketS);
  const before = metrics.successRate(Math.max(0, startS - span), startS);
  const during = metrics.successRate(startS, endS);
  const after = metrics.successRate(endS, Math.min(durationS, endS + span));
  const baseline = before ?? 1;
  return {
    fault: describeFault(fault),
    failuresDuring,
    successRateBefore: rate(before),
    successRateDuring: rate(during),
    successRateAfter: rate(after),
    ...(during === undefined || during >= baseline - RECOVERY_TOLERANCE
      ? { recovery: 'unaffected', recoveredAfterS: 0 }
      : recovery(metrics, endS, durationS, baseline)),
  };
}

function rate(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value * 10_000) / 10_000;
}

/** How long after `endS` a bucket-wide window is back within 5 points of the rate before, if ever, or if unknown. */
function recovery(
  metrics: RunMetrics,
  endS: number,
  durationS: number,
  baseline: number,
): Pick<FaultOutcome, 'recovery' | 'recoveredAfterS'> {
  let attemptedAfter = false;
  for (let fromS = Math.floor(endS); fromS < durationS; fromS++) {
    const value = metrics.successRate(fromS, fromS + metrics.bucketS);
    if (value === undefined) continue;
    attemptedAfter = true;
    if (value >= baseline - RECOVERY_TOLERANCE)
      return { recovery: 'recovered', recoveredAfterS: fromS - Math.floor(endS) };
  }
  return { recovery: attemptedAfter ? 'not-recovered' : 'no-traffic-after', recoveredAfterS: null };
}
