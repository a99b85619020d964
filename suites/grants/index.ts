import type { Suite } from '../suite.ts';
import { cibaChecks, cibaNegatives } from './ciba.ts';
import { clientCredentialsChecks, clientCredentialsNegatives } from './client-credentials.ts';
import { idJagChecks, idJagNegatives } from './id-jag.ts';
import { jwtBearerChecks, jwtBearerNegatives } from './jwt-bearer.ts';
import { lifecycleChecks, lifecycleNegatives } from './lifecycle.ts';
import { refreshTokenChecks, refreshTokenNegatives } from './refresh-token.ts';
import { tokenExchangeChecks, tokenExchangeNegatives } from './token-exchange.ts';

/** Every grant beyond the authorization code, with its token lifecycle. */
export const grantsSuite: Suite = {
  name: 'grants',
  checks: [
    ...refreshTokenChecks,
    ...clientCredentialsChecks,
    ...jwtBearerChecks,
    ...idJagChecks,
    ...tokenExchangeChecks,
    ...cibaChecks,
    ...lifecycleChecks,
  ],
  negatives: {
    ...refreshTokenNegatives,
    ...clientCredentialsNegatives,
    ...jwtBearerNegatives,
    ...idJagNegatives,
    ...tokenExchangeNegatives,
    ...cibaNegatives,
    ...lifecycleNegatives,
  },
};
