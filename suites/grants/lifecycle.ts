/** The token lifecycle: introspection (RFC 7662), revocation (RFC 7009), userinfo, per-client session settings. */
import type { Check } from '../../harness/check.ts';
import type { NegativeCase } from '../suite.ts';

export const lifecycleChecks: Check[] = [];

export const lifecycleNegatives: Record<string, NegativeCase> = {};
