import { runConformance } from '../harness/run.ts';
import type { Benchmark, BenchOptions } from './benchmark.ts';
import { median } from './stats.ts';
import { formatTable } from './table.ts';

/** The full in-memory conformance run against the embedded reference system: one warm-up run, then timed runs. */

const TARGET_WALL_SECONDS = 5;

interface Sample {
  checks: number;
  wallMs: number;
}

async function measure(): Promise<Sample> {
  const started = performance.now();
  const result = await runConformance({});
  return { checks: result.checks.length, wallMs: performance.now() - started };
}

async function timedRuns(options: BenchOptions): Promise<Sample[]> {
  const warmUp = await measure();
  options.write(`warm-up: ${warmUp.checks} checks in ${warmUp.wallMs.toFixed(0)} ms\n`);
  const samples: Sample[] = [];
  for (let run = 0; run < options.conformanceRuns; run++) samples.push(await measure());
  return samples;
}

export const conformanceBenchmark: Benchmark = {
  name: 'conformance',
  title: 'full conformance run on the embedded reference system, in memory',
  async run(options) {
    const samples = await timedRuns(options);
    const rows = samples.map((sample, index) => [
      String(index + 1),
      String(sample.checks),
      sample.wallMs.toFixed(0),
      (sample.checks / (sample.wallMs / 1000)).toFixed(0),
    ]);
    options.write(formatTable(['run', 'checks', 'wall ms', 'checks/s'], rows));
    const wallTimes = samples.map((sample) => sample.wallMs);
    const medianMs = median(wallTimes);
    const checks = samples[0]?.checks ?? 0;
    options.write(
      `checks per run: ${checks}; wall time min ${Math.min(...wallTimes).toFixed(0)} ms, median ${medianMs.toFixed(0)} ms; ` +
        `${(checks / (medianMs / 1000)).toFixed(0)} checks/s (median)\n`,
    );
    return [
      {
        benchmark: 'conformance',
        figure: 'full in-memory run, median wall time',
        measured: medianMs / 1000,
        target: TARGET_WALL_SECONDS,
        unit: 's',
        direction: 'at-most',
      },
    ];
  },
};
