import type { Suite } from '../suite.ts';
import { clientCredentialsChecks, clientCredentialsNegatives } from './client-credentials.ts';
import { refreshTokenChecks, refreshTokenNegatives } from './refresh-token.ts';

/** Every grant beyond the authorization code, with its token lifecycle. */
export const grantsSuite: Suite = {
  name: 'grants',
  checks: [...refreshTokenChecks, ...clientCredentialsChecks],
  negatives: { ...refreshTokenNegatives, ...clientCredentialsNegatives },
};
