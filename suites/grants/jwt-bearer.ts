/** RFC 7523 §2.1 JWT bearer grant with per-client trusted issuers (seed 004). */
import type { Check } from '../../harness/check.ts';
import type { NegativeCase } from '../suite.ts';

export const jwtBearerChecks: Check[] = [];

export const jwtBearerNegatives: Record<string, NegativeCase> = {};
