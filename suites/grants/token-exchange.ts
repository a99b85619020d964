/** RFC 8693 token exchange: delegation chains, impersonation policy, may_act, targeting, the audit trail. */
import type { Check } from '../../harness/check.ts';
import type { NegativeCase } from '../suite.ts';

export const tokenExchangeChecks: Check[] = [];

export const tokenExchangeNegatives: Record<string, NegativeCase> = {};
