import type { Misbehaviour } from '../misbehaviours.ts';
import {
  invalidTokenRecovery,
  offlineAccessNotSupported,
  offlineAccessScope,
  refreshOnExpiry,
  refreshTokenRotation,
  scopeFromScopesSupportedScenario,
  scopeOmittedWhenUndefinedScenario,
  scopeRetryLimit,
  scopeStepUp,
} from './scenarios.ts';

/** Each lifecycle misbehaving client, the scenario it runs, and the verdicts it must get (SKIPs aside). */
export const LIFECYCLE_MISBEHAVIOURS: readonly Misbehaviour[] = [
  [
    'partial-scopes',
    scopeFromScopesSupportedScenario,
    ['WARN client.auth-scope-from-scopes-supported.scope-from-scopes-supported'],
  ],
  [
    'invents-scope',
    scopeOmittedWhenUndefinedScenario,
    ['WARN client.auth-scope-omitted-when-undefined.scope-omitted-when-undefined'],
  ],
  [
    'ignores-insufficient-scope',
    scopeStepUp,
    ['FAIL client.auth-scope-step-up.completes', 'WARN client.auth-scope-step-up.step-up-on-insufficient-scope'],
  ],
  ['step-up-drops-scopes', scopeStepUp, ['WARN client.auth-scope-step-up.step-up-keeps-scopes']],
  ['no-step-up-limit', scopeRetryLimit, ['WARN client.auth-scope-retry-limit.step-up-bounded']],
  [
    'requests-unsupported-offline-access',
    offlineAccessNotSupported,
    ['FAIL client.auth-offline-access-not-supported.offline-access-only-when-advertised'],
  ],
  ['no-refresh-grant-type', offlineAccessScope, ['WARN client.auth-offline-access-scope.declares-refresh-grant']],
  ['relogs-instead-of-refresh', refreshOnExpiry, ['WARN client.auth-refresh-on-expiry.refreshes-on-expiry']],
  ['refresh-without-resource', refreshOnExpiry, ['FAIL client.auth-refresh-on-expiry.resource-in-refresh']],
  ['reuses-refresh-token', refreshTokenRotation, ['FAIL client.auth-refresh-token-rotation.refresh-token-used-once']],
  [
    'gives-up-on-invalid-token',
    invalidTokenRecovery,
    [
      'FAIL client.auth-invalid-token-recovery.completes',
      'FAIL client.auth-invalid-token-recovery.recovers-from-invalid-token',
    ],
  ],
  ['retries-rejected-token', invalidTokenRecovery, ['WARN client.auth-invalid-token-recovery.drops-rejected-token']],
];
