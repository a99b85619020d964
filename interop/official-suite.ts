/**
 * `npm run interop:official-suite`: our good mock client, run through the official
 * `@modelcontextprotocol/conformance client --suite auth` (and, one by one, through the official auth scenarios outside
 * that suite: back-compat, 2026-07-28 drafts, extensions). Writes reports/examples/official-suite-good-client.{md,json}.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CACHE_ROOT,
  ensureOfficialSuite,
  InteropSetupError,
  type OfficialSuiteInstall,
  PROJECT_ROOT,
  REPORTS_DIR,
} from './cache.ts';
import { CASCADE_NOTE, type Diagnosis, diagnose, OFFICIAL_SUITE_SYMPTOMS, UNDIAGNOSED } from './diagnoses.ts';
import { code, markdownTable, shorten } from './markdown.ts';
import {
  type OfficialScenarioResult,
  parseOfficialAuthScenarios,
  readOfficialResults,
  summarizeScenario,
} from './official-results.ts';
import { runProgram, tail } from './process.ts';

export const GOOD_CLIENT_COMMAND = 'node_modules/.bin/tsx mocks/clients/bin/good-client.ts';
const SUITE_TIMEOUT_MS = 15 * 60_000;
const REPORT_NAME = 'official-suite-good-client';

interface Selection {
  title: string;
  command: string;
  results: OfficialScenarioResult[];
}

async function main(): Promise<number> {
  const install = await ensureOfficialSuite();
  const runRoot = join(CACHE_ROOT, 'runs', 'official-suite');
  await rm(runRoot, { recursive: true, force: true });

  const suite = await runAuthSuite(install, join(runRoot, 'suite-auth'));
  const others = await runOtherAuthScenarios(install, join(runRoot, 'others'), suite.results);
  const selections = [suite, others];

  await mkdir(REPORTS_DIR, { recursive: true });
  await writeFile(join(REPORTS_DIR, `${REPORT_NAME}.md`), renderReport(install, selections));
  await writeFile(
    join(REPORTS_DIR, `${REPORT_NAME}.json`),
    `${JSON.stringify(rawReport(install, selections), null, 2)}\n`,
  );
  process.stdout.write(`${renderSummary(selections)}\nwrote reports/examples/${REPORT_NAME}.md and .json\n`);
  return 0;
}

function officialArgs(install: OfficialSuiteInstall, args: readonly string[]): string[] {
  return [install.cli, 'client', '--command', GOOD_CLIENT_COMMAND, ...args];
}

async function runAuthSuite(install: OfficialSuiteInstall, outputDir: string): Promise<Selection> {
  const args = officialArgs(install, ['--suite', 'auth', '-o', outputDir]);
  process.stderr.write(`interop: conformance ${args.slice(1).join(' ')}\n`);
  const outcome = await runProgram(install.node, args, { cwd: PROJECT_ROOT, timeoutMs: SUITE_TIMEOUT_MS });
  const results = await readOfficialResults(outputDir);
  if (results.length === 0) {
    throw new InteropSetupError(
      `the official suite wrote no results (exit ${outcome.exitCode}):\n${tail(outcome.stderr)}`,
    );
  }
  return { title: 'Official suite `auth`', command: displayCommand(['--suite', 'auth']), results };
}

/** Every other official `auth/*` scenario, one at a time (the suite runs scenarios concurrently; these add up). */
async function runOtherAuthScenarios(
  install: OfficialSuiteInstall,
  outputDir: string,
  alreadyRun: readonly OfficialScenarioResult[],
): Promise<Selection> {
  const listing = await runProgram(install.node, [install.cli, 'list'], { cwd: PROJECT_ROOT, timeoutMs: 60_000 });
  const done = new Set(alreadyRun.map((result) => result.scenario));
  const scenarios = parseOfficialAuthScenarios(listing.stdout).filter((name) => !done.has(name));
  const results: OfficialScenarioResult[] = [];
  for (const scenario of scenarios) {
    process.stderr.write(`interop: official scenario ${scenario}\n`);
    const scenarioDir = join(outputDir, scenario.replace(/\//g, '_'));
    const outcome = await runProgram(install.node, officialArgs(install, ['--scenario', scenario, '-o', scenarioDir]), {
      cwd: PROJECT_ROOT,
      timeoutMs: 120_000,
    });
    const [result] = await readOfficialResults(scenarioDir);
    results.push(
      result
        ? { ...result, scenario }
        : summarizeScenario(scenario, [], `Error: no result (${tail(outcome.stderr, 3)})`),
    );
  }
  return {
    title: 'Other official auth scenarios (back-compat, 2026-07-28 drafts, extensions), one by one',
    command: displayCommand(['--scenario', '<name>']),
    results,
  };
}

function displayCommand(selection: readonly string[]): string {
  return `conformance client --command "${GOOD_CLIENT_COMMAND}" ${selection.join(' ')} -o <dir>`;
}

function diagnosisOf(result: OfficialScenarioResult): Diagnosis {
  const failingIds = result.checks.filter((check) => isProblem(check.status)).map((check) => check.id);
  const observed = [
    result.clientFailure ?? '',
    ...failingIds,
    ...result.checks.map((check) => check.errorMessage ?? check.description ?? ''),
  ].join('\n');
  return diagnose(OFFICIAL_SUITE_SYMPTOMS, result.scenario, observed) ?? UNDIAGNOSED;
}

const isProblem = (status: string): boolean => status === 'FAILURE' || status === 'WARNING';

function renderSummary(selections: readonly Selection[]): string {
  const rows = selections.flatMap((selection) => selection.results).map(verdictRow);
  return markdownTable(['Scenario', 'Verdict', 'Passed', 'Failed', 'Warnings', 'Cause'], rows);
}

function verdictRow(result: OfficialScenarioResult): string[] {
  const cause = needsExplanation(result) ? diagnosisOf(result).attribution : '';
  return [
    result.scenario,
    result.verdict,
    String(result.passed),
    String(result.failed),
    String(result.warnings),
    cause,
  ];
}

/** Every FAIL/WARN, and a PASS whose client output shows a known problem (e.g. it exited 1 after the checks). */
function needsExplanation(result: OfficialScenarioResult): boolean {
  if (result.verdict !== 'PASS') return true;
  return (
    result.clientFailure !== undefined &&
    diagnose(OFFICIAL_SUITE_SYMPTOMS, result.scenario, result.clientFailure) !== undefined
  );
}

function renderReport(install: OfficialSuiteInstall, selections: readonly Selection[]): string {
  const all = selections.flatMap((selection) => selection.results);
  const count = (verdict: string) => all.filter((result) => result.verdict === verdict).length;
  return [
    '# Our good mock client through the official MCP conformance suite',
    '',
    'Generated by `npm run interop:official-suite` (interop/official-suite.ts); re-run it to refresh. Raw checks: ' +
      `[${REPORT_NAME}.json](${REPORT_NAME}.json).`,
    '',
    `- Official suite: \`@modelcontextprotocol/conformance@${install.conformanceVersion}\` (npm), run on Node ` +
      `${install.nodeVersion} from the cache; our client runs on Node ${process.version}.`,
    `- Client under test: ${code(GOOD_CLIENT_COMMAND)} (mocks/clients/good-client.ts).`,
    `- Run on ${new Date().toISOString().slice(0, 10)}: ${all.length} scenarios, ${count('PASS')} PASS, ` +
      `${count('WARN')} WARN, ${count('FAIL')} FAIL.`,
    '',
    ...selections.flatMap(renderSelection),
    '## Explanations (every FAIL and WARN)',
    '',
    ...all.filter(needsExplanation).flatMap(renderExplanation),
  ].join('\n');
}

function renderSelection(selection: Selection): string[] {
  return [
    `## ${selection.title}`,
    '',
    `Command: ${code(selection.command)}`,
    '',
    markdownTable(['Scenario', 'Verdict', 'Passed', 'Failed', 'Warnings', 'Cause'], selection.results.map(verdictRow)),
    '',
  ];
}

function renderExplanation(result: OfficialScenarioResult): string[] {
  const diagnosis = diagnosisOf(result);
  const problems = result.checks.filter((check) => isProblem(check.status));
  return [
    `### ${result.scenario}: ${result.verdict} — ${diagnosis.attribution}`,
    '',
    ...(result.clientFailure ? [`Client output: ${code(shorten(result.clientFailure, 300))}`, ''] : []),
    diagnosis.explanation,
    '',
    ...problems.map(
      (check, index) =>
        `- ${check.status} ${code(check.id)}: ${shorten(check.errorMessage ?? check.description ?? '')}` +
        (index > 0 && result.clientFailure ? ` — ${CASCADE_NOTE}` : ''),
    ),
    '',
  ];
}

function rawReport(install: OfficialSuiteInstall, selections: readonly Selection[]) {
  return {
    conformance: install.conformanceVersion,
    officialNode: install.nodeVersion,
    clientNode: process.version,
    client: GOOD_CLIENT_COMMAND,
    generatedAt: new Date().toISOString(),
    selections: selections.map((selection) => ({
      title: selection.title,
      command: selection.command,
      scenarios: selection.results.map((result) => ({
        ...result,
        diagnosis: needsExplanation(result) ? diagnosisOf(result) : undefined,
      })),
    })),
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message}\n`);
    process.exit(error instanceof InteropSetupError ? 2 : 1);
  },
);
