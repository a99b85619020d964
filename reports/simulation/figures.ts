import type {
  ClientIdentity,
  FaultOutcome,
  FaultWindow,
  InvariantFigures,
  SimulationResult,
  StepFigures,
} from '../../harness/simulation/types.ts';

/** Derived figures and number formats shared by the simulation report writers and the progress display. */

const COUNT_FORMAT = new Intl.NumberFormat('en-US');
const MISSING = '—';

/** A number safe to draw or divide by: anything not finite counts as 0. */
export function finite(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

/** `12,345` */
export function formatCount(value: number): string {
  return Number.isFinite(value) ? COUNT_FORMAT.format(value) : MISSING;
}

/** `3.5 ms`, `120 ms` */
export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return MISSING;
  return `${value >= 100 ? Math.round(value) : Math.round(value * 10) / 10} ms`;
}

/** A fraction (0..1) as `97.5 %`. */
export function formatRate(fraction: number | null): string {
  if (fraction === null) return 'no traffic';
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)} %` : MISSING;
}

/** Simulated time: `45 s`, `2 min`, `2 min 13.5 s`. */
export function formatSimTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return MISSING;
  const tenths = Math.round(seconds * 10) / 10;
  if (Math.abs(tenths) < 120) return `${tenths} s`;
  const minutes = Math.trunc(tenths / 60);
  const rest = Math.round((tenths - minutes * 60) * 10) / 10;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

/** Real time from milliseconds: `4.32 s`. */
export function formatWallTime(ms: number): string {
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : MISSING;
}

/** `178.3 MiB` */
export function formatBytes(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : MISSING;
}

/** `successes / attempts`, or NaN when nothing was attempted (formatted as a dash). */
export function successRate(successes: number, attempts: number): number {
  return attempts > 0 ? successes / attempts : Number.NaN;
}

/** `interactive-user/token`, the key `FaultOutcome.failuresDuring` uses. */
export function stepName(step: Pick<StepFigures, 'journey' | 'step'>): string {
  return `${step.journey}/${step.step}`;
}

export function isInstant(fault: FaultWindow): boolean {
  return fault.endS <= fault.startS;
}

/** `120 s – 4 min`, or `at 5 min` for an instant event. */
export function describeFaultWindow(fault: FaultWindow): string {
  if (isInstant(fault)) return `at ${formatSimTime(fault.startS)}`;
  return `${formatSimTime(fault.startS)} – ${formatSimTime(fault.endS)}`;
}

export function describeRecovery(outcome: FaultOutcome): string {
  switch (outcome.recovery) {
    case 'unaffected':
      return 'not affected';
    case 'no-traffic-after':
      return 'unknown: no traffic after the window';
    case 'not-recovered':
      return 'did not recover';
    case 'recovered':
      if (outcome.recoveredAfterS === null || !Number.isFinite(outcome.recoveredAfterS)) return 'recovered';
      return `recovered after ${formatSimTime(outcome.recoveredAfterS)}`;
  }
}

export type InvariantStatus = 'PASS' | 'FAIL' | 'SKIP';

/** FAIL on any violation; SKIP when the invariant was never checked (e.g. it needs the reference system's internals). */
export function invariantStatus(figures: InvariantFigures): InvariantStatus {
  if (figures.violations.length > 0) return 'FAIL';
  return figures.checked > 0 ? 'PASS' : 'SKIP';
}

export interface ErrorTypeFigures {
  type: string;
  count: number;
  /** Where it happened, by `journey/step`, most first. */
  steps: { step: string; count: number }[];
}

/** Step failures summed by error type over all steps, most frequent first; zero counts left out. */
export function errorsByType(steps: readonly StepFigures[]): ErrorTypeFigures[] {
  const byType = new Map<string, ErrorTypeFigures>();
  for (const figures of steps) {
    for (const [type, count] of Object.entries(figures.errors)) {
      if (!(finite(count) > 0)) continue;
      const entry = byType.get(type) ?? { type, count: 0, steps: [] };
      entry.count += count;
      entry.steps.push({ step: stepName(figures), count });
      byType.set(type, entry);
    }
  }
  const entries = [...byType.values()];
  for (const entry of entries) entry.steps.sort((a, b) => b.count - a.count);
  return entries.sort((a, b) => b.count - a.count || a.type.localeCompare(b.type));
}

/** `journey/step: n` pairs, most first, as one line. */
export function describeCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts)
    .filter(([, count]) => finite(count) > 0)
    .sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([name, count]) => `${name}: ${formatCount(count)}`).join(', ') : 'none';
}

/** The simulated span the time charts cover: the run, every bucket and every fault window; at least one second. */
export function timelineEndS(result: SimulationResult): number {
  const { bucketS, buckets } = result.timeline;
  const ends = [
    finite(result.durationS),
    ...buckets.map((bucket) => finite(bucket.startS) + finite(bucketS)),
    ...result.faults.map((outcome) => finite(outcome.fault.endS)),
  ];
  return Math.max(1, ...ends);
}

/** `interactive-user 30 · m2m-agent 10`, kinds with no actors left out. */
export function describeActors(actors: SimulationResult['actors']): string {
  return describeLabelledCounts(actors, (kind) => kind);
}

const CLIENT_IDENTITY_LABELS: Record<ClientIdentity, string> = {
  dcr: 'registered (DCR)',
  cimd: 'metadata document (CIMD)',
  preRegistered: 'pre-registered',
};

/** How the interactive users' MCP clients got their client_id. */
export function describeClientIdentities(identities: SimulationResult['clientIdentities'] | undefined): string {
  return describeLabelledCounts(
    identities ?? {},
    (identity) => CLIENT_IDENTITY_LABELS[identity as ClientIdentity] ?? identity,
  );
}

function describeLabelledCounts(counts: Record<string, number>, label: (key: string) => string): string {
  const present = Object.entries(counts).filter(([, count]) => finite(count) > 0);
  return present.length ? present.map(([key, count]) => `${label(key)} ${formatCount(count)}`).join(' · ') : 'none';
}
