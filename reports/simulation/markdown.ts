import type { SimulationResult } from '../../harness/simulation/types.ts';
import {
  describeActors,
  describeClientIdentities,
  describeCounts,
  describeFaultWindow,
  describeRecovery,
  formatBytes,
  formatCount,
  formatMs,
  formatRate,
  formatSimTime,
  formatWallTime,
  invariantStatus,
  stepName,
  successRate,
} from './figures.ts';

/** A short Markdown summary of a simulation for CI logs and job summaries. */
export function renderSimulationMarkdown(result: SimulationResult): string {
  const sections = [renderHeader(result), renderInvariants(result), renderFaults(result), renderSteps(result)];
  return `${sections.filter((section) => section !== '').join('\n\n')}\n`;
}

function renderHeader(result: SimulationResult): string {
  const { totals } = result;
  return [
    `# MCP authorization simulation: ${escapeText(result.scenario.name)} — ${result.verdict}`,
    '',
    `- **Target:** ${escapeText(result.target.name)} (${result.target.kind}), seed ${result.seed}`,
    `- **Agents:** ${formatCount(result.agents)} (${escapeText(describeActors(result.actors))}; at most ${formatCount(result.maxConcurrentActors)} in flight)`,
    `- **Clients of users signing in without the consent flow:** ${escapeText(describeClientIdentities(result.clientIdentities))}`,
    `- **Time:** ${formatSimTime(result.durationS)} simulated in ${formatWallTime(result.wallMs)}, peak RSS ${formatBytes(result.peakRssBytes)}`,
    `- **Journeys:** ${formatCount(totals.journeysStarted)} started, ${formatCount(totals.journeysCompleted)} completed; ${formatCount(totals.requests)} requests`,
    `- **Tokens:** ${formatCount(totals.tokensIssued)} issued, ${formatCount(totals.refreshes)} refreshes (${formatCount(Math.round(totals.refreshChurnPerMinute * 10) / 10)} / min)`,
  ].join('\n');
}

function renderInvariants(result: SimulationResult): string {
  if (result.invariants.length === 0) return '';
  const rows = result.invariants.map((figures) => {
    const first = figures.violations[0];
    const example = first ? `at ${formatSimTime(first.atS)}, ${first.actor}: ${first.message}` : '';
    return tableRow([
      invariantStatus(figures),
      figures.invariant,
      formatCount(figures.checked),
      formatCount(figures.violations.length),
      example,
    ]);
  });
  return table('Invariants', ['Result', 'Invariant', 'Checked', 'Violations', 'First violation'], rows);
}

function renderFaults(result: SimulationResult): string {
  if (result.faults.length === 0) return '';
  const rows = result.faults.map((outcome) =>
    tableRow([
      `${outcome.fault.label} (${outcome.fault.kind})`,
      describeFaultWindow(outcome.fault),
      `${formatRate(outcome.successRateBefore)} → ${formatRate(outcome.successRateDuring)} → ${formatRate(outcome.successRateAfter)}`,
      describeRecovery(outcome),
      describeCounts(outcome.failuresDuring),
    ]),
  );
  return table('Faults', ['Fault', 'When', 'Success before → during → after', 'Recovery', 'Failures during'], rows);
}

function renderSteps(result: SimulationResult): string {
  if (result.steps.length === 0) return '';
  const rows = result.steps.map((figures) =>
    tableRow([
      stepName(figures),
      formatCount(figures.attempts),
      formatRate(successRate(figures.successes, figures.attempts)),
      `${formatMs(figures.latencyMs.p50)} / ${formatMs(figures.latencyMs.p95)} / ${formatMs(figures.latencyMs.p99)}`,
      describeCounts(figures.errors),
    ]),
  );
  return table('Steps', ['Step', 'Attempts', 'Success', 'p50 / p95 / p99', 'Errors'], rows);
}

function table(heading: string, headers: string[], rows: string[]): string {
  return [`## ${heading}`, '', tableRow(headers), tableRow(headers.map(() => '---')), ...rows].join('\n');
}

/** A table row of plain text: nothing in a cell can become markup or break the row. */
function tableRow(cells: string[]): string {
  return `| ${cells.map((cell) => escapeText(cell).replace(/\r?\n/g, ' ')).join(' | ')} |`;
}

/** Plain text that must not turn into Markdown or HTML (tags, emphasis, links, code, table pipes). */
function escapeText(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (char) => `\\${char}`);
}
