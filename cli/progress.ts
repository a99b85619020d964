import type { CheckResult, RunResult } from '../harness/results.ts';
import { STATUSES } from '../harness/results.ts';
import type { ProgressEvent } from '../harness/run.ts';
import { firstLine, groupBySuite } from '../reports/format.ts';
import { alignColumns } from './table.ts';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Shows a run as it happens: on a terminal one line rewritten in place (`[12/64] discovery.prm… PASS`), elsewhere
 * (CI logs, pipes) one line per check (`PASS  discovery.prm.resource-matches  (12 ms)`).
 */
export class ProgressDisplay {
  readonly #out: OutputStream;
  readonly #live: boolean;
  #lineOpen = false;

  constructor(out: OutputStream, live = out.isTTY === true) {
    this.#out = out;
    this.#live = live;
  }

  readonly onProgress = (event: ProgressEvent): void => {
    if (event.type === 'start') {
      const where = event.target.resource ?? event.target.issuer ?? '';
      this.#out.write(
        `Running ${event.total} checks against ${event.target.name}${where ? ` (${where})` : ''}, spec ${event.spec}\n`,
      );
      return;
    }
    if (this.#live) this.#rewrite(`[${event.index + 1}/${event.total}] `, event.result.id, `… ${event.result.status}`);
    else this.#out.write(`${checkLine(event.result)}\n`);
  };

  /** Ends the live line so what follows starts on a fresh one. */
  finish(): void {
    if (!this.#lineOpen) return;
    this.#out.write('\r\x1b[2K');
    this.#lineOpen = false;
  }

  /** Rewrites the live line, shortening the middle part from the left so the line fits the terminal. */
  #rewrite(prefix: string, middle: string, suffix: string): void {
    const room = Math.max(10, (this.#out.columns || 100) - 1 - prefix.length - suffix.length);
    const fitted = middle.length > room ? `…${middle.slice(middle.length - room + 1)}` : middle;
    this.#out.write(`\r\x1b[2K${prefix}${fitted}${suffix}`);
    this.#lineOpen = true;
  }
}

export function checkLine(result: CheckResult): string {
  return `${result.status.padEnd(4)}  ${result.id}  (${result.durationMs} ms)`;
}

/** Per-suite counts, totals, wall time, then each FAIL with the first line of its message. */
export function renderSummary(result: RunResult): string {
  const header = ['Suite', ...STATUSES, 'Total'];
  const suiteRows = [...groupBySuite(result.checks)].map(([suite, checks]) => [
    suite,
    ...STATUSES.map((status) => String(checks.filter((check) => check.status === status).length)),
    String(checks.length),
  ]);
  const totalRow = ['Total', ...STATUSES.map((status) => String(result.summary[status])), String(result.checks.length)];
  const numeric = header.map((_, column) => column > 0);
  const lines = ['', ...alignColumns([header, ...suiteRows, totalRow], numeric)];
  lines.push('', `Wall time: ${(result.durationMs / 1000).toFixed(2)} s`);
  const failures = result.checks.filter((check) => check.status === 'FAIL');
  if (failures.length > 0) {
    lines.push('', 'Failures:');
    const rows = failures.map((check) => ['  FAIL', check.id, firstLine(check.message)]);
    lines.push(...alignColumns(rows));
  }
  return `${lines.join('\n')}\n`;
}
