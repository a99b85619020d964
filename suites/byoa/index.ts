import type { Suite } from '../suite.ts';
import { connectorChecks, connectorNegatives } from './connector.ts';
import { consentChecks, consentNegatives } from './consent.ts';
import { credentialsChecks, credentialsNegatives } from './credentials.ts';
import { flowSecurityChecks, flowSecurityNegatives } from './flow-security.ts';
import { generateJwtChecks, generateJwtNegatives } from './generate-jwt.ts';
import { mfaChecks, mfaNegatives } from './mfa.ts';
import { sessionTokenChecks, sessionTokenNegatives } from './session-token.ts';

/** Bring your own auth (seeds 000, 001): homegrown credentials over HTTP connectors, Generate JWT, consent, MFA. */
export const byoaSuite: Suite = {
  name: 'byoa',
  checks: [
    ...credentialsChecks,
    ...connectorChecks,
    ...generateJwtChecks,
    ...sessionTokenChecks,
    ...consentChecks,
    ...mfaChecks,
    ...flowSecurityChecks,
  ],
  negatives: {
    ...credentialsNegatives,
    ...connectorNegatives,
    ...generateJwtNegatives,
    ...sessionTokenNegatives,
    ...consentNegatives,
    ...mfaNegatives,
    ...flowSecurityNegatives,
  },
  collateral: {
    // One account for everybody: every check that tells users apart, or needs a user the AS does not know yet.
    'generate-jwt-single-user': [
      'byoa.connector-failure-no-user',
      'byoa.sign-in-unknown-user-refused',
      'byoa.sign-up-new-user-each-time',
      'byoa.session-cookie-signs-in',
      'byoa.totp-single-use',
    ],
    // A code after wrong credentials is also not the visible error the user needed.
    'invalid-credentials-accepted': ['byoa.invalid-credentials-alert'],
    // A connector failure that counts as success signs the user up, so the sign-in-only flow finds them afterwards.
    'connector-5xx-treated-as-success': ['byoa.connector-failure-no-user'],
    // Users created before the connector answers: sign-in finds them, sign-up-or-in matches them instead of the real one.
    'connector-failure-creates-user': [
      'byoa.sign-in-unknown-user-refused',
      'byoa.sign-up-or-in-matches-email',
      'byoa.sign-up-or-in-matches-external-id',
    ],
    // The sign-in-only flow is how connector-failure-no-user proves no user exists.
    'sign-in-creates-user': ['byoa.connector-failure-no-user'],
    // Sign-up-or-in signs in through the same lookup: it never finds the user either, and creates another.
    'sign-in-refuses-existing-user': [
      'byoa.sub-per-user',
      'byoa.sign-up-or-in-matches-email',
      'byoa.sign-up-or-in-matches-external-id',
      'byoa.consent-remembered',
    ],
    // The browser repeats the credentials post (RFC 9110 §15.4.8) to the next screen, which then is no consent page.
    'flow-307-after-credentials': ['byoa.consent-asked'],
  },
};
