import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { loadScenario } from '../../harness/simulation/scenario.ts';
import type { SimulationResult } from '../../harness/simulation/types.ts';
import { loadTargetFile } from '../../harness/target.ts';
import { EXIT, type ExitCode } from '../errors.ts';
import type { OutputStream } from '../progress.ts';

export interface SimulateCommandOptions {
  scenario: string;
  target?: string;
  agents?: number;
  duration?: number;
  concurrency?: number;
  seed: number;
  out: string;
}

/** `simulate`: scenario and target are validated first (exit 2 with one line); a violated invariant exits 1. */
export async function simulateCommand(options: SimulateCommandOptions, out: OutputStream): Promise<ExitCode> {
  const scenario = await loadScenario(options.scenario);
  const target = options.target ? await loadTargetFile(options.target) : undefined;
  const [{ runSimulation }, { writeSimulationReports, createSimulationProgress }] = await Promise.all([
    import('../../harness/simulation/engine.ts'),
    import('../../reports/simulation/index.ts'),
  ]);
  const progress = createSimulationProgress(out);
  const result = await runSimulation({
    scenario,
    scenarioFile: options.scenario,
    seed: options.seed,
    ...(options.agents !== undefined ? { agents: options.agents } : {}),
    ...(options.duration !== undefined ? { durationS: options.duration } : {}),
    ...(options.concurrency !== undefined ? { maxConcurrentActors: options.concurrency } : {}),
    ...(target ? { target } : {}),
    onProgress: (snapshot) => progress.update(snapshot),
  }).finally(() => progress.done());
  out.write(summaryOf(result));
  const written = await writeSimulationReports(result, resolve(options.out));
  out.write(`Reports written: ${written.json}, ${written.html}, ${written.markdown}\n`);
  return result.verdict === 'PASS' ? EXIT.ok : EXIT.failures;
}

function summaryOf(result: SimulationResult): string {
  const attempts = result.steps.reduce((sum, step) => sum + step.attempts, 0);
  const successes = result.steps.reduce((sum, step) => sum + step.successes, 0);
  const lines = [
    `\n${result.scenario.name} against ${result.target.name}: ${result.agents} agents, ${result.durationS} s simulated in ${(result.wallMs / 1000).toFixed(1)} s`,
    `requests ${result.totals.requests}, steps ${successes}/${attempts} succeeded, tokens ${result.totals.tokensIssued}, refreshes ${result.totals.refreshes}`,
    ...result.invariants.map(
      (invariant) =>
        `  ${invariant.violations.length > 0 ? 'FAIL' : 'ok  '} ${invariant.invariant}: ${invariant.checked} checked, ${invariant.violations.length} violated${invariant.violations[0] ? ` (first at ${invariant.violations[0].atS} s, ${invariant.violations[0].actor}: ${invariant.violations[0].message})` : ''}`,
    ),
    `verdict: ${result.verdict}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** Adds `simulate` to the program (DESIGN §3 style: exit 0 PASS, 1 invariant violated, 2 bad input). */
export function registerSimulateCommand(
  program: Command,
  setExitCode: (code: ExitCode) => void,
  out: OutputStream,
): void {
  program
    .command('simulate')
    .description('simulate a population of actors with a fault timeline (default: the embedded reference system)')
    .requiredOption('--scenario <file>', 'scenario file (JSON): mix, arrival, behaviour, clock skew, faults')
    .option('--target <file>', 'target file (JSON); loopback only, bounded requests and time')
    .option('--agents <n>', 'override the number of agents', positiveInteger)
    .option('--duration <seconds>', 'override the simulated duration', positiveInteger)
    .option('--concurrency <n>', 'at most this many actors in flight at once (default 64)', positiveInteger)
    .option('--seed <n>', 'seed of the population and its behaviour', seedNumber, 1)
    .option('--out <dir>', 'folder for simulation.json, simulation.html and simulation.md', './simulation-report')
    .action(async (options: SimulateCommandOptions) => setExitCode(await simulateCommand(options, out)));
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1 || !Number.isSafeInteger(number)) {
    throw new InvalidArgumentError('expected a positive integer.');
  }
  return number;
}

function seedNumber(value: string): number {
  const seed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(seed))
    throw new InvalidArgumentError('expected a non-negative integer.');
  return seed;
}
