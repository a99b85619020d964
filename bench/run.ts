import { fork } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { agentsBenchmark } from './agents.ts';
import { bearerBenchmark } from './bearer.ts';
import { type Benchmark, type BenchOptions, TARGET_HEADERS, type TargetOutcome, targetTable } from './benchmark.ts';
import { conformanceBenchmark } from './conformance.ts';
import { journeysBenchmark } from './journeys.ts';
import { formatTable } from './table.ts';
import { tokensBenchmark } from './tokens.ts';

/**
 * The benchmark set: `npm run bench` runs all of them; `npm run bench -- --only tokens,bearer` some.
 * Each prints its table and its figures against the targets; a summary of every target ends the run. With
 * more than one selected, each runs in a fresh process of its own (same options), so what one leaves behind (its heap,
 * servers, intercepted fetch) cannot slow the next.
 */

const BENCHMARKS: Benchmark[] = [
  conformanceBenchmark,
  tokensBenchmark,
  bearerBenchmark,
  agentsBenchmark,
  journeysBenchmark,
];

const USAGE = `usage: npm run bench -- [--only NAME[,NAME…]] [--duration SECONDS] [--in-flight N] [--runs N]
                        [--agents N] [--agent-concurrency N] [--list]
benchmarks: ${BENCHMARKS.map((benchmark) => benchmark.name).join(', ')}
`;

function positiveNumber(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number (got "${text}")`);
  return value;
}

interface ParsedOptions {
  selected: Benchmark[];
  options: BenchOptions;
  list: boolean;
  /** Set in the child process of one benchmark: its outcomes go to the parent over IPC. */
  reportToParent: boolean;
}

function parseOptions(): ParsedOptions {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      duration: { type: 'string' },
      'in-flight': { type: 'string' },
      runs: { type: 'string' },
      agents: { type: 'string' },
      'agent-concurrency': { type: 'string' },
      list: { type: 'boolean' },
      'report-to-parent': { type: 'boolean' },
    },
  });
  const names = (values.only ?? []).flatMap((value) => value.split(',')).filter(Boolean);
  const unknown = names.filter((name) => !BENCHMARKS.some((benchmark) => benchmark.name === name));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}`);
  return {
    selected: names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((benchmark) => names.includes(benchmark.name)),
    list: values.list ?? false,
    reportToParent: values['report-to-parent'] ?? false,
    options: {
      durationMs: positiveNumber(values.duration, 5, 'duration') * 1000,
      inFlight: Math.round(positiveNumber(values['in-flight'], 16, 'in-flight')),
      conformanceRuns: Math.round(positiveNumber(values.runs, 5, 'runs')),
      agents: Math.round(positiveNumber(values.agents, 10_000, 'agents')),
      agentConcurrency: Math.round(positiveNumber(values['agent-concurrency'], 32, 'agent-concurrency')),
      write: (text) => process.stdout.write(text),
    },
  };
}

/** Other work on the machine skews every figure: each report names the load it was measured under. */
function machineLine(): string {
  const [one = 0, five = 0] = loadavg();
  return `node ${process.version}, ${availableParallelism()} cores, load average ${one.toFixed(2)} (1 min) ${five.toFixed(2)} (5 min)\n`;
}

/** Runs one benchmark here: its heading, its tables, its figures against the targets. */
async function runHere(benchmark: Benchmark, options: BenchOptions): Promise<TargetOutcome[]> {
  options.write(`\n== ${benchmark.name}: ${benchmark.title}\n`);
  const measured = await benchmark.run(options);
  if (measured.length > 0) options.write(formatTable(TARGET_HEADERS, targetTable(measured)));
  return measured;
}

/** This run's arguments without its `--only` selection. */
function argumentsWithoutSelection(args: string[]): string[] {
  const kept: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--only') index++;
    else if (!arg.startsWith('--only=')) kept.push(arg);
  }
  return kept;
}

/** Runs one benchmark in a child process with this run's options; its output shows here, its outcomes come back. */
function runInChild(benchmark: Benchmark): Promise<TargetOutcome[]> {
  const args = [...argumentsWithoutSelection(process.argv.slice(2)), '--only', benchmark.name, '--report-to-parent'];
  const child = fork(process.argv[1]!, args, {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let outcomes: TargetOutcome[] = [];
  child.on('message', (message: TargetOutcome[]) => {
    outcomes = message;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(outcomes) : reject(new Error(`benchmark ${benchmark.name} exited with code ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  let parsed: ParsedOptions;
  try {
    parsed = parseOptions();
  } catch (error) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
  const { selected, options, list, reportToParent } = parsed;
  if (list) {
    for (const benchmark of BENCHMARKS) process.stdout.write(`${benchmark.name.padEnd(12)} ${benchmark.title}\n`);
    return;
  }
  if (reportToParent) {
    const outcomes = await runHere(selected[0]!, options);
    await new Promise<void>((resolve) => process.send?.(outcomes, () => resolve()) ?? resolve());
    return;
  }
  options.write(machineLine());
  const outcomes: TargetOutcome[] = [];
  for (const benchmark of selected) {
    outcomes.push(...(selected.length > 1 ? await runInChild(benchmark) : await runHere(benchmark, options)));
  }
  if (outcomes.length > 0) {
    options.write(`\n== targets (ratio ≥ 1.00 = reached)\n${formatTable(TARGET_HEADERS, targetTable(outcomes))}`);
  }
  options.write(`\n${machineLine()}`);
}

await main();
process.exit(0);
