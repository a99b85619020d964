/**
 * `npm run interop:official-examples`: the official suite's example clients (examples/clients/typescript), run through
 * OUR client mode. Good examples should pass; each broken one should fail the check of the requirement its defect
 * breaks. Writes reports/examples/official-example-clients.{md,json}.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLIENT_SCENARIOS } from '../suites/client/index.ts';
import {
  CACHE_ROOT,
  ensureOfficialExamples,
  InteropSetupError,
  type OfficialExamplesInstall,
  PROJECT_ROOT,
  REPORTS_DIR,
} from './cache.ts';
import { type Diagnosis, diagnose, OUR_SUITE_SYMPTOMS } from './diagnoses.ts';
import { EXAMPLE_MATRIX, type ExampleRow, type GoodExample } from './example-matrix.ts';
import { code, markdownTable, shorten } from './markdown.ts';
import {
  type BrokenOutcome,
  checksOfScenario,
  judgeBroken,
  type OurCheck,
  observedText,
  readOurReport,
} from './our-results.ts';
import { runProgram, tail } from './process.ts';

const REPORT_NAME = 'official-example-clients';
const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const OUR_CLI = join(PROJECT_ROOT, 'cli', 'bin.js');
const RUN_TIMEOUT_MS = 30 * 60_000;
/** Per scenario; the official clients either finish in a few seconds or wait forever. */
const CLIENT_TIMEOUT_SECONDS = 12;

type RowOutcome = BrokenOutcome | 'passes' | 'fails' | 'not run';

interface RowResult {
  row: ExampleRow;
  scenarios: string[];
  outcome: RowOutcome;
  /** Our non-PASS, non-SKIP verdicts. */
  problems: OurCheck[];
  diagnosis?: Diagnosis;
  reason?: string;
}

async function main(): Promise<number> {
  const install = await ensureOfficialExamples();
  const runRoot = join(CACHE_ROOT, 'runs', 'official-examples');
  await rm(runRoot, { recursive: true, force: true });
  const known = new Set(CLIENT_SCENARIOS.map((scenario) => scenario.name));
  const results: RowResult[] = [];
  for (const [index, row] of EXAMPLE_MATRIX.entries()) {
    results.push(await runRow(row, install, known, join(runRoot, `${index}-${row.file.replace(/\.ts$/, '')}`)));
  }
  await mkdir(REPORTS_DIR, { recursive: true });
  await writeFile(join(REPORTS_DIR, `${REPORT_NAME}.md`), renderReport(install, results));
  await writeFile(
    join(REPORTS_DIR, `${REPORT_NAME}.json`),
    `${JSON.stringify(rawReport(install, results), null, 2)}\n`,
  );
  process.stdout.write(`${renderMatrix(results)}\nwrote reports/examples/${REPORT_NAME}.md and .json\n`);
  return 0;
}

function scenariosFor(row: ExampleRow, known: ReadonlySet<string>): string[] {
  if (row.kind === 'broken') return known.has(row.ours.scenario) ? [row.ours.scenario] : [];
  const wanted = row.scenarios ?? [...known].filter((name) => name.startsWith('auth/'));
  return wanted.filter((name) => known.has(name));
}

async function runRow(
  row: ExampleRow,
  install: OfficialExamplesInstall,
  known: ReadonlySet<string>,
  outDir: string,
): Promise<RowResult> {
  const scenarios = scenariosFor(row, known);
  const example = join(install.clientsDir, row.file);
  if (!existsSync(example)) return notRun(row, `${row.file} is not in the official repository at this commit`);
  if (scenarios.length === 0) return notRun(row, 'no such scenario in our client suite yet');
  process.stderr.write(`interop: ${row.file} on ${scenarios.join(', ')}\n`);
  const checks = await runOurClientMode(example, row, scenarios, outDir);
  const problems = checks.filter((check) => check.status !== 'PASS' && check.status !== 'SKIP');
  const outcome: RowOutcome =
    row.kind === 'broken'
      ? judgeBroken(checks, row.ours.requirements)
      : checks.some((check) => check.status === 'FAIL')
        ? 'fails'
        : 'passes';
  const diagnosis = problems.length > 0 ? diagnoseRow(checks, scenarios, outDir) : undefined;
  return { row, scenarios, outcome, problems, ...(diagnosis ? { diagnosis } : {}) };
}

function notRun(row: ExampleRow, reason: string): RowResult {
  return { row, scenarios: [], outcome: 'not run', problems: [], reason };
}

/** Runs our CLI once for the row; the client's stderr goes to one log per scenario under `outDir/logs`. */
async function runOurClientMode(
  example: string,
  row: ExampleRow,
  scenarios: readonly string[],
  outDir: string,
): Promise<OurCheck[]> {
  const logs = join(outDir, 'logs');
  await mkdir(logs, { recursive: true });
  const command = `${TSX} ${example} 2>>"${logs}/$(printf %s "$MCP_CONFORMANCE_SCENARIO" | tr / _).log"`;
  const selection = scenarios.length === 1 ? ['--scenario', scenarios[0] ?? ''] : ['--suite', 'auth'];
  const spec = row.kind === 'broken' && row.ours.spec ? ['--spec', row.ours.spec] : [];
  const args = [
    OUR_CLI,
    'client',
    '--command',
    command,
    ...selection,
    ...spec,
    '--out',
    outDir,
    '--timeout',
    String(CLIENT_TIMEOUT_SECONDS),
  ];
  const outcome = await runProgram(process.execPath, args, { cwd: PROJECT_ROOT, timeoutMs: RUN_TIMEOUT_MS });
  const report = join(outDir, 'report.json');
  if (!existsSync(report)) {
    throw new InteropSetupError(
      `our client mode wrote no report for ${row.file} (exit ${outcome.exitCode}):\n${tail(outcome.stderr)}`,
    );
  }
  const checks = await readOurReport(report);
  return scenarios.length === 1
    ? checks
    : checks.filter((check) => scenarios.some((name) => checksOfScenario([check], name).length));
}

function diagnoseRow(checks: readonly OurCheck[], scenarios: readonly string[], outDir: string): Diagnosis | undefined {
  const observed = observedText(checks) + scenarios.map((name) => readLog(outDir, name)).join('\n');
  for (const scenario of scenarios) {
    const found = diagnose(OUR_SUITE_SYMPTOMS, scenario, observed);
    if (found) return found;
  }
  return undefined;
}

function readLog(outDir: string, scenario: string): string {
  const file = join(outDir, 'logs', `${scenario.replace(/\//g, '_')}.log`);
  return existsSync(file) ? tail(readFileSync(file, 'utf8'), 40) : '';
}

const EXPECTED: Record<ExampleRow['kind'], RowOutcome> = { good: 'passes', broken: 'caught' };

function matrixRow(result: RowResult): string[] {
  const { row } = result;
  const ours =
    row.kind === 'broken'
      ? `${row.ours.scenario}${row.ours.spec ? ` (${row.ours.spec})` : ''}`
      : scenarioSpan(row, result);
  const official = row.kind === 'broken' ? `${row.official.scenario}: ${row.official.failingChecks.join(', ')}` : '—';
  const verdict = result.outcome === EXPECTED[row.kind] ? `${result.outcome} ✓` : result.outcome;
  return [
    code(row.file),
    row.kind,
    official,
    ours,
    row.kind === 'broken' ? row.ours.requirements.join(', ') : '—',
    verdict,
  ];
}

function scenarioSpan(row: GoodExample, result: RowResult): string {
  return row.scenarios
    ? result.scenarios.join(', ') || row.scenarios.join(', ')
    : `our \`auth\` suite (${result.scenarios.length})`;
}

function renderMatrix(results: readonly RowResult[]): string {
  return markdownTable(
    [
      'Example client',
      'Kind',
      'Official scenario: checks it fails there',
      'Our scenario',
      'Requirements',
      'Our verdict',
    ],
    results.map(matrixRow),
  );
}

function renderReport(install: OfficialExamplesInstall, results: readonly RowResult[]): string {
  const ran = results.filter((result) => result.outcome !== 'not run');
  const asExpected = ran.filter((result) => result.outcome === EXPECTED[result.row.kind]);
  return [
    '# The official example clients through our client mode',
    '',
    'Generated by `npm run interop:official-examples` (interop/official-examples.ts); re-run it to refresh. Raw ' +
      `verdicts: [${REPORT_NAME}.json](${REPORT_NAME}.json).`,
    '',
    `- Example clients: github.com/modelcontextprotocol/conformance at ${code(install.commit.slice(0, 12))} ` +
      `(package version ${install.version}), examples/clients/typescript, run unmodified from the cache with the ` +
      `repository's locked dependencies (@modelcontextprotocol/sdk ${install.sdkVersion}) on Node ${process.version}.`,
    `- Our command: ${code('mcp-auth-conformance client --command "tsx <example>.ts" --scenario <ours> [--spec V] --out <dir>')}` +
      ' (the whole `auth` suite for the good clients).',
    `- Run on ${new Date().toISOString().slice(0, 10)}: ${results.length} rows, ${ran.length} run, ` +
      `${asExpected.length} as expected (good → passes, broken → caught on the matching requirement), ` +
      `${results.length - ran.length} not run.`,
    '',
    'Verdicts: **passes** (no FAIL), **fails**; for broken clients **caught** (a check citing one of the listed ' +
      'requirements FAILs or WARNs), **caught elsewhere** (only other checks do), **missed**, **not run** (we have no ' +
      'such scenario yet). ✓ marks the expected verdict.',
    '',
    renderMatrix(results),
    '',
    '## Details and explanations',
    '',
    ...results.flatMap(renderDetail),
  ].join('\n');
}

function renderDetail(result: RowResult): string[] {
  const { row } = result;
  const heading = `### ${row.file} — ${row.kind === 'broken' ? row.ours.scenario : 'good'}: ${result.outcome}`;
  const about = row.kind === 'broken' ? `Defect: ${row.defect}.` : `About: ${row.note}.`;
  if (result.outcome === 'not run') return [heading, '', about, `Not run: ${result.reason}.`, ''];
  const lines = result.problems.map(
    (check) => `- ${check.status} ${code(check.id)} [${check.requirements.join(', ')}]: ${shorten(check.message)}`,
  );
  return [
    heading,
    '',
    about,
    '',
    ...(result.diagnosis ? [`Cause (${result.diagnosis.attribution}): ${result.diagnosis.explanation}`, ''] : []),
    ...(lines.length > 0 ? lines : ['- every check PASSed or was not applicable (SKIP)']),
    '',
  ];
}

function rawReport(install: OfficialExamplesInstall, results: readonly RowResult[]) {
  return {
    officialCommit: install.commit,
    officialVersion: install.version,
    sdk: install.sdkVersion,
    node: process.version,
    generatedAt: new Date().toISOString(),
    rows: results.map((result) => ({
      file: result.row.file,
      kind: result.row.kind,
      ...(result.row.kind === 'broken' ? { official: result.row.official, ours: result.row.ours } : {}),
      scenarios: result.scenarios,
      outcome: result.outcome,
      reason: result.reason,
      diagnosis: result.diagnosis,
      problems: result.problems.map(({ id, status, requirements, message }) => ({ id, status, requirements, message })),
    })),
  };
}

main().then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof InteropSetupError ? 2 : 1);
  },
);
