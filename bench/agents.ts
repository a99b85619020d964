import { join } from 'node:path';
import { Network } from '../harness/network/network.ts';
import type { Fetch } from '../harness/network/types.ts';
import {
  loadScenario,
  runSimulation,
  type SimulationProgress,
  type SimulationResult,
} from '../harness/simulation/index.ts';
import { runGoodClientJourney } from '../mocks/clients/good-client.ts';
import { createReferenceSystem, type ReferenceSystem } from '../reference-server/system.ts';
import type { Benchmark, TargetOutcome } from './benchmark.ts';
import { mebibytes } from './stats.ts';
import { formatTable } from './table.ts';

/**
 * Many agents, each going discovery → registration → authorization code → token → tool call against the reference
 * system in memory: wall time and peak resident memory.
 */

const TARGET_WALL_SECONDS = 60;
const TARGET_PEAK_RSS_MIB = 1024;
const RSS_SAMPLE_INTERVAL_MS = 50;
/** Journeys in each of the two comparison runs (direct handler calls, then the Network again). */
const COMPARISON_AGENTS = 1000;
/** 10,000 interactive users, one session each (discovery → DCR → code → token → tool call), no faults. */
const AGENTS_SCENARIO = join(import.meta.dirname, '../simulation/scenarios/agents-10k.json');

export interface AgentRunOptions {
  agents: number;
  concurrency: number;
  write(text: string): void;
}

export interface AgentRunFigures {
  /** What ran the agents (the simulation engine, or good-client journeys in its stead). */
  engine: string;
  agents: number;
  succeeded: number;
  failures: Record<string, number>;
  wallMs: number;
  peakRssBytes: number;
  /** Resident memory once the system was built, before the first agent. */
  startRssBytes: number;
  /** CPU time (user + system) the process spent on the agents, in µs. */
  cpuMicros: number;
}

/**
 * The simulation engine (harness/simulation) running simulation/scenarios/agents-10k.json with `agents` actors, at most
 * `concurrency` of them in flight at once: the clocks start once the reference system is built.
 */
export async function runAgentsWithSimulationEngine(options: AgentRunOptions): Promise<AgentRunFigures> {
  const scenario = await loadScenario(AGENTS_SCENARIO);
  const rss = new PeakRss();
  let startRssBytes = 0;
  let cpuBefore = process.cpuUsage();
  let wallStarted = performance.now();
  const result = await runSimulation({
    scenario,
    scenarioFile: AGENTS_SCENARIO,
    agents: options.agents,
    maxConcurrentActors: options.concurrency,
    onStart() {
      startRssBytes = rss.sample();
      cpuBefore = process.cpuUsage();
      wallStarted = performance.now();
    },
    onProgress: (progress) => options.write(progressLine(progress, rss)),
  }).finally(() => rss.stop());
  const wallMs = performance.now() - wallStarted;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    engine: `simulation engine (${scenario.name}), ${options.concurrency} actors in flight`,
    agents: options.agents,
    succeeded: result.totals.journeysCompleted,
    failures: stepFailures(result),
    wallMs,
    peakRssBytes: Math.max(rss.peak, result.peakRssBytes),
    startRssBytes,
    cpuMicros: cpu.user + cpu.system,
  };
}

function progressLine(progress: SimulationProgress, rss: PeakRss): string {
  return (
    `  simulated ${String(progress.simulatedS).padStart(4)} s  started ${String(progress.started).padStart(6)}  ` +
    `finished ${String(progress.completed).padStart(6)}  requests ${String(progress.requests).padStart(7)}  ` +
    `failed steps ${progress.failures}  rss ${mebibytes(rss.sample()).toFixed(0)} MiB\n`
  );
}

/** Failed steps by `step: error type`. */
function stepFailures(result: SimulationResult): Record<string, number> {
  const failures: Record<string, number> = {};
  for (const step of result.steps) {
    for (const [type, count] of Object.entries(step.errors)) failures[`${step.step}: ${type}`] = count;
  }
  return failures;
}

/** The highest resident set size seen: sampled on a timer and whenever the caller asks. */
class PeakRss {
  peak = process.memoryUsage.rss();
  readonly #timer = setInterval(() => this.sample(), RSS_SAMPLE_INTERVAL_MS);

  sample(): number {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
    return rss;
  }

  stop(): number {
    clearInterval(this.#timer);
    return this.sample();
  }
}

/** Progress every `every` journeys: the rate within that block shows whether the system slows as it fills. */
function progressReporter(options: AgentRunOptions, rss: PeakRss) {
  const every = Math.max(1, Math.ceil(options.agents / 10));
  let blockStarted = performance.now();
  return (done: number) => {
    if (done % every !== 0 && done !== options.agents) return;
    const now = performance.now();
    const inBlock = done % every === 0 ? every : done % every;
    options.write(
      `  ${String(done).padStart(6)} done  ${((inBlock / (now - blockStarted)) * 1000).toFixed(0).padStart(5)}/s in this block  ` +
        `rss ${mebibytes(rss.sample()).toFixed(0)} MiB\n`,
    );
    blockStarted = now;
  };
}

/**
 * How the agents reach the system: the harness's recording in-memory Network (what the suites and a simulation use),
 * or the system's handlers called directly (no recording, no body limits): the difference is the Network's own cost.
 */
export type AgentTransport = 'network' | 'direct';

function agentFetch(system: ReferenceSystem, transport: AgentTransport): Fetch {
  if (transport === 'network') {
    const network = new Network();
    system.mount(network);
    return network.fetch;
  }
  return async (input, init) => {
    const request = new Request(input, init);
    const handler = system.handlers.get(new URL(request.url).origin);
    if (!handler) throw new Error(`nothing serves ${request.url}`);
    return handler(request);
  };
}

/** Good-client journeys (mocks/clients/good-client.ts) against a fresh reference system, `concurrency` at a time. */
export async function runGoodClientJourneys(
  options: AgentRunOptions,
  transport: AgentTransport = 'network',
): Promise<AgentRunFigures> {
  const system = await createReferenceSystem({ interaction: 'auto-approve' });
  const fetch = agentFetch(system, transport);
  await runGoodClientJourney({ mcpUrl: system.resource, fetch });
  const rss = new PeakRss();
  const startRssBytes = rss.sample();
  const report = progressReporter(options, rss);
  const failures: Record<string, number> = {};
  let started = 0;
  let succeeded = 0;
  let finished = 0;
  const agent = async () => {
    while (started < options.agents) {
      started++;
      try {
        await runGoodClientJourney({ mcpUrl: system.resource, fetch });
        succeeded++;
      } catch (error) {
        const reason = error instanceof Error ? error.message.slice(0, 120) : String(error);
        failures[reason] = (failures[reason] ?? 0) + 1;
      }
      report(++finished);
    }
  };
  const cpuBefore = process.cpuUsage();
  const wallStarted = performance.now();
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, agent));
  const wallMs = performance.now() - wallStarted;
  const cpu = process.cpuUsage(cpuBefore);
  rss.stop();
  return {
    engine: `good-client journeys via ${transport === 'network' ? 'the in-memory Network' : 'direct handler calls'}, ${options.concurrency} at a time`,
    agents: options.agents,
    succeeded,
    failures,
    wallMs,
    peakRssBytes: rss.peak,
    startRssBytes,
    cpuMicros: cpu.user + cpu.system,
  };
}

function figuresTable(runs: AgentRunFigures[]): string {
  return formatTable(
    [
      'engine',
      'agents',
      'ok',
      'failed',
      'wall s',
      'agents/s',
      'CPU ms/agent',
      'start RSS MiB',
      'peak RSS MiB (process)',
    ],
    runs.map((figures) => [
      figures.engine,
      String(figures.agents),
      String(figures.succeeded),
      String(failureCount(figures)),
      (figures.wallMs / 1000).toFixed(1),
      ((figures.agents / figures.wallMs) * 1000).toFixed(0),
      (figures.cpuMicros / 1000 / figures.agents).toFixed(2),
      mebibytes(figures.startRssBytes).toFixed(0),
      mebibytes(figures.peakRssBytes).toFixed(0),
    ]),
  );
}

function failureCount(figures: AgentRunFigures): number {
  return Object.values(figures.failures).reduce((sum, count) => sum + count, 0);
}

function outcomes(figures: AgentRunFigures): TargetOutcome[] {
  // The targets are for 10,000 agents; a smaller run is scaled to them linearly (wall time only).
  const scale = 10_000 / figures.agents;
  const scaled = scale === 1 ? '' : ` (×${scale.toFixed(2)} to 10,000 agents)`;
  return [
    {
      benchmark: 'agents',
      figure: `10,000 agents, wall time${scaled}`,
      measured: (figures.wallMs / 1000) * scale,
      target: TARGET_WALL_SECONDS,
      unit: 's',
      direction: 'at-most',
    },
    {
      benchmark: 'agents',
      figure: `peak RSS (${figures.agents} agents)`,
      measured: mebibytes(figures.peakRssBytes),
      target: TARGET_PEAK_RSS_MIB,
      unit: 'MiB',
      direction: 'at-most',
    },
  ];
}

export const agentsBenchmark: Benchmark = {
  name: 'agents',
  title: 'agents doing discovery → registration → code → token → tool call, in memory',
  async run(options) {
    const runOptions = { agents: options.agents, concurrency: options.agentConcurrency, write: options.write };
    const figures = await runAgentsWithSimulationEngine(runOptions);
    const failures = Object.entries(figures.failures).map(([reason, count]) => [reason, String(count)]);
    if (failures.length > 0) options.write(formatTable(['failure', 'count'], failures));
    // Good-client journeys for comparison: directly on the handlers, then through the harness's recording Network.
    const sample = { ...runOptions, agents: Math.min(COMPARISON_AGENTS, options.agents), write: () => {} };
    const direct = await runGoodClientJourneys(sample, 'direct');
    const network = await runGoodClientJourneys(sample, 'network');
    options.write(figuresTable([figures, direct, network]));
    return outcomes(figures);
  },
};
