import type { Suite } from '../suite.ts';
import {
  confidentialClientsUsePkce,
  rejectsMissingChallenge,
  rejectsMissingMethod,
  rejectsPlain,
} from './authorization-request.ts';
import {
  rejectsMalformedVerifier,
  rejectsMissingVerifier,
  rejectsVerifierWithoutChallenge,
  rejectsWrongVerifier,
  s256Roundtrip,
} from './token-request.ts';

/** PKCE (RFC 7636 as profiled by OAuth 2.1 and RFC 9700): the authorization request and the token request sides. */
export const pkceSuite: Suite = {
  name: 'pkce',
  checks: [
    rejectsMissingChallenge,
    confidentialClientsUsePkce,
    rejectsPlain,
    rejectsMissingMethod,
    s256Roundtrip,
    rejectsWrongVerifier,
    rejectsMissingVerifier,
    rejectsVerifierWithoutChallenge,
    rejectsMalformedVerifier,
  ],
  negatives: {
    'pkce.rejects-missing-challenge': { defect: 'pkce-optional' },
    'pkce.required-for-confidential-clients': { defect: 'pkce-optional-for-confidential' },
    'pkce.rejects-plain': { defect: 'pkce-plain-allowed' },
    'pkce.rejects-missing-method': { defect: 'pkce-method-defaults-plain' },
    'pkce.s256-roundtrip': { defect: 'pkce-s256-hex' },
    'pkce.rejects-wrong-verifier': { defect: 'pkce-verifier-unchecked' },
    'pkce.rejects-missing-verifier': { defect: 'pkce-verifier-unchecked' },
    'pkce.rejects-verifier-without-challenge': { defect: 'pkce-optional' },
    'pkce.rejects-malformed-verifier': { defect: 'pkce-verifier-shape-unchecked' },
  },
};
