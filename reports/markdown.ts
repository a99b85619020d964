import type { CheckResult, RunResult } from '../harness/results.ts';
import { describeCounts, describeExchange, firstLine, groupBySuite } from './format.ts';

/** `summary.md`: a page a reviewer reads in a pull request or a CI job summary. */
export function renderMarkdown(result: RunResult): string {
  const problems = result.checks.filter((check) => check.status === 'FAIL' || check.status === 'WARN');
  const sections = [
    renderHeader(result),
    ...[...groupBySuite(result.checks)].map(([suite, checks]) => renderSuiteTable(suite, checks)),
    renderProblems(problems),
  ];
  return `${sections.join('\n\n')}\n`;
}

function renderHeader(result: RunResult): string {
  const { resource, issuer } = result.target;
  const target = [resource && `resource ${inlineCode(resource)}`, issuer && `issuer ${inlineCode(issuer)}`]
    .filter((part): part is string => Boolean(part))
    .join(', ');
  return [
    `# MCP authorization conformance: ${escapeText(result.target.name)}`,
    '',
    `- **Target:** ${escapeText(result.target.name)}${target ? ` (${target})` : ''}`,
    `- **Spec:** ${result.spec}`,
    `- **Date:** ${result.startedAt}`,
    `- **Duration:** ${(result.durationMs / 1000).toFixed(1)} s (seed ${result.seed})`,
    `- **Result:** ${describeCounts(result.summary)}`,
  ].join('\n');
}

function renderSuiteTable(suite: string, checks: CheckResult[]): string {
  const rows = checks.map((check) =>
    tableRow([
      check.status,
      inlineCode(check.id),
      check.level,
      check.requirements.join(', '),
      escapeText(firstLine(check.message)),
    ]),
  );
  return [
    `## ${escapeText(suite)}`,
    '',
    tableRow(['Status', 'Check', 'Level', 'Requirements', 'Result']),
    tableRow(['---', '---', '---', '---', '---']),
    ...rows,
  ].join('\n');
}

function renderProblems(problems: CheckResult[]): string {
  if (problems.length === 0) return '## Failures and warnings\n\nNone.';
  return ['## Failures and warnings', ...problems.map(renderProblem)].join('\n\n');
}

function renderProblem(check: CheckResult): string {
  const exchange = check.evidence[0];
  return [
    `### ${check.status} ${inlineCode(check.id)}: ${escapeText(check.title)}`,
    '',
    `Requirements: ${check.requirements.join(', ')} (${check.level})`,
    '',
    check.message
      .split(/\r?\n/)
      .map((line) => `> ${escapeText(line)}`)
      .join('\n'),
    ...(exchange ? ['', `First exchange: ${inlineCode(describeExchange(exchange))}`] : []),
  ].join('\n');
}

function tableRow(cells: string[]): string {
  return `| ${cells.map((cell) => cell.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')).join(' | ')} |`;
}

/** Plain text that must not turn into markup (HTML tags, emphasis, links); `_` inside words is already literal. */
function escapeText(text: string): string {
  return text.replace(/[\\`*[\]<>]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, (char) => `\\${char}`);
}

/** A code span that holds any text, backticks included (CommonMark §6.1). */
function inlineCode(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const padding = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${padding}${text}${padding}${fence}`;
}
