import type { Check } from '../../harness/check.ts';
import type { NegativeCase } from '../suite.ts';

/** OAuth 2.1 §4.3 refresh tokens: rotation, reuse detection, binding and down-scoping. */
export const refreshTokenChecks: Check[] = [];
export const refreshTokenNegatives: Record<string, NegativeCase> = {};
