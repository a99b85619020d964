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
 * Each prints its table and its figures against the targets; a summary of every target ends the run.
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

function parseOptions(): { selected: Benchmark[]; options: BenchOptions; list: boolean } {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      duration: { type: 'string' },
      'in-flight': { type: 'string' },
      runs: { type: 'string' },
      agents: { type: 'string' },
      'agent-concurrency': { type: 'string' },
      list: { type: 'boolean' },
    },
  });
  const names = (values.only ?? []).flatMap((value) => value.split(',')).filter(Boolean);
  const unknown = names.filter((name) => !BENCHMARKS.some((benchmark) => benchmark.name === name));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}`);
  return {
    selected: names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((benchmark) => names.includes(benchmark.name)),
    list: values.list ?? false,
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

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions();
  } catch (error) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
  const { selected, options, list } = parsed;
  if (list) {
    for (const benchmark of BENCHMARKS) process.stdout.write(`${benchmark.name.padEnd(12)} ${benchmark.title}\n`);
    return;
  }
  options.write(machineLine());
  const outcomes: TargetOutcome[] = [];
  for (const benchmark of selected) {
    options.write(`\n== ${benchmark.name}: ${benchmark.title}\n`);
    const measured = await benchmark.run(options);
    if (measured.length > 0) options.write(formatTable(TARGET_HEADERS, targetTable(measured)));
    outcomes.push(...measured);
  }
  if (outcomes.length > 0) {
    options.write(`\n== targets (ratio ≥ 1.00 = reached)\n${formatTable(TARGET_HEADERS, targetTable(outcomes))}`);
  }
  options.write(`\n${machineLine()}`);
}

await main();
process.exit(0);
