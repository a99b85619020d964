import type { CheckResult, RunResult } from '../harness/results.ts';
import { describeExchange, escapeMarkup, firstLine, groupBySuite } from './format.ts';

/** `junit.xml`: one `<testsuite>` per suite, one `<testcase>` per check, in the shape CI systems read. */
export function renderJunit(result: RunResult): string {
  const suites = [...groupBySuite(result.checks)].map(([suite, checks]) =>
    renderSuite(suite, checks, result.startedAt),
  );
  const attributes = attributesOf({
    name: 'mcp-auth-conformance',
    tests: result.checks.length,
    failures: result.summary.FAIL,
    errors: 0,
    skipped: result.summary.SKIP,
    time: seconds(result.durationMs),
    timestamp: result.startedAt,
  });
  return ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites ${attributes}>`, ...suites, '</testsuites>', ''].join(
    '\n',
  );
}

function renderSuite(suite: string, checks: CheckResult[], timestamp: string): string {
  const count = (status: CheckResult['status']) => checks.filter((check) => check.status === status).length;
  const attributes = attributesOf({
    name: suite,
    tests: checks.length,
    failures: count('FAIL'),
    errors: 0,
    skipped: count('SKIP'),
    time: seconds(checks.reduce((total, check) => total + check.durationMs, 0)),
    timestamp,
  });
  return [`  <testsuite ${attributes}>`, ...checks.map(renderTestcase), '  </testsuite>'].join('\n');
}

function renderTestcase(check: CheckResult): string {
  const attributes = attributesOf({
    classname: check.suite,
    name: `${check.id}: ${check.title}`,
    time: seconds(check.durationMs),
  });
  const outcome = renderOutcome(check);
  if (!outcome) return `    <testcase ${attributes}/>`;
  return [`    <testcase ${attributes}>`, `      ${outcome}`, '    </testcase>'].join('\n');
}

function renderOutcome(check: CheckResult): string | undefined {
  switch (check.status) {
    case 'FAIL': {
      const message = `[${check.requirements.join(', ')}] ${firstLine(check.message)}`;
      const body = [
        check.message,
        `Requirements: ${check.requirements.join(', ')} (${check.level})`,
        ...check.evidence.map(describeExchange),
      ].join('\n');
      return `<failure ${attributesOf({ message, type: check.level })}>${escapeMarkup(body)}</failure>`;
    }
    case 'SKIP':
      return `<skipped ${attributesOf({ message: check.message })}/>`;
    case 'WARN':
    case 'INFO':
      return `<system-out>${escapeMarkup(`${check.status}: ${check.message}`)}</system-out>`;
    case 'PASS':
      return undefined;
  }
}

function attributesOf(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}="${escapeAttribute(String(value))}"`)
    .join(' ');
}

/** Attribute values are normalised by XML parsers, so line breaks must be character references to survive. */
function escapeAttribute(value: string): string {
  return escapeMarkup(value).replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

function seconds(milliseconds: number): string {
  return (milliseconds / 1000).toFixed(3);
}
