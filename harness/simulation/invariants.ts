/**
 * What must hold whatever the load and the faults, each observed from outside (a token presented, a status read),
 * never taken on the system's word. A violation carries the simulated time and the actor that saw it.
 */
import type { InvariantFigures, InvariantViolation } from './types.ts';

export const INVARIANTS = {
  'no-token-after-revocation': 'a revoked access token is refused by the MCP server (RFC 7009 §2.2)',
  'no-token-after-expiry': 'an expired access token is refused by the MCP server (RFC 9068 §4, RFC 6750 §3.1)',
  'refresh-family-dead-after-reuse':
    'once a rotated refresh token is replayed, it and every token of its family are refused (OAuth 2.1 §4.3.1)',
  'no-lost-consent': 'a user who consented is not asked again for the same client and scope',
  'no-5xx': 'the system under test never answers 5xx, whatever fails upstream (errors become OAuth errors)',
} as const;

export type InvariantName = keyof typeof INVARIANTS;

/** Violations kept per invariant (the count of checks is always exact). */
const MAX_VIOLATIONS_KEPT = 200;

export class InvariantLedger {
  readonly #checked = new Map<InvariantName, number>();
  readonly #violations = new Map<InvariantName, InvariantViolation[]>();
  readonly #violationCounts = new Map<InvariantName, number>();
  readonly #skipped: ReadonlyMap<InvariantName, string>;

  /** `skipped`: invariants this run cannot observe, with the reason (shown in their description). */
  constructor(skipped: ReadonlyMap<InvariantName, string> = new Map()) {
    this.#skipped = skipped;
  }

  isSkipped(invariant: InvariantName): boolean {
    return this.#skipped.has(invariant);
  }

  /** Records one observation: `held` false makes it a violation. */
  observe(invariant: InvariantName, held: boolean, violation: { atS: number; actor: string; message: string }): void {
    if (this.#skipped.has(invariant)) return;
    this.#checked.set(invariant, (this.#checked.get(invariant) ?? 0) + 1);
    if (held) return;
    this.#violationCounts.set(invariant, (this.#violationCounts.get(invariant) ?? 0) + 1);
    const kept = this.#violations.get(invariant) ?? [];
    if (kept.length < MAX_VIOLATIONS_KEPT) kept.push({ invariant, ...violation, atS: round(violation.atS) });
    this.#violations.set(invariant, kept);
  }

  get violated(): boolean {
    return this.#violationCounts.size > 0;
  }

  figures(): InvariantFigures[] {
    return (Object.keys(INVARIANTS) as InvariantName[]).map((invariant) => {
      const skipped = this.#skipped.get(invariant);
      const total = this.#violationCounts.get(invariant) ?? 0;
      const kept = this.#violations.get(invariant) ?? [];
      const notes = [
        skipped ? `skipped: ${skipped}` : undefined,
        total > kept.length ? `${total} violations, the first ${kept.length} listed` : undefined,
      ].filter((note) => note !== undefined);
      return {
        invariant,
        description: [INVARIANTS[invariant], ...notes].join(' — '),
        checked: this.#checked.get(invariant) ?? 0,
        violations: kept,
      };
    });
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
