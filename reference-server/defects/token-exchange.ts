/** Deliberate defects of RFC 8693 token exchange: delegation, impersonation, may_act, targeting, the audit trail. */
export const TOKEN_EXCHANGE_DEFECTS = {
  'exchange-act-missing': 'exchanged tokens carry no act claim (the acting party is never named)',
  'exchange-prior-actors-dropped': 'act names only the current actor; earlier actors of the chain are not nested',
  'exchange-actor-token-ignored': 'an actor_token is accepted but ignored: act names the authenticated client instead',
  'exchange-impersonation-without-policy':
    'without actor_token every client impersonates (no act), whatever its token_exchange_impersonation policy',
  'exchange-may-act-ignored': 'the subject token’s may_act is not enforced: any actor may exchange it',
  'exchange-actor-type-unchecked': 'actor_token without actor_token_type (or the type without the token) is accepted',
  'exchange-subject-type-optional': 'a request without subject_token_type is accepted',
  'exchange-subject-unverified': 'a JWT subject token is looked up by its jti without verifying its signature',
  'exchange-subject-liveness-unchecked': 'revoked or expired subject tokens are exchanged',
  'exchange-audience-ignored': 'the requested resource/audience is ignored: the new token keeps the subject’s audience',
  'exchange-unknown-target-accepted': 'a resource/audience the server does not know is issued for, not invalid_target',
  'exchange-upstream-allowed': 'an exchanged token can be exchanged back for an audience earlier in its chain',
  'exchange-chain-unbounded': 'delegation chains may grow without a depth limit',
  'exchange-scope-widened': 'a scope beyond the subject token’s is granted instead of invalid_scope',
  'exchange-issued-token-type-missing': 'the exchange response leaves out issued_token_type',
  'exchange-public-client-allowed': 'unauthenticated (public) clients may exchange tokens',
  'exchange-audit-missing': 'exchanges leave no event in the audit trail',
} as const;
