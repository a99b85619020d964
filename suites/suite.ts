import type { Check } from '../harness/check.ts';
import type { Defect } from '../reference-server/defects.ts';

/**
 * How the project proves a check can fail: the embedded reference system built with one named defect (and, where the
 * check needs it, a tenant issuer) must make the check report FAIL (MUST) or WARN (SHOULD).
 */
export interface NegativeCase {
  defect: Defect;
  tenant?: string;
}

export interface Suite {
  name: string;
  checks: Check[];
  /** One negative case per check id. */
  negatives: Record<string, NegativeCase>;
  /**
   * Checks that also fail, by consequence, under a defect planted for another check (e.g. a server that answers 500
   * to garbage tokens fails every check that sends one). Every other check must stay green under that defect.
   */
  collateral?: Partial<Record<Defect, string[]>>;
}
