import { UsageError } from '../errors.ts';
import type { OutputStream } from '../progress.ts';
import { alignColumns } from '../table.ts';

/** `list`: every suite with its checks, level, requirement IDs and title, in aligned columns. */
export async function listCommand(options: { suite?: string }, out: OutputStream): Promise<0> {
  const { listChecks, listSuites } = await import('../../harness/registry.ts');
  const suites = listSuites();
  if (options.suite !== undefined && !suites.includes(options.suite)) {
    throw new UsageError(`--suite: unknown suite "${options.suite}" (known: ${suites.join(', ')})`);
  }
  const sections = (options.suite === undefined ? suites : [options.suite]).map((suite) => {
    const checks = listChecks(suite);
    const rows = checks.map((check) => [check.id, check.level, check.requirements.join(','), check.title]);
    return [`${suite} (${checks.length} checks)`, ...alignColumns(rows).map((line) => `  ${line}`)].join('\n');
  });
  out.write(`${sections.join('\n\n')}\n`);
  return 0;
}
