/** `{{dotted.path}}` templates: one pass over the template text, values inserted as data and never re-scanned. */

import type { FlowContext, JsonValue, MissingValuePolicy } from './types.ts';
import { FlowError } from './types.ts';

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}$/;
export const CONTEXT_ROOTS = ['form', 'connectors', 'user', 'claims', 'request', 'federated'] as const;

/** Reads a dotted path through own properties only (no prototype walk: `__proto__`, `constructor` are absent). */
export function resolvePath(context: FlowContext, path: string): unknown {
  let current: unknown = context;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** The paths a template reads, for validation. */
export function placeholderPaths(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1]!);
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return '';
  return JSON.stringify(value);
}

function lookup(context: FlowContext, path: string, onMissing: MissingValuePolicy): unknown {
  const value = resolvePath(context, path);
  if (value === undefined && onMissing === 'error') throw new FlowError(`template value ${path} is not set`);
  return value ?? '';
}

function render(template: string, context: FlowContext, onMissing: MissingValuePolicy, encode: (s: string) => string) {
  return template.replace(PLACEHOLDER, (_, path: string) => encode(asText(lookup(context, path, onMissing))));
}

export function renderText(template: string, context: FlowContext, onMissing: MissingValuePolicy): string {
  return render(template, context, onMissing, (s) => s);
}

/** Values are URL-encoded so they cannot add path segments, query parameters or change the host. */
export function renderUrl(template: string, context: FlowContext, onMissing: MissingValuePolicy): string {
  return render(template, context, onMissing, encodeURIComponent);
}

/** Header values cannot carry CR/LF (no header injection). */
export function renderHeader(template: string, context: FlowContext, onMissing: MissingValuePolicy): string {
  const value = renderText(template, context, onMissing);
  if (/[\r\n\0]/.test(value)) throw new FlowError('header value contains a line break or NUL');
  return value;
}

/**
 * Renders every string leaf of a JSON template. A leaf that is exactly one placeholder keeps the value's JSON type;
 * otherwise the text is substituted. Serialization later JSON-escapes it, so data never becomes structure.
 */
export function renderJson(template: JsonValue, context: FlowContext, onMissing: MissingValuePolicy): JsonValue {
  if (typeof template === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(template);
    if (whole) return toJson(lookup(context, whole[1]!, onMissing));
    return renderText(template, context, onMissing);
  }
  if (Array.isArray(template)) return template.map((item) => renderJson(item, context, onMissing));
  if (template !== null && typeof template === 'object') {
    const rendered: Record<string, JsonValue> = {};
    for (const [key, value] of Object.entries(template)) rendered[key] = renderJson(value, context, onMissing);
    return rendered;
  }
  return template;
}

function toJson(value: unknown): JsonValue {
  if (value === undefined) return '';
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}
