import { describe, expect, it } from 'vitest';
import { levelFor } from '../harness/check.ts';
import { DEFAULT_SPEC } from '../harness/results.ts';
import { runConformance } from '../harness/run.ts';
import { DEFECTS } from '../reference-server/defects.ts';
import { SUITES } from '../suites/index.ts';

/**
 * Every check can fail: the reference system built with the check's named defect makes it FAIL (MUST) or WARN
 * (SHOULD). A check that passes against everything is a defect of the suite.
 */
const cases = SUITES.flatMap((suite) =>
  suite.checks.map((check) => ({ suite: suite.name, check, negative: suite.negatives[check.id] })),
);

describe('negative cases', () => {
  it('exist for every check, and only for checks that exist', () => {
    const missing = cases.filter(({ negative }) => !negative).map(({ check }) => check.id);
    expect(missing).toEqual([]);
    const ids = new Set(cases.map(({ check }) => check.id));
    const stray = SUITES.flatMap((suite) => Object.keys(suite.negatives)).filter((id) => !ids.has(id));
    expect(stray).toEqual([]);
  });

  it('name defects the reference system knows', () => {
    for (const { negative } of cases) if (negative) expect(Object.keys(DEFECTS)).toContain(negative.defect);
  });

  it.each(cases.filter(({ negative }) => negative))(
    '$check.id fails on a reference system with its defect',
    async ({ suite, check, negative }) => {
      const spec = check.specs.includes(DEFAULT_SPEC) ? DEFAULT_SPEC : check.specs[0]!;
      const result = await runConformance({
        suites: [suite],
        checks: [check.id],
        spec,
        embedded: { defects: [negative!.defect], ...(negative!.tenant ? { tenant: negative!.tenant } : {}) },
      });
      const verdict = result.checks.find((entry) => entry.id === check.id);
      const expected = levelFor(check, spec) === 'MUST' ? 'FAIL' : 'WARN';
      expect({ status: verdict?.status, message: verdict?.message }).toMatchObject({ status: expected });
      // The check itself must catch the defect, not fail because a prerequisite broke.
      expect(verdict?.message).not.toMatch(/blocked by|could not complete/);
    },
  );
});
