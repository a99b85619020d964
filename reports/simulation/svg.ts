import { escapeMarkup } from '../format.ts';
import { finite } from './figures.ts';

/** Small SVG drawing primitives: linear scales with round ticks, axes, shapes. Every number passes through `coord`. */

export const PALETTE = {
  success: '#1a7f37',
  failure: '#cf222e',
  line: '#0969da',
  p50: '#54aeff',
  p95: '#0969da',
  p99: '#0a3069',
  fault: '#d4a72c',
  faultText: '#7d4e00',
  axis: '#57606a',
  grid: '#d8dee4',
  text: '#1f2328',
} as const;

/** A coordinate as short, always-finite text. */
export function coord(value: number): string {
  return String(Math.round(finite(value) * 10) / 10);
}

export interface Scale {
  (value: number): number;
  ticks: number[];
}

const TIME_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400];

/** The smallest 1-2-5 step (or time step for seconds) that covers `max` in about `count` ticks. */
function tickStep(max: number, count: number, time: boolean): number {
  const raw = max / count;
  if (time) {
    const step = TIME_STEPS_S.find((candidate) => candidate >= raw);
    if (step !== undefined) return step;
  }
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const multiple = [1, 2, 5, 10].find((candidate) => candidate * magnitude >= raw) ?? 10;
  return multiple * magnitude;
}

/** Maps [0, max] onto [from, to]; the domain is widened to a round last tick unless `exact`. */
export function linearScale(
  max: number,
  from: number,
  to: number,
  options: { ticks?: number; time?: boolean; exact?: boolean } = {},
): Scale {
  const domainMax = finite(max) > 0 ? finite(max) : 1;
  const step = tickStep(domainMax, options.ticks ?? 5, options.time === true);
  const top = options.exact ? domainMax : Math.ceil(domainMax / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let tick = 0; tick <= top + step * 1e-9; tick += step) ticks.push(Math.round(tick * 1e6) / 1e6);
  const scale = (value: number): number => from + ((to - from) * Math.min(Math.max(finite(value), 0), top)) / top;
  return Object.assign(scale, { ticks });
}

export interface Plot {
  width: number;
  height: number;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export function svgDocument(options: {
  id: string;
  title: string;
  description: string;
  plot: Plot;
  body: string;
}): string {
  const { id, title, description, plot, body } = options;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${coord(plot.width)} ${coord(plot.height)}" role="img" aria-labelledby="${id}-title ${id}-desc" font-family="system-ui, sans-serif" font-size="11">
<title id="${id}-title">${escapeMarkup(title)}</title>
<desc id="${id}-desc">${escapeMarkup(description)}</desc>
${body}
</svg>`;
}

export function text(
  x: number,
  y: number,
  content: string,
  options: { anchor?: 'start' | 'middle' | 'end'; fill?: string; baseline?: 'middle' | 'hanging' } = {},
): string {
  const anchor = options.anchor ? ` text-anchor="${options.anchor}"` : '';
  const baseline = options.baseline ? ` dominant-baseline="${options.baseline}"` : '';
  return `<text x="${coord(x)}" y="${coord(y)}" fill="${options.fill ?? PALETTE.text}"${anchor}${baseline}>${escapeMarkup(content)}</text>`;
}

/** A rectangle with an optional tooltip (`<title>`, read by screen readers and shown on hover). */
export function rect(x: number, y: number, width: number, height: number, fill: string, tooltip?: string): string {
  const shape = `x="${coord(x)}" y="${coord(y)}" width="${coord(Math.max(0, width))}" height="${coord(Math.max(0, height))}" fill="${fill}"`;
  return tooltip ? `<rect ${shape}><title>${escapeMarkup(tooltip)}</title></rect>` : `<rect ${shape}/>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, stroke: string, dashed = false): string {
  const dash = dashed ? ' stroke-dasharray="4 3"' : '';
  return `<line x1="${coord(x1)}" y1="${coord(y1)}" x2="${coord(x2)}" y2="${coord(y2)}" stroke="${stroke}"${dash}/>`;
}

/** Horizontal grid lines with labels on the left, for a vertical value scale. */
export function valueAxisLeft(scale: Scale, plot: Plot, format: (value: number) => string): string {
  const right = plot.width - plot.right;
  return scale.ticks
    .map((tick) => {
      const y = scale(tick);
      return `${line(plot.left, y, right, y, PALETTE.grid)}${text(plot.left - 6, y, format(tick), { anchor: 'end', fill: PALETTE.axis, baseline: 'middle' })}`;
    })
    .join('\n');
}

/** Vertical grid lines with labels underneath, for a horizontal scale. */
export function valueAxisBottom(scale: Scale, plot: Plot, format: (value: number) => string): string {
  const bottom = plot.height - plot.bottom;
  return scale.ticks
    .map((tick) => {
      const x = scale(tick);
      return `${line(x, plot.top, x, bottom, PALETTE.grid)}${text(x, bottom + 14, format(tick), { anchor: 'middle', fill: PALETTE.axis })}`;
    })
    .join('\n');
}

/** The centred message an empty chart shows instead of marks. */
export function emptyMessage(plot: Plot, message: string): string {
  return text(plot.width / 2, plot.height / 2, message, { anchor: 'middle', fill: PALETTE.axis, baseline: 'middle' });
}
