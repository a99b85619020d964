/** OpenID CIBA Core 1.0, poll mode, with approval by an emailed link (seed 004). */
import type { Check } from '../../harness/check.ts';
import type { NegativeCase } from '../suite.ts';

export const cibaChecks: Check[] = [];

export const cibaNegatives: Record<string, NegativeCase> = {};
