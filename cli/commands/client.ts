import { resolve } from 'node:path';
import type { ClientScenario } from '../../harness/client-mode/scenario.ts';
import type { SpecVersion } from '../../harness/results.ts';
import { REPORT_FILES, writeReports } from '../../reports/index.ts';
import { CLIENT_SCENARIOS, clientSuites, suiteOf } from '../../suites/client/index.ts';
import { EXIT, type ExitCode, UsageError } from '../errors.ts';
import { type OutputStream, renderSummary } from '../progress.ts';

export interface ClientCommandOptions {
  command?: string;
  scenario?: string;
  suite?: string;
  spec: SpecVersion;
  out: string;
  /** Seconds each scenario's client may run. */
  timeout: number;
  revealSecrets?: boolean;
}

/** `client`: MCP client conformance (DESIGN §3). Usage problems are found before any client runs (exit 2). */
export async function clientCommand(options: ClientCommandOptions, out: OutputStream): Promise<ExitCode> {
  if (!options.command?.trim()) throw new UsageError('--command: the command that starts the client is required');
  const scenarios = selectScenarios(options);
  const { runClientConformance } = await import('../../harness/client-mode/run.ts');
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
  return result.summary.FAIL > 0 ? EXIT.failures : EXIT.ok;
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
