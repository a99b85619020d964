import { describe, expect, it } from 'vitest';
import { runConformance } from '../../harness/run.ts';
import type { Defect } from '../../reference-server/defects.ts';
import type { Suite } from '../../suites/suite.ts';

/**
 * A defect fails the checks planted against it, plus the declared consequences, and nothing else: a check that
 * fails under an unrelated defect would blame the wrong thing in a vendor's report. Checks that report a failed
 * prerequisite ("blocked by …") are consequences by construction and are not counted.
 */
export function describeDefectIsolation(suites: readonly Suite[]): void {
  describe.each(suites.map((suite) => [suite.name, suite] as const))('defect isolation in %s', (_, suite) => {
    const planted = new Map<Defect, Set<string>>();
    for (const [id, negative] of Object.entries(suite.negatives)) {
      planted.set(negative.defect, new Set([...(planted.get(negative.defect) ?? []), id]));
    }

    it.each([...planted.keys()])('%s fails only its checks and their declared consequences', async (defect) => {
      const result = await runConformance({
        suites: [suite.name],
        spec: '2026-07-28',
        embedded: { defects: [defect] },
      });
      const allowed = new Set([...(planted.get(defect) ?? []), ...(suite.collateral?.[defect] ?? [])]);
      const flagged = result.checks
        .filter((check) => check.status === 'FAIL' || check.status === 'WARN')
        .filter((check) => !/blocked by/.test(check.message))
        .map((check) => check.id);
      expect(flagged.filter((id) => !allowed.has(id))).toEqual([]);
      for (const id of suite.collateral?.[defect] ?? []) expect(flagged, `declared consequence ${id}`).toContain(id);
    });
  });
}

/** The suites that declare their collateral, split so test files can run them in parallel. */
export function isolatedSuites(filter: (suite: Suite) => boolean, all: readonly Suite[]): Suite[] {
  return all.filter((suite) => suite.collateral !== undefined && filter(suite));
}
