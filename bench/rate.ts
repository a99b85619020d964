import { percentile } from './stats.ts';

/** One attempt of an operation under measurement: true when it succeeded (e.g. a 200 with a token). */
export type Operation = () => Promise<boolean>;

export interface RateOptions {
  /** Calls in flight at once (1 = a tight sequential loop). */
  concurrency: number;
  durationMs: number;
  /** Latencies are kept only when asked (a tight in-memory loop should not pay for them). */
  latencies?: boolean;
}

export interface RateResult {
  succeeded: number;
  failed: number;
  seconds: number;
  /** Successes per second. */
  perSecond: number;
  /** Per-call latency percentiles in ms, when asked for. */
  p50Ms?: number;
  p99Ms?: number;
  /**
   * CPU time (user + system, every thread of this process: WebCrypto runs on libuv's pool) per success, in µs.
   * Less sensitive to other work on the machine than the rate: it counts only this process's own work.
   */
  cpuMicrosPerSuccess: number;
}

/**
 * Runs `operation` for a fixed duration with `concurrency` callers, each starting its next call as soon as the last
 * ended; counts successes (an exception counts as a failure, never stops the run).
 */
export async function measureRate(operation: Operation, options: RateOptions): Promise<RateResult> {
  const latencies: number[] = [];
  let succeeded = 0;
  let failed = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + options.durationMs;
  const caller = async () => {
    while (performance.now() < deadline) {
      const callStarted = options.latencies ? performance.now() : 0;
      const ok = await operation().catch(() => false);
      if (options.latencies) latencies.push(performance.now() - callStarted);
      if (ok) succeeded++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, caller));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    cpuMicrosPerSuccess: (cpu.user + cpu.system) / Math.max(1, succeeded),
    succeeded,
    failed,
    seconds,
    perSecond: succeeded / seconds,
    ...(options.latencies && latencies.length > 0
      ? { p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) }
      : {}),
  };
}

/** An operation measured alongside others. */
export interface Contender {
  label: string;
  operation: Operation;
  concurrency: number;
}

/**
 * Measures contenders in alternating slices (A B C A B C …), `rounds` slices each of `durationMs / rounds`, so a burst
 * of other work on the machine hits them alike; each contender's best slice is its rate (the least disturbed one), and
 * its lowest CPU time per success its cost.
 */
export async function measureInterleaved(
  contenders: Contender[],
  options: { rounds: number; durationMs: number },
): Promise<RateResult[]> {
  const sliceMs = options.durationMs / options.rounds;
  const best: (RateResult | undefined)[] = contenders.map(() => undefined);
  const leanest = contenders.map(() => Number.POSITIVE_INFINITY);
  for (const contender of contenders) await measureRate(contender.operation, { concurrency: 1, durationMs: 200 });
  for (let round = 0; round < options.rounds; round++) {
    for (const [index, contender] of contenders.entries()) {
      const rate = await measureRate(contender.operation, { concurrency: contender.concurrency, durationMs: sliceMs });
      if (!best[index] || rate.perSecond > best[index].perSecond) best[index] = rate;
      leanest[index] = Math.min(leanest[index]!, rate.cpuMicrosPerSuccess);
    }
  }
  return best.map((rate, index) => ({
    ...(rate ?? { succeeded: 0, failed: 0, seconds: 0, perSecond: 0 }),
    cpuMicrosPerSuccess: leanest[index]!,
  }));
}
