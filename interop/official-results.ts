import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';

/** One check as the official suite writes it to `<scenario>-<timestamp>/checks.json`. */
const OfficialCheckSchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  description: z.string().optional(),
  status: z.string(),
  errorMessage: z.string().optional(),
});
export type OfficialCheck = z.infer<typeof OfficialCheckSchema>;

export type OfficialVerdict = 'PASS' | 'WARN' | 'FAIL';

export interface OfficialScenarioResult {
  scenario: string;
  checks: OfficialCheck[];
  passed: number;
  failed: number;
  warnings: number;
  verdict: OfficialVerdict;
  /** The line where the client under test said why it stopped, if it did. */
  clientFailure?: string;
}

/** `auth/metadata-default-2026-11-22T07-16-24-315Z` → `auth/metadata-default`. */
export function scenarioFromResultDir(relativeDir: string): string {
  return relativeDir
    .split(sep)
    .join('/')
    .replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
}

export function summarizeScenario(
  scenario: string,
  checks: OfficialCheck[],
  clientOutput = '',
): OfficialScenarioResult {
  const count = (status: string) => checks.filter((check) => check.status === status).length;
  const failed = count('FAILURE');
  const warnings = count('WARNING');
  const clientFailure = clientFailureLine(clientOutput);
  return {
    scenario,
    checks,
    passed: count('SUCCESS'),
    failed,
    warnings,
    verdict: failed > 0 ? 'FAIL' : warnings > 0 ? 'WARN' : 'PASS',
    ...(clientFailure === undefined ? {} : { clientFailure }),
  };
}

/** The client's own account of why it stopped: a `failed:` or `Error:` line (the first such line wins). */
export function clientFailureLine(output: string): string | undefined {
  const line = output.split('\n').find((candidate) => /\bfailed: |^Error: |^\w*Error: /.test(candidate.trim()));
  return line?.trim();
}

/** Reads every `checks.json` under the official suite's `--output-dir`, one result per scenario. */
export async function readOfficialResults(outputDir: string): Promise<OfficialScenarioResult[]> {
  const results: OfficialScenarioResult[] = [];
  for (const directory of await checkDirectories(outputDir)) {
    const checks = z
      .array(OfficialCheckSchema)
      .parse(JSON.parse(await readFile(join(directory, 'checks.json'), 'utf8')));
    const clientOutput =
      (await readOptional(join(directory, 'stderr.txt'))) + (await readOptional(join(directory, 'stdout.txt')));
    results.push(summarizeScenario(scenarioFromResultDir(relative(outputDir, directory)), checks, clientOutput));
  }
  return results.sort((left, right) => left.scenario.localeCompare(right.scenario));
}

async function checkDirectories(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile() && entry.name === 'checks.json').map((entry) => entry.parentPath);
}

async function readOptional(file: string): Promise<string> {
  return existsSync(file) ? readFile(file, 'utf8') : '';
}

/** Scenario names listed by `conformance list` under "Client scenarios" that start with `auth/`. */
export function parseOfficialAuthScenarios(listOutput: string): string[] {
  const clientSection = listOutput.split(/Client scenarios[^\n]*\n/)[1] ?? '';
  const section = clientSection.split(/\n\s*\n/)[0] ?? '';
  return [...section.matchAll(/^\s*-\s+(auth\/\S+)/gm)].map((match) => match[1] ?? '').filter(Boolean);
}
