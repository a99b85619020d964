import type { FaultOutcome, InvariantFigures, SimulationResult } from '../../harness/simulation/types.ts';
import { escapeMarkup, pageStart } from '../format.ts';
import type { Chart } from './charts.ts';
import { errorsChart, faultTag, latencyChart, outcomesChart, stepLatencyChart } from './charts.ts';
import {
  describeActors,
  describeClientIdentities,
  describeCounts,
  describeFaultWindow,
  describeRecovery,
  formatBytes,
  formatCount,
  formatRate,
  formatSimTime,
  formatWallTime,
  invariantStatus,
  successRate,
} from './figures.ts';
import { PALETTE } from './svg.ts';
import type { Cell } from './table.ts';
import { renderTable } from './table.ts';

/** Violations listed per invariant on the page; `simulation.json` carries them all. */
export const VIOLATIONS_SHOWN = 20;

/** `simulation.html`: one self-contained page (inline CSS and SVG, no scripts, no external resources). */
export function renderSimulationHtml(result: SimulationResult): string {
  const title = `MCP authorization simulation: ${result.scenario.name}`;
  return `${pageStart(title, STYLE)}
<header>
<h1>${escapeMarkup(title)} ${verdictBadge(result.verdict)}</h1>
${result.scenario.description ? `<p class="lead">${escapeMarkup(result.scenario.description)}</p>` : ''}
</header>
<main>
${renderTotals(result)}
${renderInvariants(result.invariants)}
${renderChart(outcomesChart(result))}
${renderChart(latencyChart(result))}
${renderFaultOutcomes(result.faults)}
${renderChart(stepLatencyChart(result))}
${renderChart(errorsChart(result))}
</main>
</body>
</html>
`;
}

function verdictBadge(status: string): string {
  return `<span class="badge status-${escapeMarkup(status)}">${escapeMarkup(status)}</span>`;
}

function renderTotals(result: SimulationResult): string {
  const { totals } = result;
  const journeysDone = formatRate(successRate(totals.journeysCompleted, totals.journeysStarted));
  const facts: [string, string | undefined][] = [
    ['Verdict', result.verdict],
    ['Scenario', result.scenario.name],
    ['Scenario file', result.scenario.file],
    ['Target', `${result.target.name} (${result.target.kind})`],
    ['Seed', String(result.seed)],
    ['Agents', `${formatCount(result.agents)} (at most ${formatCount(result.maxConcurrentActors)} in flight)`],
    ['Actors', describeActors(result.actors)],
    ['Clients of users signing in without the consent flow', describeClientIdentities(result.clientIdentities)],
    ['Simulated time', formatSimTime(result.durationS)],
    ['Wall time', formatWallTime(result.wallMs)],
    ['Peak RSS', formatBytes(result.peakRssBytes)],
    ['Requests', formatCount(totals.requests)],
    [
      'Journeys',
      `${formatCount(totals.journeysStarted)} started, ${formatCount(totals.journeysCompleted)} completed (${journeysDone})`,
    ],
    ['Tokens issued', formatCount(totals.tokensIssued)],
    ['Refreshes', formatCount(totals.refreshes)],
    [
      'Refresh churn',
      `${formatCount(Math.round(totals.refreshChurnPerMinute * 10) / 10)} refresh tokens rotated / min`,
    ],
    ['Tool', `${result.tool.name} ${result.tool.version}`],
  ];
  const rows = facts
    .filter((fact): fact is [string, string] => fact[1] !== undefined)
    .map(([name, value]) => `<dt>${escapeMarkup(name)}</dt><dd>${escapeMarkup(value)}</dd>`);
  return `<section aria-labelledby="totals">
<h2 id="totals">Totals</h2>
<dl class="facts">${rows.join('')}</dl>
</section>`;
}

function renderInvariants(invariants: readonly InvariantFigures[]): string {
  const body = invariants.length
    ? renderTable(
        [
          { header: 'Invariant' },
          { header: 'What must hold' },
          { header: 'Checked', numeric: true },
          { header: 'Result' },
          { header: 'Violations' },
        ],
        invariants.map((figures): Cell[] => [
          { html: `<code>${escapeMarkup(figures.invariant)}</code>` },
          figures.description,
          formatCount(figures.checked),
          { html: verdictBadge(invariantStatus(figures)) },
          { html: renderViolations(figures) },
        ]),
      )
    : '<p class="none">No invariants were checked.</p>';
  return `<section aria-labelledby="invariants">
<h2 id="invariants">Invariants</h2>
${body}
</section>`;
}

function renderViolations(figures: InvariantFigures): string {
  const { violations } = figures;
  if (violations.length === 0) return figures.checked > 0 ? 'none' : 'not checked';
  const items = violations
    .slice(0, VIOLATIONS_SHOWN)
    .map(
      (violation) =>
        `<li>at ${escapeMarkup(formatSimTime(violation.atS))}, <code>${escapeMarkup(violation.actor)}</code>: ${escapeMarkup(violation.message)}</li>`,
    );
  const more = violations.length - VIOLATIONS_SHOWN;
  const rest = more > 0 ? `<li>… and ${formatCount(more)} more (all in simulation.json)</li>` : '';
  return `<ol class="violations">${items.join('')}${rest}</ol>`;
}

function renderFaultOutcomes(outcomes: readonly FaultOutcome[]): string {
  const body = outcomes.length
    ? renderTable(
        [
          { header: 'Fault' },
          { header: 'Kind' },
          { header: 'When' },
          { header: 'Success before', numeric: true },
          { header: 'During', numeric: true },
          { header: 'After', numeric: true },
          { header: 'Recovery' },
          { header: 'Failures during (journey/step)' },
        ],
        outcomes.map((outcome, index): Cell[] => [
          `${faultTag(index)} ${outcome.fault.label}`,
          outcome.fault.kind,
          describeFaultWindow(outcome.fault),
          formatRate(outcome.successRateBefore),
          formatRate(outcome.successRateDuring),
          formatRate(outcome.successRateAfter),
          { html: recoveryMarkup(outcome) },
          describeCounts(outcome.failuresDuring),
        ]),
      )
    : '<p class="none">No faults were injected.</p>';
  return `<section aria-labelledby="faults">
<h2 id="faults">Fault outcomes</h2>
${body}
</section>`;
}

function recoveryMarkup(outcome: FaultOutcome): string {
  const recovered = outcome.recovery === 'recovered' || outcome.recovery === 'unaffected';
  return `<span class="${recovered ? 'recovered' : 'not-recovered'}">${escapeMarkup(describeRecovery(outcome))}</span>`;
}

function renderChart(chart: Chart): string {
  const legend = chart.legend.map(
    ({ colour, label }) =>
      `<li><span class="swatch" style="background:${escapeMarkup(colour)}" aria-hidden="true"></span>${escapeMarkup(label)}</li>`,
  );
  return `<section aria-labelledby="${chart.id}-heading">
<h2 id="${chart.id}-heading">${escapeMarkup(chart.title)}</h2>
<figure>
${chart.svg}
<figcaption><ul class="legend">${legend.join('')}</ul></figcaption>
</figure>
<details>
<summary>Data table</summary>
${chart.table}
</details>
</section>`;
}

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem; color: ${PALETTE.text}; }
h1 { font-size: 1.5rem; margin-bottom: .5rem; }
h2 { font-size: 1.15rem; border-bottom: 1px solid #d0d7de; padding-bottom: .25rem; margin-top: 2rem; }
code { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; }
.lead { color: #57606a; margin-top: 0; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0; }
.facts dt { font-weight: 600; }
.facts dd { margin: 0; word-break: break-word; }
.badge { display: inline-block; min-width: 3.2rem; text-align: center; color: #fff; border-radius: 4px; font-size: .8rem; font-weight: 600; padding: 0 .3rem; vertical-align: middle; }
.status-PASS { background: ${PALETTE.success}; }
.status-FAIL { background: ${PALETTE.failure}; }
.status-SKIP { background: ${PALETTE.axis}; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .9rem; }
th, td { border-bottom: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.violations { margin: 0; padding-left: 1.2rem; }
.recovered { color: ${PALETTE.success}; }
.not-recovered { color: ${PALETTE.failure}; font-weight: 600; }
figure { margin: .5rem 0; }
figure svg { width: 100%; height: auto; display: block; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; padding: 0; margin: .25rem 0; font-size: .85rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .35rem; vertical-align: -1px; border-radius: 2px; }
details > summary { cursor: pointer; color: #0969da; }
.none { color: #57606a; font-style: italic; }
`;
