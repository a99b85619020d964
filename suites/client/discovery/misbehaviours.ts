import type { Misbehaviour } from '../misbehaviours.ts';
import {
  metadataDefault,
  metadataIssuerMismatch,
  metadataVar1,
  metadataVar2,
  oauthEndpointFallback,
  oauthMetadataBackcompat,
} from './scenarios.ts';

/** Each misbehaving discovery client, the scenario it runs, and the verdicts it must get (SKIPs aside). */
export const DISCOVERY_MISBEHAVIOURS: readonly Misbehaviour[] = [
  [
    'prm-root-first',
    metadataDefault,
    ['FAIL client.auth-metadata-default.prm-from-challenge', 'FAIL client.auth-metadata-default.prm-discovery-order'],
  ],
  ['openid-configuration-first', metadataVar1, ['FAIL client.auth-metadata-var1.as-metadata-probe-order']],
  ['root-as-metadata', metadataVar2, ['FAIL client.auth-metadata-var2.as-metadata-not-root-for-path-issuer']],
  ['legacy-discovery-first', metadataDefault, ['FAIL client.auth-metadata-default.legacy-only-without-prm']],
  [
    'no-legacy-fallback',
    oauthMetadataBackcompat,
    [
      'FAIL client.auth-2025-03-26-oauth-metadata-backcompat.completes',
      'FAIL client.auth-2025-03-26-oauth-metadata-backcompat.legacy-as-metadata',
    ],
  ],
  [
    'no-legacy-fallback',
    oauthEndpointFallback,
    [
      'FAIL client.auth-2025-03-26-oauth-endpoint-fallback.completes',
      'FAIL client.auth-2025-03-26-oauth-endpoint-fallback.legacy-default-endpoints',
    ],
  ],
  [
    'accepts-mismatched-issuer',
    metadataIssuerMismatch,
    ['FAIL client.auth-metadata-issuer-mismatch.as-metadata-issuer-validated'],
  ],
];
