import { describe, expect, it } from 'vitest';
import { runConformance } from '../../harness/run.ts';
import { registrationSuite as suite } from './index.ts';

describe('registration suite', () => {
  it('has a negative case for every check', () => {
    expect(Object.keys(suite.negatives).sort()).toEqual(suite.checks.map((check) => check.id).sort());
  });

  it('passes the clean reference system (no FAIL or WARN)', async () => {
    const run = await runConformance({ suites: [suite.name] });
    const problems = run.checks.filter((result) => result.status !== 'PASS');
    expect(problems.map((result) => `${result.id}: ${result.status} ${result.message}`)).toEqual([]);
  });

  for (const check of suite.checks) {
    const { defect } = suite.negatives[check.id]!;
    const expected = check.level === 'SHOULD' ? 'WARN' : 'FAIL';
    it(`${check.id} reports ${expected} against the defect ${defect}`, async () => {
      const run = await runConformance({ suites: [suite.name], checks: [check.id], embedded: { defects: [defect] } });
      const [result] = run.checks;
      expect(result?.status, result?.message).toBe(expected);
      expect(result?.message).not.toMatch(/blocked by|could not complete/);
    });
  }
});
