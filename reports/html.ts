import type { RecordedExchange } from '../harness/network/types.ts';
import type { CheckResult, RunResult, Status } from '../harness/results.ts';
import { STATUSES } from '../harness/results.ts';
import { describeCounts, describeExchange, escapeMarkup, groupBySuite, pageStart } from './format.ts';
import { requirementUrl } from './spec-references.ts';

/** `report.html`: one self-contained page (inline CSS, no scripts); the status filter is plain radio buttons + CSS. */
export function renderHtml(result: RunResult): string {
  const title = `MCP authorization conformance: ${result.target.name}`;
  const suites = [...groupBySuite(result.checks)].map(([suite, checks]) => renderSuite(suite, checks, result));
  return `${pageStart(title, STYLE)}
<header>
<h1>${escapeMarkup(title)}</h1>
${renderFacts(result)}
</header>
${renderFilter(result)}
<main>
${suites.join('\n')}
</main>
</body>
</html>
`;
}

function renderFacts(result: RunResult): string {
  const facts: [string, string | undefined][] = [
    ['Target', result.target.name],
    ['Resource', result.target.resource],
    ['Issuer', result.target.issuer],
    ['Spec', result.spec],
    ['Started', result.startedAt],
    ['Duration', `${(result.durationMs / 1000).toFixed(1)} s`],
    ['Seed', String(result.seed)],
    ['Result', describeCounts(result.summary)],
  ];
  const rows = facts
    .filter((fact): fact is [string, string] => fact[1] !== undefined)
    .map(([name, value]) => `<dt>${escapeMarkup(name)}</dt><dd>${escapeMarkup(value)}</dd>`);
  return `<dl class="facts">${rows.join('')}</dl>`;
}

function renderFilter(result: RunResult): string {
  const options: { id: string; label: string }[] = [
    { id: 'all', label: `All (${result.checks.length})` },
    ...STATUSES.map((status) => ({ id: status, label: `${status} (${result.summary[status]})` })),
  ];
  const inputs = options.map(
    ({ id }) => `<input type="radio" name="filter" id="filter-${id}"${id === 'all' ? ' checked' : ''}>`,
  );
  const labels = options.map(({ id, label }) => `<label for="filter-${id}">${escapeMarkup(label)}</label>`);
  return `${inputs.join('\n')}\n<nav class="filter" aria-label="Show checks by status">${labels.join(' ')}</nav>`;
}

function renderSuite(suite: string, checks: CheckResult[], run: RunResult): string {
  return `<section class="suite">
<h2>${escapeMarkup(suite)}</h2>
${checks.map((check) => renderCheck(check, run)).join('\n')}
</section>`;
}

function renderCheck(check: CheckResult, run: RunResult): string {
  const open = check.status === 'FAIL' || check.status === 'WARN' ? ' open' : '';
  const requirements = check.requirements.map((id) => renderRequirement(id, run)).join(', ');
  const evidence = check.evidence.length
    ? check.evidence.map(renderExchange).join('\n')
    : '<p class="none">No HTTP exchanges recorded.</p>';
  return `<details class="check status-${check.status}"${open}>
<summary><span class="badge">${check.status}</span> <code>${escapeMarkup(check.id)}</code> ${escapeMarkup(check.title)}</summary>
<p class="meta">${check.level} · ${requirements || 'no requirement IDs'} · ${check.durationMs} ms</p>
<pre class="message">${escapeMarkup(check.message)}</pre>
${evidence}
</details>`;
}

function renderRequirement(id: string, run: RunResult): string {
  const url = requirementUrl(id, run.spec);
  const label = `<code>${escapeMarkup(id)}</code>`;
  return url ? `<a href="${escapeMarkup(url)}">${label}</a>` : label;
}

function renderExchange(exchange: RecordedExchange): string {
  const { request, response } = exchange;
  const sent = [`${request.method} ${request.url}`, ...headerLines(request.headers), ...bodyLines(request.body)];
  const received = response
    ? [`HTTP ${response.status}`, ...headerLines(response.headers), ...bodyLines(response.body)]
    : [`No response: ${exchange.error ?? 'unknown error'}`];
  return `<details class="exchange">
<summary>${escapeMarkup(describeExchange(exchange))}</summary>
<h4>Request</h4>
<pre>${escapeMarkup(sent.join('\n'))}</pre>
<h4>Response</h4>
<pre>${escapeMarkup(received.join('\n'))}</pre>
</details>`;
}

function headerLines(headers: Record<string, string>): string[] {
  return Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
}

function bodyLines(body: string | undefined): string[] {
  return body ? ['', body] : [];
}

const STATUS_COLOURS: Record<Status, string> = {
  PASS: '#1a7f37',
  FAIL: '#cf222e',
  WARN: '#9a6700',
  SKIP: '#57606a',
  INFO: '#0969da',
};

const FILTER_RULES = STATUSES.flatMap((status) => [
  `#filter-${status}:checked ~ main .check:not(.status-${status}) { display: none; }`,
  `#filter-${status}:checked ~ main .suite:not(:has(.status-${status})) { display: none; }`,
]).join('\n');

const BADGE_RULES = STATUSES.map(
  (status) => `.status-${status} > summary .badge { background: ${STATUS_COLOURS[status]}; }`,
).join('\n');

const CHECKED_LABEL_RULES = ['all', ...STATUSES]
  .map((id) => `#filter-${id}:checked ~ nav label[for="filter-${id}"]`)
  .join(',\n');

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem; color: #1f2328; }
h1 { font-size: 1.5rem; margin-bottom: .5rem; }
h2 { font-size: 1.15rem; border-bottom: 1px solid #d0d7de; padding-bottom: .25rem; margin-top: 2rem; }
h4 { margin: .75rem 0 .25rem; font-size: .85rem; }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: #f6f8fa; padding: .5rem .75rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; margin: .25rem 0; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0; }
.facts dt { font-weight: 600; }
.facts dd { margin: 0; word-break: break-all; }
input[name="filter"] { position: absolute; opacity: 0; pointer-events: none; }
.filter { margin: 1.25rem 0 .5rem; display: flex; gap: .5rem; flex-wrap: wrap; }
.filter label { border: 1px solid #d0d7de; border-radius: 2rem; padding: .15rem .75rem; cursor: pointer; }
${CHECKED_LABEL_RULES} { background: #1f2328; color: #fff; }
input[name="filter"]:focus-visible ~ nav { outline: 2px solid #0969da; outline-offset: 4px; }
.check { border: 1px solid #d0d7de; border-radius: 6px; margin: .4rem 0; padding: .25rem .75rem; }
.check > summary { cursor: pointer; }
.badge { display: inline-block; min-width: 3.2rem; text-align: center; color: #fff; border-radius: 4px; font-size: .8rem; font-weight: 600; padding: 0 .3rem; }
${BADGE_RULES}
.meta { color: #57606a; margin: .4rem 0; font-size: .9rem; }
.exchange { margin: .3rem 0 .3rem 1rem; }
.exchange > summary { cursor: pointer; font-family: ui-monospace, monospace; font-size: 13px; word-break: break-all; }
.none { color: #57606a; font-style: italic; }
${FILTER_RULES}
`;
