import { runConformance } from '../harness/run.ts';
import { benchJourneys } from './journeys.ts';
import { median } from './stats.ts';

/** Full in-memory conformance against the embedded reference system: one warm-up run, then timed runs. */
const TIMED_RUNS = 5;

interface Sample {
  checks: number;
  wallMs: number;
}

async function measure(): Promise<Sample> {
  const started = performance.now();
  const result = await runConformance({});
  return { checks: result.checks.length, wallMs: performance.now() - started };
}

const warmUp = await measure();
process.stdout.write(`warm-up: ${warmUp.checks} checks in ${warmUp.wallMs.toFixed(0)} ms\n\n`);

const samples: Sample[] = [];
process.stdout.write('run  checks  wall ms  checks/s\n');
for (let run = 1; run <= TIMED_RUNS; run++) {
  const sample = await measure();
  samples.push(sample);
  const rate = sample.checks / (sample.wallMs / 1000);
  process.stdout.write(
    `${String(run).padStart(3)}  ${String(sample.checks).padStart(6)}  ${sample.wallMs.toFixed(0).padStart(7)}  ${rate.toFixed(0).padStart(8)}\n`,
  );
}

const wallTimes = samples.map((sample) => sample.wallMs);
const medianMs = median(wallTimes);
const checks = samples[0]?.checks ?? 0;
process.stdout.write(
  `\nchecks per run: ${checks}\nwall time: min ${Math.min(...wallTimes).toFixed(0)} ms, median ${medianMs.toFixed(0)} ms\n` +
    `throughput (median): ${(checks / (medianMs / 1000)).toFixed(0)} checks/s\n`,
);

await benchJourneys((line) => process.stdout.write(line));
