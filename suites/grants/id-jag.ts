/** Enterprise-managed authorization: ID-JAGs from an enterprise IdP, redeemed by the JWT bearer grant. */
import type { Check } from '../../harness/check.ts';
import type { NegativeCase } from '../suite.ts';

export const idJagChecks: Check[] = [];

export const idJagNegatives: Record<string, NegativeCase> = {};
