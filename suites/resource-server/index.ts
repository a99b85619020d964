import type { Suite } from '../suite.ts';
import {
  bearerChallengePresent,
  challengeNamesScope,
  invalidTokenChallenge,
  noErrorCodeWithoutCredentials,
  rejectsMissingToken,
} from './challenge.ts';
import {
  acceptsValidToken,
  insufficientScopeChallenge,
  insufficientScopeStatus,
  rejectsBadSignature,
  rejectsExpired,
  rejectsGarbageToken,
  rejectsOtherAudience,
  rejectsUnsigned,
} from './token-validation.ts';

export const resourceServerSuite: Suite = {
  name: 'resource-server',
  checks: [
    rejectsMissingToken,
    bearerChallengePresent,
    noErrorCodeWithoutCredentials,
    challengeNamesScope,
    invalidTokenChallenge,
    acceptsValidToken,
    rejectsGarbageToken,
    rejectsBadSignature,
    rejectsUnsigned,
    rejectsExpired,
    rejectsOtherAudience,
    insufficientScopeStatus,
    insufficientScopeChallenge,
  ],
  negatives: {
    'resource-server.401-without-token': { defect: 'rs-allows-anonymous' },
    'resource-server.bearer-challenge': { defect: 'rs-allows-anonymous' },
    'resource-server.no-error-without-credentials': { defect: 'rs-error-code-without-credentials' },
    'resource-server.challenge-scope': { defect: 'rs-challenge-no-scope' },
    'resource-server.invalid-token-challenge': { defect: 'rs-invalid-token-no-error-code' },
    'resource-server.accepts-valid-token': { defect: 'rs-audience-trailing-slash' },
    'resource-server.rejects-malformed-token': { defect: 'rs-500-on-malformed-token' },
    'resource-server.rejects-bad-signature': { defect: 'signature-unchecked' },
    'resource-server.rejects-alg-none': { defect: 'signature-unchecked' },
    'resource-server.rejects-expired': { defect: 'expiry-unchecked' },
    'resource-server.rejects-wrong-audience': { defect: 'audience-unchecked' },
    'resource-server.insufficient-scope-403': { defect: 'rs-scope-unchecked' },
    'resource-server.insufficient-scope-challenge': { defect: 'rs-scope-unchecked' },
  },
};
