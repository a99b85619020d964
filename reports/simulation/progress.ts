import type { SimulationProgress } from '../../harness/simulation/types.ts';
import { formatCount, formatSimTime } from './figures.ts';

export type { SimulationProgress };

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface SimulationProgressOptions {
  /** Milliseconds now; the terminal line is rewritten at most once per `intervalMs` of it. */
  now?: () => number;
  intervalMs?: number;
}

const CLEAR_LINE = '\r\x1b[2K';

/** The share of simulated time done, 0..1 (1 for a run with no duration). */
export function progressFraction(snapshot: SimulationProgress): number {
  if (!(snapshot.durationS > 0)) return 1;
  const fraction = snapshot.simulatedS / snapshot.durationS;
  return Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
}

/** `[ 42%] 4.2 min / 10 min simulated · 48 active · 120 started · 98 completed · 3 failures · 4,512 requests` */
export function progressLine(snapshot: SimulationProgress): string {
  const percent = String(Math.floor(progressFraction(snapshot) * 100)).padStart(3);
  return [
    `[${percent}%] ${formatSimTime(snapshot.simulatedS)} / ${formatSimTime(snapshot.durationS)} simulated`,
    `${formatCount(snapshot.activeActors)} active`,
    `${formatCount(snapshot.started)} started`,
    `${formatCount(snapshot.completed)} completed`,
    `${formatCount(snapshot.failures)} failures`,
    `${formatCount(snapshot.requests)} requests`,
  ].join(' · ');
}

/**
 * Shows a simulation as it runs: on a terminal one line rewritten in place (at most ~10 times a second), elsewhere (CI
 * logs, pipes) one line per tenth of the simulated duration. `done()` leaves the last figures on screen.
 */
export function createSimulationProgress(
  stream: NodeJS.WriteStream | ProgressStream,
  options: SimulationProgressOptions = {},
): { update(snapshot: SimulationProgress): void; done(): void } {
  const out: ProgressStream = stream;
  return out.isTTY === true ? liveProgress(out, options) : loggedProgress(out);
}

function liveProgress(out: ProgressStream, options: SimulationProgressOptions) {
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 100;
  let latest: SimulationProgress | undefined;
  let lastWriteMs = Number.NEGATIVE_INFINITY;
  let finished = false;
  const fitted = (line: string): string => {
    const room = Math.max(20, (out.columns || 100) - 1);
    return line.length > room ? `${line.slice(0, room - 1)}…` : line;
  };
  return {
    update(snapshot: SimulationProgress): void {
      if (finished) return;
      latest = snapshot;
      const at = now();
      if (at - lastWriteMs < intervalMs) return;
      lastWriteMs = at;
      out.write(`${CLEAR_LINE}${fitted(progressLine(snapshot))}`);
    },
    done(): void {
      if (finished) return;
      finished = true;
      if (latest) out.write(`${CLEAR_LINE}${fitted(progressLine(latest))}\n`);
    },
  };
}

function loggedProgress(out: ProgressStream) {
  let lastTenth = -1;
  let lastLine: string | undefined;
  let latest: SimulationProgress | undefined;
  let finished = false;
  const print = (snapshot: SimulationProgress): void => {
    lastLine = progressLine(snapshot);
    out.write(`${lastLine}\n`);
  };
  return {
    update(snapshot: SimulationProgress): void {
      if (finished) return;
      latest = snapshot;
      const tenth = Math.floor(progressFraction(snapshot) * 10);
      if (tenth <= lastTenth) return;
      lastTenth = tenth;
      print(snapshot);
    },
    done(): void {
      if (finished) return;
      finished = true;
      if (latest && progressLine(latest) !== lastLine) print(latest);
    },
  };
}
