/** Client ID Metadata Documents: how the AS fetches, validates and caches a client's metadata document. */
import type { Check } from '../../harness/check.ts';
import type { NegativeCase } from '../suite.ts';

export const cimdChecks: Check[] = [];

export const cimdNegatives: Record<string, NegativeCase> = {};
