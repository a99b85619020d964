import type { ClientCheck, ClientScenario } from '../../../harness/client-mode/scenario.ts';
import { completesInTime } from '../completion.ts';
import { endsOrRefuses } from '../refusal.ts';
import { AUTHORIZATION_CODE_CHECKS } from '../scenarios.ts';
import { scopeFromChallenge } from '../scope.ts';
import {
  declaresRefreshGrant,
  offlineAccessOnlyWhenAdvertised,
  scopeFromScopesSupported,
  scopeOmittedWhenUndefined,
} from './scope-selection.ts';
import {
  asWithoutOfflineAccess,
  challengeWithoutScope,
  demandsScopeForToolCalls,
  metadataWithoutScopes,
  rejectsAccessTokens,
} from './servers.ts';
import { stepsUpOnInsufficientScope, stepUpBounded, stepUpKeepsScopes } from './step-up.ts';
import {
  dropsRejectedToken,
  recoversFromRejectedToken,
  refreshesOnExpiry,
  refreshTokenUsedOnce,
  resourceInRefresh,
} from './token-renewal.ts';

const COMPLETING_FLOW_CHECKS = AUTHORIZATION_CODE_CHECKS;

/** The same, where the client is expected to give up rather than complete. */
const FLOW_CHECKS: readonly ClientCheck[] = AUTHORIZATION_CODE_CHECKS.filter((check) => check !== completesInTime);

/** The scope the reference MCP server's admin tool needs, demanded here of every tool call. */
const ELEVATED_SCOPE = 'mcp:admin';

export const scopeFromScopesSupportedScenario: ClientScenario = {
  name: 'auth/scope-from-scopes-supported',
  description:
    'The 401 challenge names no scope; the protected resource metadata lists scopes_supported ["mcp:tools", ' +
    '"mcp:admin"]: the client asks for all of them',
  servers: { adaptations: [challengeWithoutScope] },
  checks: [...COMPLETING_FLOW_CHECKS, scopeFromScopesSupported],
};

export const scopeOmittedWhenUndefinedScenario: ClientScenario = {
  name: 'auth/scope-omitted-when-undefined',
  description:
    'Neither the 401 challenge nor the protected resource metadata names a scope: the client omits the scope ' +
    'parameter and lets the AS choose',
  servers: { adaptations: [challengeWithoutScope, metadataWithoutScopes] },
  checks: [...COMPLETING_FLOW_CHECKS, scopeOmittedWhenUndefined],
};

export const scopeStepUp: ClientScenario = {
  name: 'auth/scope-step-up',
  description:
    `The first tools/call is refused with 403 insufficient_scope naming only "${ELEVATED_SCOPE}": the client ` +
    're-authorizes for the union of its scopes and the challenged one, then retries the call with the new token',
  servers: {
    adaptations: [demandsScopeForToolCalls({ scope: ELEVATED_SCOPE, always: false, refusalsBeforeGone: 8 })],
  },
  checks: [...COMPLETING_FLOW_CHECKS, scopeFromChallenge, stepsUpOnInsufficientScope, stepUpKeepsScopes],
};

export const scopeRetryLimit: ClientScenario = {
  name: 'auth/scope-retry-limit',
  description:
    `Every tools/call is refused with 403 insufficient_scope ("${ELEVATED_SCOPE}") whatever the token holds: the ` +
    'client gives up after a few step-ups (a non-zero exit is expected); after 8 refusals the server answers 410',
  servers: {
    adaptations: [demandsScopeForToolCalls({ scope: ELEVATED_SCOPE, always: true, refusalsBeforeGone: 8 })],
  },
  checks: [endsOrRefuses, ...FLOW_CHECKS, stepUpBounded],
};

export const offlineAccessScope: ClientScenario = {
  name: 'auth/offline-access-scope',
  description:
    'The AS metadata lists offline_access in scopes_supported (the protected resource metadata does not): a client ' +
    'that wants refresh tokens declares the refresh_token grant type and may ask for offline_access',
  checks: [...COMPLETING_FLOW_CHECKS, declaresRefreshGrant, offlineAccessOnlyWhenAdvertised],
};

export const offlineAccessNotSupported: ClientScenario = {
  name: 'auth/offline-access-not-supported',
  description: 'The AS metadata does not list offline_access in scopes_supported: the client must not ask for it',
  servers: { adaptations: [asWithoutOfflineAccess] },
  checks: [...COMPLETING_FLOW_CHECKS, offlineAccessOnlyWhenAdvertised],
};

export const refreshOnExpiry: ClientScenario = {
  name: 'auth/refresh-on-expiry',
  description:
    'The first access token expires after two MCP requests (401 invalid_token): the client refreshes it with its ' +
    'refresh token and the resource, without a new authorization, and retries',
  servers: {
    adaptations: [
      rejectsAccessTokens({ tokens: 1, servedRequests: 2, reason: 'the access token expired', refusesRefresh: false }),
    ],
  },
  checks: [
    ...COMPLETING_FLOW_CHECKS,
    recoversFromRejectedToken,
    dropsRejectedToken,
    refreshesOnExpiry,
    resourceInRefresh,
  ],
};

export const refreshTokenRotation: ClientScenario = {
  name: 'auth/refresh-token-rotation',
  description:
    'The first two access tokens expire after one MCP request each; the reference AS rotates refresh tokens on ' +
    'every refresh: the client presents the newest refresh token each time, never a spent one (which would revoke ' +
    'the grant)',
  servers: {
    adaptations: [
      rejectsAccessTokens({ tokens: 2, servedRequests: 1, reason: 'the access token expired', refusesRefresh: false }),
    ],
  },
  checks: [...COMPLETING_FLOW_CHECKS, refreshesOnExpiry, resourceInRefresh, refreshTokenUsedOnce],
};

export const invalidTokenRecovery: ClientScenario = {
  name: 'auth/invalid-token-recovery',
  description:
    'The first access token is revoked with its grant after two MCP requests (401 invalid_token; its refresh token ' +
    'is refused with invalid_grant): the client stops using it, authorizes once more and retries, without looping',
  servers: {
    adaptations: [
      rejectsAccessTokens({
        tokens: 1,
        servedRequests: 2,
        reason: 'the access token was revoked',
        refusesRefresh: true,
      }),
    ],
  },
  checks: [...COMPLETING_FLOW_CHECKS, recoversFromRejectedToken, dropsRejectedToken],
};

/** The token lifecycle scenarios: scope selection, step-up, refresh tokens and recovery from rejected tokens. */
export const LIFECYCLE_SCENARIOS: readonly ClientScenario[] = [
  scopeFromScopesSupportedScenario,
  scopeOmittedWhenUndefinedScenario,
  scopeStepUp,
  scopeRetryLimit,
  offlineAccessScope,
  offlineAccessNotSupported,
  refreshOnExpiry,
  refreshTokenRotation,
  invalidTokenRecovery,
];
