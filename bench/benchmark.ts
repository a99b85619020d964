/** What every benchmark of the set shares: its options, how it writes, and how it states its figures against targets. */

export interface BenchOptions {
  /** How long each fixed-duration measurement runs, in ms. */
  durationMs: number;
  /** Concurrent requests in flight for load on loopback, and concurrent calls for in-memory rates. */
  inFlight: number;
  /** Timed runs of the full conformance run. */
  conformanceRuns: number;
  /** Agents in the simulation benchmark, and how many run at once. */
  agents: number;
  agentConcurrency: number;
  write(text: string): void;
}

/** A target from the issue: the measured figure must be at least (or at most) the target. */
export interface TargetOutcome {
  benchmark: string;
  figure: string;
  measured: number;
  target: number;
  unit: string;
  direction: 'at-least' | 'at-most';
}

export interface Benchmark {
  /** The name `--only` selects. */
  name: string;
  title: string;
  run(options: BenchOptions): Promise<TargetOutcome[]>;
}

/** How far from its target a figure is: ≥ 1 means reached, whatever the direction. */
export function ratioToTarget(outcome: TargetOutcome): number {
  if (outcome.direction === 'at-least') return outcome.measured / outcome.target;
  return outcome.measured === 0 ? Number.POSITIVE_INFINITY : outcome.target / outcome.measured;
}

export function describeTarget(outcome: TargetOutcome): string {
  const sign = outcome.direction === 'at-least' ? '≥' : '≤';
  return `${sign} ${formatNumber(outcome.target)} ${outcome.unit}`;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** The lines every benchmark ends with: each target, the figure measured and the ratio (≥ 1.00 = reached). */
export function targetTable(outcomes: TargetOutcome[]): string[][] {
  return outcomes.map((outcome) => {
    const ratio = ratioToTarget(outcome);
    return [
      outcome.benchmark,
      outcome.figure,
      `${formatNumber(outcome.measured)} ${outcome.unit}`,
      describeTarget(outcome),
      ratio.toFixed(2),
      ratio >= 1 ? 'reached' : 'NOT reached',
    ];
  });
}

export const TARGET_HEADERS = ['benchmark', 'figure', 'measured', 'target', 'ratio', 'verdict'];
