import type { Check } from '../../harness/check.ts';
import type { NegativeCase } from '../suite.ts';

/** OAuth 2.1 §4.2 client credentials, with shared-secret and private_key_jwt (RFC 7523) client authentication. */
export const clientCredentialsChecks: Check[] = [];
export const clientCredentialsNegatives: Record<string, NegativeCase> = {};
