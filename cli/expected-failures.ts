import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { CheckResult, RunResult } from '../harness/results.ts';
import { firstLine } from '../reports/format.ts';

/** A baseline file that cannot be used; the CLI prints the message and exits 2. */
export class ExpectedFailuresError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpectedFailuresError';
  }
}

/**
 * A baseline in the official `@modelcontextprotocol/conformance` format: `server:` and `client:` lists. An entry is a
 * check id (`pkce.rejects-plain`), a suite name (every check of the suite), or `<suite>:<check id>`.
 */
export interface ExpectedFailures {
  server: string[];
  client: string[];
}

export interface Judgement {
  /** 0: no FAIL outside the baseline and no stale entry; 1 otherwise. */
  exitCode: 0 | 1;
  /** Failed checks the baseline does not list. */
  unexpectedFailures: string[];
  /** Baseline entries whose checks no longer fail (PASS or WARN): remove them from the baseline. */
  stalePasses: string[];
  /** Failed checks the baseline lists. */
  expectedFailures: string[];
  /** Baseline entries that matched no check of this run (not selected, SKIP/INFO, or a typo). */
  notJudged: string[];
}

export const NO_EXPECTED_FAILURES: ExpectedFailures = { server: [], client: [] };

/** Which section a bare list (no `server:`/`client:` keys) fills: the one the reading command judges. */
export type BaselineSection = keyof ExpectedFailures;

/** Whether a baseline entry names a check: by id, by suite, or otherwise as the caller's entries define. */
export type EntryMatcher = (entry: string, check: CheckResult) => boolean;

export async function loadExpectedFailures(
  path: string,
  bareList: BaselineSection = 'server',
): Promise<ExpectedFailures> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ExpectedFailuresError(`${path}: cannot read the expected-failures file (${code})`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ExpectedFailuresError(`${path}: not valid YAML (${firstLine((error as Error).message)})`);
  }
  return parseExpectedFailures(document, path, bareList);
}

/**
 * Accepts `{server: [...], client: [...]}` (either may be absent), a bare list (the `bareList` section's entries), or
 * an empty file.
 */
export function parseExpectedFailures(
  document: unknown,
  source = 'expected-failures',
  bareList: BaselineSection = 'server',
): ExpectedFailures {
  if (document === null || document === undefined) return { server: [], client: [] };
  if (Array.isArray(document)) return { server: [], client: [], [bareList]: entryList(document, source, '(root)') };
  if (typeof document !== 'object') {
    throw new ExpectedFailuresError(`${source}: expected a "server:"/"client:" mapping or a list of check ids`);
  }
  const sections = document as Record<string, unknown>;
  const unknownKey = Object.keys(sections).find((key) => key !== 'server' && key !== 'client');
  if (unknownKey !== undefined) {
    throw new ExpectedFailuresError(`${source}: ${unknownKey}: unknown section (expected "server" or "client")`);
  }
  return {
    server: sections.server === undefined ? [] : entryList(sections.server, source, 'server'),
    client: sections.client === undefined ? [] : entryList(sections.client, source, 'client'),
  };
}

function entryList(value: unknown, source: string, section: string): string[] {
  if (!Array.isArray(value)) throw new ExpectedFailuresError(`${source}: ${section}: must be a list of check ids`);
  return value.map((entry, index) => {
    if (typeof entry !== 'string' || entry.trim() === '') {
      const hint = typeof entry === 'object' && entry !== null ? ' (remove the space after ":")' : '';
      throw new ExpectedFailuresError(
        `${source}: ${section}[${index}]: must be a check id or suite name, got ${JSON.stringify(entry)}${hint}`,
      );
    }
    return entry.trim();
  });
}

/**
 * The exit verdict of a run against a baseline: a listed FAIL is tolerated, an unlisted FAIL fails the run, and a
 * listed check that now passes (PASS or WARN) also fails it, so the baseline shrinks as fixes land.
 */
export function judgeRun(result: RunResult, expected: ExpectedFailures = NO_EXPECTED_FAILURES): Judgement {
  return judgeEntries(result, expected.server);
}

/** `judgeRun` for any list of entries, with the caller's idea of which checks an entry names. */
export function judgeEntries(
  result: RunResult,
  entries: readonly string[],
  covers: EntryMatcher = entryCovers,
): Judgement {
  const judgement: Judgement = {
    exitCode: 0,
    unexpectedFailures: [],
    stalePasses: [],
    expectedFailures: [],
    notJudged: [],
  };
  for (const check of result.checks.filter((candidate) => candidate.status === 'FAIL')) {
    const listed = entries.some((entry) => covers(entry, check));
    (listed ? judgement.expectedFailures : judgement.unexpectedFailures).push(check.id);
  }
  for (const entry of entries) {
    const covered = result.checks.filter((check) => covers(entry, check));
    if (covered.some((check) => check.status === 'FAIL')) continue;
    if (covered.some((check) => check.status === 'PASS' || check.status === 'WARN')) judgement.stalePasses.push(entry);
    else judgement.notJudged.push(entry);
  }
  judgement.exitCode = judgement.unexpectedFailures.length > 0 || judgement.stalePasses.length > 0 ? 1 : 0;
  return judgement;
}

/** An entry names a check by id, by suite, or as `<suite>:<check id>`. */
export function entryCovers(entry: string, check: CheckResult): boolean {
  const separator = entry.indexOf(':');
  if (separator === -1) return entry === check.id || entry === check.suite;
  return entry.slice(0, separator) === check.suite && entry.slice(separator + 1) === check.id;
}

/** The judgement as printed after the summary: each non-empty list under its heading, then the verdict. */
export function describeJudgement(judgement: Judgement): string {
  const sections: [string, string[]][] = [
    ['Expected failures (listed in the baseline):', judgement.expectedFailures],
    ['Unexpected failures (not in the baseline):', judgement.unexpectedFailures],
    ['Expected failure now passes: remove it from the baseline:', judgement.stalePasses],
    ['Baseline entries that matched no failing or passing check in this run:', judgement.notJudged],
  ];
  const lines = sections
    .filter(([, entries]) => entries.length > 0)
    .flatMap(([heading, entries]) => ['', heading, ...entries.map((entry) => `  ${entry}`)]);
  lines.push('', judgement.exitCode === 0 ? 'Baseline check passed.' : 'Baseline check failed.');
  return `${lines.join('\n')}\n`;
}
