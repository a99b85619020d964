/** RFC 7591 registration policy and RFC 7592 client management (read, update, delete with the registration access token). */
import type { Check } from '../../harness/check.ts';
import type { NegativeCase } from '../suite.ts';

export const dcrManagementChecks: Check[] = [];

export const dcrManagementNegatives: Record<string, NegativeCase> = {};
