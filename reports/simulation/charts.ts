import type { FaultWindow, SimulationResult, StepFigures, TimeBucket } from '../../harness/simulation/types.ts';
import { escapeMarkup } from '../format.ts';
import {
  describeFaultWindow,
  errorsByType,
  finite,
  formatCount,
  formatMs,
  formatRate,
  formatSimTime,
  isInstant,
  stepName,
  successRate,
  timelineEndS,
} from './figures.ts';
import type { Plot, Scale } from './svg.ts';
import {
  coord,
  emptyMessage,
  line,
  linearScale,
  PALETTE,
  rect,
  svgDocument,
  text,
  valueAxisBottom,
  valueAxisLeft,
} from './svg.ts';
import type { TableColumn } from './table.ts';
import { renderTable } from './table.ts';

/** One chart of the simulation report: the drawing, its legend, and the same figures as a table. */
export interface Chart {
  id: string;
  title: string;
  svg: string;
  legend: { colour: string; label: string }[];
  /** The data table fallback (HTML). */
  table: string;
}

const WIDTH = 720;
const TIME_PLOT: Plot = { width: WIDTH, height: 260, left: 60, right: 32, top: 40, bottom: 28 };
const EMPTY_PLOT: Plot = { width: WIDTH, height: 90, left: 0, right: 0, top: 0, bottom: 0 };
const LABEL_WIDTH = 190;

/** `F1`, `F2`, … : how the charts and tables name fault windows. */
export function faultTag(index: number): string {
  return `F${index + 1}`;
}

function faultLegend(faults: readonly FaultWindow[]): Chart['legend'] {
  return faults.map((fault, index) => ({
    colour: PALETTE.fault,
    label: `${faultTag(index)} ${fault.label} (${fault.kind}, ${describeFaultWindow(fault)})`,
  }));
}

function describeFaults(faults: readonly FaultWindow[]): string {
  if (faults.length === 0) return 'No fault windows.';
  const windows = faults.map((fault, index) => `${faultTag(index)} ${fault.label} (${describeFaultWindow(fault)})`);
  return `Fault windows shaded: ${windows.join('; ')}.`;
}

/** Fault windows over a time plot: a shaded band with its tag above the plot, or a dashed line for an instant event. */
function faultOverlay(faults: readonly FaultWindow[], x: Scale, plot: Plot): string {
  const bottom = plot.height - plot.bottom;
  return faults
    .map((fault, index) => {
      const start = x(fault.startS);
      const labelY = 12 + (index % 2) * 13;
      const tag = text(start + 3, labelY, `${faultTag(index)} ${fault.kind}`, { fill: PALETTE.faultText });
      const tooltip = `<title>${escapeMarkup(`${faultTag(index)} ${fault.label}: ${describeFaultWindow(fault)}`)}</title>`;
      if (isInstant(fault)) {
        return `<g class="fault">${tooltip}${line(start, labelY - 10, start, bottom, PALETTE.faultText, true)}${tag}</g>`;
      }
      const width = Math.max(1, x(fault.endS) - start);
      const band = `<rect x="${coord(start)}" y="${coord(labelY - 10)}" width="${coord(width)}" height="${coord(bottom - labelY + 10)}" fill="${PALETTE.fault}" fill-opacity="0.22" stroke="${PALETTE.fault}"/>`;
      return `<g class="fault">${tooltip}${band}${tag}</g>`;
    })
    .join('\n');
}

/** `per 30 s of simulated time`, or `over simulated time` when the bucket width is unknown. */
function perBucket(bucketS: number): string {
  return bucketS > 0 ? `per ${formatSimTime(bucketS)} of simulated time` : 'over simulated time';
}

function timeAxis(result: SimulationResult): Scale {
  return linearScale(timelineEndS(result), TIME_PLOT.left, TIME_PLOT.width - TIME_PLOT.right, {
    time: true,
    exact: true,
  });
}

function bucketRange(bucket: TimeBucket, bucketS: number): string {
  return `${formatSimTime(bucket.startS)} – ${formatSimTime(finite(bucket.startS) + finite(bucketS))}`;
}

const TIMELINE_COLUMNS: TableColumn[] = [
  { header: 'Simulated time' },
  { header: 'Attempts', numeric: true },
  { header: 'Successes', numeric: true },
  { header: 'Failures', numeric: true },
  { header: 'Success rate', numeric: true },
  { header: 'p95 latency', numeric: true },
  { header: 'Active actors', numeric: true },
];

function timelineTable(result: SimulationResult): string {
  const { bucketS, buckets } = result.timeline;
  if (buckets.length === 0) return noData('No time buckets recorded.');
  const rows = buckets.map((bucket) => [
    bucketRange(bucket, bucketS),
    formatCount(bucket.attempts),
    formatCount(bucket.successes),
    formatCount(bucket.failures),
    formatRate(successRate(bucket.successes, bucket.successes + bucket.failures)),
    bucket.attempts > 0 ? formatMs(bucket.p95Ms) : '—',
    formatCount(bucket.activeActors),
  ]);
  return renderTable(TIMELINE_COLUMNS, rows);
}

/** A chart with nothing to draw: its svg says so, and its table (or note) stays. */
function emptyChart(chart: Omit<Chart, 'svg'>, message: string): Chart {
  const body = emptyMessage(EMPTY_PLOT, message);
  return {
    ...chart,
    svg: svgDocument({ id: chart.id, title: chart.title, description: message, plot: EMPTY_PLOT, body }),
  };
}

function noData(message: string): string {
  return `<p class="none">${escapeMarkup(message)}</p>`;
}

/** Successes and failures per bucket, stacked, with the fault windows shaded. */
export function outcomesChart(result: SimulationResult): Chart {
  const id = 'chart-outcomes';
  const { bucketS, buckets } = result.timeline;
  const title = `Successful and failed steps ${perBucket(bucketS)}`;
  const faults = result.faults.map((outcome) => outcome.fault);
  const legend = [
    { colour: PALETTE.success, label: 'successes' },
    { colour: PALETTE.failure, label: 'failures' },
    ...faultLegend(faults),
  ];
  if (buckets.length === 0) {
    return emptyChart({ id, title, legend, table: timelineTable(result) }, 'No time buckets recorded.');
  }
  const x = timeAxis(result);
  const y = linearScale(
    Math.max(...buckets.map((bucket) => finite(bucket.successes) + finite(bucket.failures))),
    TIME_PLOT.height - TIME_PLOT.bottom,
    TIME_PLOT.top,
  );
  const bars = buckets.map((bucket) => {
    const left = x(bucket.startS);
    const full = x(finite(bucket.startS) + finite(bucketS)) - left;
    const width = full > 3 ? full - 1 : Math.max(0.5, full);
    const successTop = y(bucket.successes);
    const failureTop = y(finite(bucket.successes) + finite(bucket.failures));
    const range = bucketRange(bucket, bucketS);
    return [
      rect(
        left,
        successTop,
        width,
        y(0) - successTop,
        PALETTE.success,
        `${range}: ${formatCount(bucket.successes)} successes`,
      ),
      rect(
        left,
        failureTop,
        width,
        successTop - failureTop,
        PALETTE.failure,
        `${range}: ${formatCount(bucket.failures)} failures`,
      ),
    ].join('');
  });
  const body = [
    valueAxisLeft(y, TIME_PLOT, formatCount),
    valueAxisBottom(x, TIME_PLOT, formatSimTime),
    bars.join('\n'),
    faultOverlay(faults, x, TIME_PLOT),
  ].join('\n');
  const description = `Stacked bars: successful (green) and failed (red) journey steps in each of ${buckets.length} buckets over ${formatSimTime(timelineEndS(result))}. ${describeFaults(faults)}`;
  return {
    id,
    title,
    svg: svgDocument({ id, title, description, plot: TIME_PLOT, body }),
    legend,
    table: timelineTable(result),
  };
}

/** Connected points per run of consecutive non-empty buckets; an empty bucket breaks the line. */
function latencyPath(buckets: readonly TimeBucket[], bucketS: number, x: Scale, y: Scale): string {
  let path = '';
  let previousDrawn = false;
  for (const bucket of buckets) {
    if (!(bucket.attempts > 0)) {
      previousDrawn = false;
      continue;
    }
    const command = previousDrawn ? 'L' : 'M';
    path += `${command}${coord(x(finite(bucket.startS) + finite(bucketS) / 2))} ${coord(y(bucket.p95Ms))} `;
    previousDrawn = true;
  }
  return path.trim();
}

/** p95 step latency per bucket as a line, with the fault windows shaded. */
export function latencyChart(result: SimulationResult): Chart {
  const id = 'chart-latency';
  const { bucketS, buckets } = result.timeline;
  const title = `p95 step latency ${perBucket(bucketS)}`;
  const faults = result.faults.map((outcome) => outcome.fault);
  const legend = [{ colour: PALETTE.line, label: 'p95 latency' }, ...faultLegend(faults)];
  const drawn = buckets.filter((bucket) => bucket.attempts > 0);
  if (drawn.length === 0) {
    return emptyChart({ id, title, legend, table: timelineTable(result) }, 'No latency recorded.');
  }
  const x = timeAxis(result);
  const y = linearScale(
    Math.max(...drawn.map((bucket) => finite(bucket.p95Ms))),
    TIME_PLOT.height - TIME_PLOT.bottom,
    TIME_PLOT.top,
  );
  const points = drawn.map((bucket) => {
    const cx = coord(x(finite(bucket.startS) + finite(bucketS) / 2));
    const tooltip = `${bucketRange(bucket, bucketS)}: p95 ${formatMs(bucket.p95Ms)}`;
    return `<circle cx="${cx}" cy="${coord(y(bucket.p95Ms))}" r="2.5" fill="${PALETTE.line}"><title>${escapeMarkup(tooltip)}</title></circle>`;
  });
  const peak = Math.max(...drawn.map((bucket) => finite(bucket.p95Ms)));
  const body = [
    valueAxisLeft(y, TIME_PLOT, formatMs),
    valueAxisBottom(x, TIME_PLOT, formatSimTime),
    faultOverlay(faults, x, TIME_PLOT),
    `<path d="${latencyPath(buckets, bucketS, x, y)}" fill="none" stroke="${PALETTE.line}" stroke-width="2"/>`,
    points.join('\n'),
  ].join('\n');
  const description = `Line: p95 latency of journey steps in each bucket with traffic, peaking at ${formatMs(peak)}. ${describeFaults(faults)}`;
  return {
    id,
    title,
    svg: svgDocument({ id, title, description, plot: TIME_PLOT, body }),
    legend,
    table: timelineTable(result),
  };
}

/** Horizontal bar rows: a label column on the left, the value scale along the bottom. */
function rowsPlot(rowCount: number, rowHeight: number): Plot {
  return { width: WIDTH, height: 8 + rowCount * rowHeight + 24, left: LABEL_WIDTH, right: 56, top: 8, bottom: 24 };
}

/** A row label, shortened from the left to fit the label column; the full text stays in the tooltip. */
function rowLabel(label: string, y: number): string {
  const fitted = label.length > 30 ? `…${label.slice(label.length - 29)}` : label;
  return `<g><title>${escapeMarkup(label)}</title>${text(LABEL_WIDTH - 8, y, fitted, { anchor: 'end', baseline: 'middle' })}</g>`;
}

const PERCENTILES = [
  { key: 'p50', colour: PALETTE.p50 },
  { key: 'p95', colour: PALETTE.p95 },
  { key: 'p99', colour: PALETTE.p99 },
] as const;

const STEP_COLUMNS: TableColumn[] = [
  { header: 'Journey' },
  { header: 'Step' },
  { header: 'Attempts', numeric: true },
  { header: 'Success rate', numeric: true },
  { header: 'p50', numeric: true },
  { header: 'p95', numeric: true },
  { header: 'p99', numeric: true },
  { header: 'max', numeric: true },
];

function stepTable(steps: readonly StepFigures[]): string {
  if (steps.length === 0) return noData('No steps recorded.');
  const rows = steps.map((figures) => [
    figures.journey,
    figures.step,
    formatCount(figures.attempts),
    formatRate(successRate(figures.successes, figures.attempts)),
    formatMs(figures.latencyMs.p50),
    formatMs(figures.latencyMs.p95),
    formatMs(figures.latencyMs.p99),
    formatMs(figures.latencyMs.max),
  ]);
  return renderTable(STEP_COLUMNS, rows);
}

/** p50, p95 and p99 latency of each journey step as grouped horizontal bars. */
export function stepLatencyChart(result: SimulationResult): Chart {
  const id = 'chart-steps';
  const title = 'Latency percentiles by journey step (p50, p95, p99)';
  const legend = PERCENTILES.map(({ key, colour }) => ({ colour, label: key }));
  const { steps } = result;
  if (steps.length === 0) {
    return emptyChart({ id, title, legend, table: stepTable(steps) }, 'No steps recorded.');
  }
  const rowHeight = 34;
  const plot = rowsPlot(steps.length, rowHeight);
  const peak = Math.max(...steps.flatMap((figures) => PERCENTILES.map(({ key }) => finite(figures.latencyMs[key]))));
  const x = linearScale(peak, plot.left, plot.width - plot.right);
  const rows = steps.map((figures, index) => {
    const rowTop = plot.top + index * rowHeight + 3;
    const bars = PERCENTILES.map(({ key, colour }, barIndex) => {
      const value = figures.latencyMs[key];
      return rect(
        plot.left,
        rowTop + barIndex * 9,
        x(value) - plot.left,
        8,
        colour,
        `${stepName(figures)} ${key}: ${formatMs(value)}`,
      );
    });
    return `${rowLabel(stepName(figures), rowTop + 13)}${bars.join('')}`;
  });
  const body = [valueAxisBottom(x, plot, formatMs), rows.join('\n')].join('\n');
  const slowest = steps.reduce((worst, figures) =>
    finite(figures.latencyMs.p99) > finite(worst.latencyMs.p99) ? figures : worst,
  );
  const description = `Grouped bars for ${steps.length} steps; the slowest p99 is ${stepName(slowest)} at ${formatMs(slowest.latencyMs.p99)}.`;
  return { id, title, svg: svgDocument({ id, title, description, plot, body }), legend, table: stepTable(steps) };
}

const ERROR_COLUMNS: TableColumn[] = [
  { header: 'Error type' },
  { header: 'Count', numeric: true },
  { header: 'Where (journey/step)' },
];

/** Step failures by error type as horizontal bars, most frequent first. */
export function errorsChart(result: SimulationResult): Chart {
  const id = 'chart-errors';
  const title = 'Step failures by error type';
  const legend = [{ colour: PALETTE.failure, label: 'failures' }];
  const errors = errorsByType(result.steps);
  const table = errors.length
    ? renderTable(
        ERROR_COLUMNS,
        errors.map((entry) => [
          entry.type,
          formatCount(entry.count),
          entry.steps.map(({ step, count }) => `${step}: ${formatCount(count)}`).join(', '),
        ]),
      )
    : noData('No step failed.');
  if (errors.length === 0) {
    return emptyChart({ id, title, legend, table: table }, 'No step failed.');
  }
  const rowHeight = 22;
  const plot = rowsPlot(errors.length, rowHeight);
  const x = linearScale(Math.max(...errors.map((entry) => entry.count)), plot.left, plot.width - plot.right);
  const rows = errors.map((entry, index) => {
    const rowTop = plot.top + index * rowHeight + 4;
    const end = x(entry.count);
    return [
      rowLabel(entry.type, rowTop + 7),
      rect(plot.left, rowTop, end - plot.left, 14, PALETTE.failure, `${entry.type}: ${formatCount(entry.count)}`),
      text(end + 4, rowTop + 7, formatCount(entry.count), { baseline: 'middle' }),
    ].join('');
  });
  const body = [valueAxisBottom(x, plot, formatCount), rows.join('\n')].join('\n');
  const total = errors.reduce((sum, entry) => sum + entry.count, 0);
  const description = `Horizontal bars: ${formatCount(total)} failures of ${errors.length} types; most frequent ${errors[0]?.type ?? ''} (${formatCount(errors[0]?.count ?? 0)}).`;
  return { id, title, svg: svgDocument({ id, title, description, plot, body }), legend, table };
}

/** The four charts, in the order the page shows them. */
export function simulationCharts(result: SimulationResult): Chart[] {
  return [outcomesChart(result), latencyChart(result), stepLatencyChart(result), errorsChart(result)];
}
