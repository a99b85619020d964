import { describe, expect, it } from 'vitest';
import { runConformance } from '../../harness/run.ts';
import { authorizationCodeSuite } from './index.ts';

const SUITE = authorizationCodeSuite.name;

describe('authorization-code suite', () => {
  it('has a negative case for every check', () => {
    const ids = authorizationCodeSuite.checks.map((check) => check.id);
    expect(Object.keys(authorizationCodeSuite.negatives).sort()).toEqual([...ids].sort());
  });

  it('passes the clean reference system (no FAIL or WARN)', async () => {
    const run = await runConformance({ suites: [SUITE] });
    const problems = run.checks.filter((result) => result.status === 'FAIL' || result.status === 'WARN');
    expect(problems.map((result) => `${result.id}: ${result.status} ${result.message}`)).toEqual([]);
    expect(run.checks.filter((result) => result.status === 'PASS').length).toBeGreaterThan(0);
  });

  for (const check of authorizationCodeSuite.checks) {
    const { defect } = authorizationCodeSuite.negatives[check.id]!;
    const expected = check.level === 'SHOULD' ? 'WARN' : 'FAIL';
    it(`${check.id} reports ${expected} against the defect ${defect}`, async () => {
      const run = await runConformance({ suites: [SUITE], checks: [check.id], embedded: { defects: [defect] } });
      const [result] = run.checks;
      expect(result?.status, result?.message).toBe(expected);
      expect(result?.message).not.toMatch(/blocked by|could not complete/);
    });
  }
});
