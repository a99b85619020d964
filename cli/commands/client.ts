import { resolve } from 'node:path';
import type { ClientScenario } from '../../harness/client-mode/scenario.ts';
import type { SpecVersion } from '../../harness/results.ts';
import { REPORT_FILES, writeReports } from '../../reports/index.ts';
import { CLIENT_SCENARIOS, clientSuites, suiteOf } from '../../suites/client/index.ts';
import { type ExitCode, UsageError } from '../errors.ts';
import {
  describeJudgement,
  type EntryMatcher,
  entryCovers,
  judgeEntries,
  loadExpectedFailures,
  NO_EXPECTED_FAILURES,
} from '../expected-failures.ts';
import { type OutputStream, renderSummary } from '../progress.ts';

export interface ClientCommandOptions {
  command?: string;
  scenario?: string;
  suite?: string;
  spec: SpecVersion;
  out: string;
  /** Seconds each scenario's client may run. */
  timeout: number;
  /** YAML baseline in the official suite's format; its `client:` list (or a bare list) applies. */
  expectedFailures?: string;
  revealSecrets?: boolean;
}

/** `client`: MCP client conformance (DESIGN §3). Usage problems are found before any client runs (exit 2). */
export async function clientCommand(options: ClientCommandOptions, out: OutputStream): Promise<ExitCode> {
  if (!options.command?.trim()) throw new UsageError('--command: the command that starts the client is required');
  const scenarios = selectScenarios(options);
  const expected = options.expectedFailures
    ? await loadExpectedFailures(options.expectedFailures, 'client')
    : NO_EXPECTED_FAILURES;
  const { runClientConformance, scenarioCheckId } = await import('../../harness/client-mode/run.ts');
  const { result } = await runClientConformance({
    command: options.command,
    scenarios,
    spec: options.spec,
    timeoutMs: options.timeout * 1000,
    onScenario: (scenario, process) => out.write(`${scenario.name}: ${describeProcess(process)}\n`),
  });
  out.write(renderSummary(result));
  const directory = resolve(options.out);
  await writeReports(result, directory, { reveal: options.revealSecrets });
  out.write(`\nReports written to ${directory}/ (${REPORT_FILES.map((file) => file.name).join(', ')})\n`);

  const judgement = judgeEntries(result, expected.client, clientEntryMatcher(scenarios, scenarioCheckId));
  if (options.expectedFailures) out.write(describeJudgement(judgement));
  return judgement.exitCode;
}

/**
 * A `client:` baseline entry names a scenario (`auth/basic-dcr`) or a client suite (`auth`): all their checks; a check
 * of every scenario (`client.pkce-s256`); or one verdict as reported (`client.auth-basic-dcr.pkce-s256`).
 */
export function clientEntryMatcher(
  scenarios: readonly ClientScenario[],
  verdictId: (scenario: ClientScenario, check: ClientScenario['checks'][number]) => string,
): EntryMatcher {
  const names = new Map<string, string[]>();
  for (const scenario of scenarios) {
    for (const check of scenario.checks) {
      names.set(verdictId(scenario, check), [scenario.name, suiteOf(scenario), check.id]);
    }
  }
  return (entry, check) => entryCovers(entry, check) || (names.get(check.id)?.includes(entry) ?? false);
}

function selectScenarios(options: ClientCommandOptions): readonly ClientScenario[] {
  if (options.scenario !== undefined && options.suite !== undefined) {
    throw new UsageError('--scenario and --suite: give one or the other');
  }
  if (options.scenario !== undefined) {
    const scenario = CLIENT_SCENARIOS.find((candidate) => candidate.name === options.scenario);
    if (!scenario) {
      const known = CLIENT_SCENARIOS.map((candidate) => candidate.name).join(', ');
      throw new UsageError(`--scenario: unknown scenario "${options.scenario}" (known: ${known})`);
    }
    return [scenario];
  }
  if (options.suite !== undefined) {
    if (!clientSuites().includes(options.suite)) {
      throw new UsageError(`--suite: unknown client suite "${options.suite}" (known: ${clientSuites().join(', ')})`);
    }
    return CLIENT_SCENARIOS.filter((scenario) => suiteOf(scenario) === options.suite);
  }
  return CLIENT_SCENARIOS;
}

function describeProcess(process: {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
}): string {
  if (process.timedOut) return `client killed at the time limit (${process.durationMs} ms)`;
  if (process.signal) return `client ended by ${process.signal} after ${process.durationMs} ms`;
  return `client exited ${process.exitCode} after ${process.durationMs} ms`;
}
