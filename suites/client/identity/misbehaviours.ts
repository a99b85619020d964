import type { Misbehaviour } from '../misbehaviours.ts';
import {
  authorizationServerMigration,
  basicCimd,
  dcrError,
  issNormalized,
  issNotAdvertisedScenario,
  issSupportedMissing,
  issUnexpected,
  tokenNotForwardedScenario,
} from './scenarios.ts';

/** Each identity flaw (mocks/clients/misbehaving/identity.ts), its scenario, and its verdicts (SKIPs aside). */
export const IDENTITY_MISBEHAVIOURS: readonly Misbehaviour[] = [
  ['dcr-despite-cimd', basicCimd, ['WARN client.auth-basic-cimd.cimd-client-id-used']],
  [
    'requires-iss',
    issNotAdvertisedScenario,
    ['FAIL client.auth-iss-not-advertised.completes', 'FAIL client.auth-iss-not-advertised.redeems-genuine-response'],
  ],
  ['accepts-missing-iss', issSupportedMissing, ['FAIL client.auth-iss-supported-missing.rejects-missing-iss']],
  ['ignores-unadvertised-iss', issUnexpected, ['FAIL client.auth-iss-unexpected.rejects-unadvertised-iss-mismatch']],
  [
    'normalizes-iss',
    issNormalized,
    ['FAIL client.auth-iss-normalized.rejects-normalized-iss', 'FAIL client.auth-iss-normalized.rejects-iss-mismatch'],
  ],
  [
    'reuses-credentials-across-as',
    authorizationServerMigration,
    [
      'FAIL client.auth-authorization-server-migration.reregisters-with-new-as',
      'FAIL client.auth-authorization-server-migration.no-credential-reuse-across-as',
    ],
  ],
  [
    'invents-client-id-after-registration-error',
    dcrError,
    ['FAIL client.auth-dcr-error.no-authorize-without-registration'],
  ],
  ['retries-registration-forever', dcrError, ['WARN client.auth-dcr-error.registration-retries-bounded']],
  ['hides-registration-error', dcrError, ['WARN client.auth-dcr-error.reports-registration-error']],
  [
    'forwards-token-on-redirect',
    tokenNotForwardedScenario,
    ['FAIL client.auth-token-not-forwarded.token-not-forwarded'],
  ],
];
