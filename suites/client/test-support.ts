import { expect, it } from 'vitest';
import { runClientConformance } from '../../harness/client-mode/run.ts';
import type { ClientScenario } from '../../harness/client-mode/scenario.ts';
import type { CheckResult } from '../../harness/results.ts';
import type { Flaw } from '../../mocks/clients/misbehaving/flaws.ts';
import { bundledClientCommand } from '../../test/support/client-bundles.ts';
import type { Misbehaviour } from './misbehaviours.ts';

/** The good mock client as a command line (its bundle, built by the tests' global setup). */
export const GOOD_CLIENT = bundledClientCommand('good-client');

/** The good client with one planted flaw, as a command line. */
export const misbehaving = (flaw: Flaw) => `${bundledClientCommand('misbehaving-client')} ${flaw}`;

/** `<STATUS> <check id>` of every verdict that is not a PASS. */
export const notPassing = (checks: CheckResult[]) =>
  checks.filter((check) => check.status !== 'PASS').map((check) => `${check.status} ${check.id}`);

/** One test per scenario: the good client passes every check. */
export function itPassesWithTheGoodClient(scenarios: readonly ClientScenario[]): void {
  it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))(
    'the good client passes every check of %s',
    async (_name, scenario) => {
      const { result } = await runClientConformance({ command: GOOD_CLIENT, scenarios: [scenario] });
      expect(notPassing(result.checks)).toEqual([]);
      expect(result.summary.PASS).toBe(scenario.checks.length);
    },
  );
}

/** One test per misbehaving client: exactly its verdicts are not PASS (SKIPs aside), with evidence on the flagged ones. */
export function itFailsTheMatchingChecks(misbehaviours: readonly Misbehaviour[]): void {
  it.each(misbehaviours)('the %s client fails the matching check', async (flaw, scenario, expected) => {
    const { result } = await runClientConformance({ command: misbehaving(flaw), scenarios: [scenario] });
    expect(notPassing(result.checks).filter((line) => !line.startsWith('SKIP'))).toEqual(expected);
    // The planted flaw's own check shows the requests that give it away.
    const flagged = expected.map((verdict) => verdict.split(' ')[1]).filter((id) => !id?.endsWith('.completes'));
    const withEvidence = result.checks.filter((check) => flagged.includes(check.id) && check.evidence.length > 0);
    expect(withEvidence.length).toBeGreaterThan(0);
  });
}
