import { resolve } from 'node:path';
import type { SpecVersion } from '../../harness/results.ts';
import { loadTargetFile } from '../../harness/target.ts';
import { REPORT_FILES, writeReports } from '../../reports/index.ts';
import { type ExitCode, UsageError } from '../errors.ts';
import { describeJudgement, judgeRun, loadExpectedFailures, NO_EXPECTED_FAILURES } from '../expected-failures.ts';
import { type OutputStream, ProgressDisplay, renderSummary } from '../progress.ts';

export interface RunCommandOptions {
  target?: string;
  suite: string[];
  spec: SpecVersion;
  out: string;
  expectedFailures?: string;
  seed: number;
  revealSecrets?: boolean;
}

/** `run`: everything that can be checked before the run is checked first, so a bad setup fails fast with exit 2. */
export async function runCommand(options: RunCommandOptions, out: OutputStream): Promise<ExitCode> {
  const expected = options.expectedFailures
    ? await loadExpectedFailures(options.expectedFailures)
    : NO_EXPECTED_FAILURES;
  const target = options.target ? await loadTargetFile(options.target) : undefined;
  const suites = options.suite.length > 0 ? await knownSuites(options.suite) : undefined;

  const { runConformance } = await import('../../harness/run.ts');
  const progress = new ProgressDisplay(out);
  const result = await runConformance({
    target,
    suites,
    spec: options.spec,
    seed: options.seed,
    onProgress: progress.onProgress,
  }).finally(() => progress.finish());

  out.write(renderSummary(result));
  const directory = resolve(options.out);
  await writeReports(result, directory, { reveal: options.revealSecrets });
  out.write(`\nReports written to ${directory}/ (${REPORT_FILES.map((file) => file.name).join(', ')})\n`);

  const judgement = judgeRun(result, expected);
  if (options.expectedFailures) out.write(describeJudgement(judgement));
  return judgement.exitCode;
}

async function knownSuites(requested: string[]): Promise<string[]> {
  const { listSuites } = await import('../../harness/registry.ts');
  const known = listSuites();
  const unknown = requested.find((name) => !known.includes(name));
  if (unknown !== undefined) throw new UsageError(`--suite: unknown suite "${unknown}" (known: ${known.join(', ')})`);
  return requested;
}
