import { UsageError } from '../errors.ts';
import type { OutputStream } from '../progress.ts';
import { alignColumns } from '../table.ts';

/** The `--suite` name that lists the client scenarios (client mode, DESIGN §3) instead of a server-side suite. */
export const CLIENT_SECTION = 'client';

interface ListedCheck {
  id: string;
  level: string;
  requirements: readonly string[];
  title: string;
}

/**
 * `list`: every suite with its checks, level, requirement IDs and title, in aligned columns; then the client scenarios
 * with their checks under the ids their verdicts are reported as.
 */
export async function listCommand(options: { suite?: string }, out: OutputStream): Promise<0> {
  const { listChecks, listSuites } = await import('../../harness/registry.ts');
  const suites = listSuites();
  if (options.suite !== undefined && options.suite !== CLIENT_SECTION && !suites.includes(options.suite)) {
    const known = [...suites, CLIENT_SECTION].join(', ');
    throw new UsageError(`--suite: unknown suite "${options.suite}" (known: ${known})`);
  }
  const serverSuites = options.suite === undefined ? suites : suites.filter((suite) => suite === options.suite);
  const sections = serverSuites.map((suite) => checkSection(suite, listChecks(suite), ''));
  if (options.suite === undefined || options.suite === CLIENT_SECTION) sections.push(await clientSection());
  out.write(`${sections.join('\n\n')}\n`);
  return 0;
}

async function clientSection(): Promise<string> {
  const { CLIENT_SCENARIOS } = await import('../../suites/client/index.ts');
  const { scenarioCheckId } = await import('../../harness/client-mode/run.ts');
  const scenarios = CLIENT_SCENARIOS.map((scenario) =>
    checkSection(
      scenario.name,
      scenario.checks.map((check) => ({ ...check, id: scenarioCheckId(scenario, check) })),
      '  ',
    ),
  );
  return [`${CLIENT_SECTION} (${CLIENT_SCENARIOS.length} scenarios)`, ...scenarios].join('\n');
}

function checkSection(heading: string, checks: readonly ListedCheck[], indent: string): string {
  const rows = checks.map((check) => [check.id, check.level, check.requirements.join(','), check.title]);
  const lines = alignColumns(rows).map((line) => `${indent}  ${line}`);
  return [`${indent}${heading} (${checks.length} checks)`, ...lines].join('\n');
}
