import { SUITES } from '../suites/index.ts';
import type { Check } from './check.ts';
import type { Level, SpecVersion } from './results.ts';

export interface CheckInfo {
  id: string;
  suite: string;
  title: string;
  requirements: string[];
  level: Level;
  specs: SpecVersion[];
}

export function listSuites(): string[] {
  return SUITES.map((suite) => suite.name);
}

export function allChecks(): Check[] {
  return SUITES.flatMap((suite) => suite.checks);
}

export function listChecks(suite?: string): CheckInfo[] {
  return allChecks()
    .filter((check) => suite === undefined || check.suite === suite)
    .map((check) => ({
      id: check.id,
      suite: check.suite,
      title: check.title,
      requirements: [...check.requirements],
      level: check.level,
      specs: [...check.specs],
    }));
}

export interface Selection {
  suites?: readonly string[];
  ids?: readonly string[];
  spec: SpecVersion;
}

/** The checks of a run: the chosen suites (or all), those belonging to the spec revision, in registry order. */
export function selectChecks({ suites, ids, spec }: Selection): Check[] {
  const known = new Set(listSuites());
  for (const name of suites ?? []) {
    if (!known.has(name)) throw new Error(`unknown suite "${name}" (known: ${[...known].join(', ')})`);
  }
  return allChecks().filter(
    (check) =>
      (suites === undefined || suites.length === 0 || suites.includes(check.suite)) &&
      (ids === undefined || ids.includes(check.id)) &&
      check.specs.includes(spec),
  );
}
