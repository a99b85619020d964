import type { RecordedExchange } from '../harness/network/types.ts';
import type { CheckResult, RunResult, Status } from '../harness/results.ts';
import { STATUSES } from '../harness/results.ts';

/** Checks grouped by suite, suites in the order they first appear in the run. */
export function groupBySuite(checks: readonly CheckResult[]): Map<string, CheckResult[]> {
  const suites = new Map<string, CheckResult[]>();
  for (const check of checks) {
    const group = suites.get(check.suite);
    if (group) group.push(check);
    else suites.set(check.suite, [check]);
  }
  return suites;
}

export function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? '';
}

/** `GET https://as.example/token → 400`, or the reason no response came back. */
export function describeExchange(exchange: RecordedExchange): string {
  const request = `${exchange.request.method} ${exchange.request.url}`;
  if (exchange.response) return `${request} → ${exchange.response.status}`;
  return `${request} → no response (${exchange.error ?? 'unknown error'})`;
}

/** `12 PASS · 1 FAIL · 0 WARN · 3 SKIP · 2 INFO` */
export function describeCounts(summary: RunResult['summary']): string {
  return STATUSES.map((status: Status) => `${summary[status]} ${status}`).join(' · ');
}

/** Characters XML 1.0 cannot carry at all, even escaped. */
const NOT_XML_CHARACTERS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const MARKUP_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text safe inside XML or HTML content and attribute values. */
export function escapeMarkup(text: string): string {
  return text.replace(NOT_XML_CHARACTERS, '\uFFFD').replace(/[&<>"']/g, (char) => MARKUP_ENTITIES[char] ?? char);
}

/** The start of a self-contained HTML page, up to and including `<body>`: the title escaped, the style inline. */
export function pageStart(title: string, style: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeMarkup(title)}</title>
<style>${style}</style>
</head>
<body>`;
}
