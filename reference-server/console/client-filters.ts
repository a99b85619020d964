/**
 * Seed 004 (Filtering Clients): `field:operator:value` filters over the client list, combined with AND. Operators:
 * contains, equals, in (comma list) and matches (a length-capped regular expression without the constructs that can
 * backtrack exponentially) on text and list columns; before and after on the timestamp columns.
 */
import { OAuthError } from '../authorization-server/errors.ts';
import type { ClientRecord } from '../store/index.ts';
import { clientType } from './client-view.ts';

export const FILTER_FIELDS = ['name', 'client_id', 'type', 'tags', 'grant_types', 'created', 'updated'] as const;
export const FILTER_OPERATORS = ['contains', 'equals', 'in', 'matches', 'before', 'after'] as const;

export type FilterField = (typeof FILTER_FIELDS)[number];
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

const TIMESTAMP_FIELDS: readonly FilterField[] = ['created', 'updated'];
const TIMESTAMP_OPERATORS: readonly FilterOperator[] = ['before', 'after'];

export const MAX_FILTERS = 10;
export const MAX_FILTER_VALUE_LENGTH = 200;
export const MAX_PATTERN_LENGTH = 100;
/** Only this much of a column is matched against a pattern, which bounds the work any pattern can cause. */
const MAX_SUBJECT_LENGTH = 256;

export interface ClientFilter {
  field: FilterField;
  operator: FilterOperator;
  value: string;
  test(client: ClientRecord): boolean;
}

function badFilter(description: string): OAuthError {
  return new OAuthError('invalid_request', description);
}

function isField(value: string): value is FilterField {
  return (FILTER_FIELDS as readonly string[]).includes(value);
}

function isOperator(value: string): value is FilterOperator {
  return (FILTER_OPERATORS as readonly string[]).includes(value);
}

/** `field:operator:value`; the value may itself contain colons (timestamps, URLs). */
export function parseFilter(text: string): ClientFilter {
  const first = text.indexOf(':');
  const second = first < 0 ? -1 : text.indexOf(':', first + 1);
  if (second < 0) throw badFilter(`filter "${text}" must read field:operator:value (e.g. name:contains:agent)`);
  return clientFilter(text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1));
}

/** Validates one filter and compiles its test; every problem is a 400 naming the filter. */
export function clientFilter(field: string, operator: string, value: string): ClientFilter {
  if (!isField(field)) throw badFilter(`unknown filter field "${field}"; use one of ${FILTER_FIELDS.join(', ')}`);
  if (!isOperator(operator)) {
    throw badFilter(`unknown filter operator "${operator}"; use one of ${FILTER_OPERATORS.join(', ')}`);
  }
  if (value === '') throw badFilter(`filter ${field}:${operator} needs a value`);
  if (value.length > MAX_FILTER_VALUE_LENGTH) {
    throw badFilter(`filter values are at most ${MAX_FILTER_VALUE_LENGTH} characters`);
  }
  const timestampField = TIMESTAMP_FIELDS.includes(field);
  if (timestampField !== TIMESTAMP_OPERATORS.includes(operator)) {
    throw badFilter(
      timestampField
        ? `${field} is a timestamp: filter it with before or after`
        : `${operator} compares timestamps: use it on created or updated`,
    );
  }
  const test = timestampField
    ? timestampTest(field, operator, parseTimestamp(value))
    : textTest(field, valueTest(operator, value));
  return { field, operator, value, test };
}

export function parseFilters(texts: readonly string[]): ClientFilter[] {
  if (texts.length > MAX_FILTERS) throw badFilter(`at most ${MAX_FILTERS} filters at once`);
  return texts.map(parseFilter);
}

export function applyFilters(clients: readonly ClientRecord[], filters: readonly ClientFilter[]): ClientRecord[] {
  return clients.filter((client) => filters.every((filter) => filter.test(client)));
}

// ── Text and list columns ───────────────────────────────────────────────────────────────────────────────────────

function columnValues(client: ClientRecord, field: FilterField): string[] {
  switch (field) {
    case 'name':
      return [client.client_name ?? ''];
    case 'client_id':
      return [client.client_id];
    case 'type':
      return [clientType(client)];
    case 'tags':
      return client.tags ?? [];
    case 'grant_types':
      return client.grant_types;
    default:
      return [];
  }
}

/** A list column matches when any of its items does. */
function textTest(field: FilterField, matches: (item: string) => boolean) {
  return (client: ClientRecord) => columnValues(client, field).some(matches);
}

/** contains is case-insensitive; equals and in compare exactly. */
function valueTest(operator: FilterOperator, value: string): (item: string) => boolean {
  if (operator === 'contains') {
    const needle = value.toLowerCase();
    return (item) => item.toLowerCase().includes(needle);
  }
  if (operator === 'equals') return (item) => item === value;
  if (operator === 'in') {
    const options = new Set(value.split(',').map((option) => option.trim()));
    return (item) => options.has(item);
  }
  const pattern = safeRegExp(value);
  return (item) => pattern.test(item.slice(0, MAX_SUBJECT_LENGTH));
}

/**
 * A pattern that cannot backtrack exponentially: capped in length, with no backreferences and no quantified group
 * that itself holds a quantifier or an alternation (`(a+)+`, `(a|aa)*`). Case-insensitive.
 */
export function safeRegExp(pattern: string): RegExp {
  if (pattern.length > MAX_PATTERN_LENGTH) throw badFilter(`patterns are at most ${MAX_PATTERN_LENGTH} characters`);
  if (/\\[1-9]|\\k</.test(pattern)) throw badFilter(`pattern "${pattern}": backreferences are not allowed`);
  if (hasNestedQuantifier(pattern)) {
    throw badFilter(`pattern "${pattern}" repeats a group that repeats or alternates, which can take exponential time`);
  }
  try {
    return new RegExp(pattern, 'i');
  } catch {
    throw badFilter(`pattern "${pattern}" is not a valid regular expression`);
  }
}

const REPEATERS = new Set(['*', '+', '{']);

function hasNestedQuantifier(pattern: string): boolean {
  const openGroups: boolean[] = [];
  const markRisky = () => {
    if (openGroups.length > 0) openGroups[openGroups.length - 1] = true;
  };
  let inClass = false;
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '\\') {
      index++;
    } else if (inClass) {
      inClass = char !== ']';
    } else if (char === '[') {
      inClass = true;
    } else if (char === '(') {
      openGroups.push(false);
    } else if (char === ')') {
      const risky = openGroups.pop() ?? false;
      if (risky && REPEATERS.has(pattern[index + 1] ?? '')) return true;
      if (risky) markRisky();
    } else if (REPEATERS.has(char) || char === '|' || (char === '?' && pattern[index - 1] !== '(')) {
      markRisky();
    }
  }
  return false;
}

// ── Timestamp columns ───────────────────────────────────────────────────────────────────────────────────────────

/** Epoch seconds, or an ISO 8601 date or date-time; answered in epoch milliseconds. */
export function parseTimestamp(value: string): number {
  if (/^\d{1,12}$/.test(value)) return Number(value) * 1000;
  const parsed = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(parsed)) {
    throw badFilter(
      `"${value}" is no timestamp; use an ISO 8601 date (2026-01-31, 2026-01-31T12:00:00Z) or epoch seconds`,
    );
  }
  return parsed;
}

export function createdAtMs(client: ClientRecord): number {
  return client.client_id_issued_at * 1000;
}

export function updatedAtMs(client: ClientRecord): number {
  return client.updated_at ?? createdAtMs(client);
}

function timestampTest(field: FilterField, operator: FilterOperator, at: number) {
  const timeOf = field === 'created' ? createdAtMs : updatedAtMs;
  return operator === 'before'
    ? (client: ClientRecord) => timeOf(client) < at
    : (client: ClientRecord) => timeOf(client) > at;
}
