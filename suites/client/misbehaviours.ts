import type { ClientScenario } from '../../harness/client-mode/scenario.ts';
import type { Flaw } from '../../mocks/clients/misbehaving/flaws.ts';
import { DISCOVERY_MISBEHAVIOURS } from './discovery/misbehaviours.ts';
import { IDENTITY_MISBEHAVIOURS } from './identity/misbehaviours.ts';
import { LIFECYCLE_MISBEHAVIOURS } from './lifecycle/misbehaviours.ts';
import { MACHINE_MISBEHAVIOURS } from './machine/misbehaviours.ts';
import {
  basicDcr,
  issMismatch,
  resourceMismatch,
  scopeFromWwwAuthenticate,
  stateMismatch,
  tokenEndpointAuthBasic,
  tokenEndpointAuthNone,
} from './scenarios.ts';

/** A misbehaving client, the scenario it runs, and the verdicts it must get (SKIPs aside), e.g. `FAIL client.auth-basic-dcr.pkce-s256`. */
export type Misbehaviour = readonly [Flaw, ClientScenario, readonly string[]];

/** Each misbehaving client, the scenario it runs, and the verdicts it must get (SKIPs aside). */
export const BASE_MISBEHAVIOURS: readonly Misbehaviour[] = [
  [
    'no-pkce',
    basicDcr,
    [
      'FAIL client.auth-basic-dcr.completes',
      'FAIL client.auth-basic-dcr.pkce-challenge-sent',
      'FAIL client.auth-basic-dcr.pkce-s256',
    ],
  ],
  ['drops-resource', basicDcr, ['FAIL client.auth-basic-dcr.resource-in-token']],
  ['token-in-query', basicDcr, ['FAIL client.auth-basic-dcr.no-token-in-query']],
  [
    'ignores-challenge-scope',
    scopeFromWwwAuthenticate,
    ['WARN client.auth-scope-from-www-authenticate.scope-from-challenge'],
  ],
  [
    'secret-in-both',
    tokenEndpointAuthBasic,
    [
      'FAIL client.auth-token-endpoint-auth-basic.completes',
      'FAIL client.auth-token-endpoint-auth-basic.token-auth-basic',
    ],
  ],
  ['ignores-state', stateMismatch, ['WARN client.auth-state-mismatch.rejects-state-mismatch']],
  ['ignores-iss', issMismatch, ['FAIL client.auth-iss-mismatch.rejects-iss-mismatch']],
  ['ignores-resource-mismatch', resourceMismatch, ['FAIL client.auth-resource-mismatch.rejects-resource-mismatch']],
  ['no-state', basicDcr, ['FAIL client.auth-basic-dcr.completes', 'WARN client.auth-basic-dcr.state-sent']],
  [
    'wrong-verifier',
    basicDcr,
    ['FAIL client.auth-basic-dcr.completes', 'FAIL client.auth-basic-dcr.pkce-verifier-matches'],
  ],
  [
    'drops-resource-in-authorization',
    basicDcr,
    ['FAIL client.auth-basic-dcr.completes', 'FAIL client.auth-basic-dcr.resource-in-authorization'],
  ],
  [
    'secret-for-public-client',
    tokenEndpointAuthNone,
    [
      'FAIL client.auth-token-endpoint-auth-none.completes',
      'FAIL client.auth-token-endpoint-auth-none.token-auth-none',
    ],
  ],
  [
    'unauthenticated-notification',
    basicDcr,
    ['FAIL client.auth-basic-dcr.completes', 'FAIL client.auth-basic-dcr.bearer-on-mcp'],
  ],
  [
    'http-redirect-uri',
    basicDcr,
    [
      'FAIL client.auth-basic-dcr.completes',
      'FAIL client.auth-basic-dcr.dcr-before-authorize',
      'FAIL client.auth-basic-dcr.redirect-uri-loopback-or-https',
    ],
  ],
  ['skips-as-metadata', basicDcr, ['FAIL client.auth-basic-dcr.completes', 'FAIL client.auth-basic-dcr.as-metadata']],
  ['ignores-challenge-pointer', basicDcr, ['FAIL client.auth-basic-dcr.prm-from-challenge']],
  ['plain-pkce', basicDcr, ['FAIL client.auth-basic-dcr.completes', 'FAIL client.auth-basic-dcr.pkce-s256']],
  ['predictable-verifier', basicDcr, ['WARN client.auth-basic-dcr.pkce-verifier-entropy']],
  [
    'short-verifier',
    basicDcr,
    [
      'FAIL client.auth-basic-dcr.completes',
      'FAIL client.auth-basic-dcr.pkce-verifier-shape',
      'WARN client.auth-basic-dcr.pkce-verifier-entropy',
    ],
  ],
];

/** Every group's misbehaving clients: the coverage test demands one failing each check. */
export const ALL_MISBEHAVIOURS: readonly Misbehaviour[] = [
  ...BASE_MISBEHAVIOURS,
  ...IDENTITY_MISBEHAVIOURS,
  ...LIFECYCLE_MISBEHAVIOURS,
  ...MACHINE_MISBEHAVIOURS,
  ...DISCOVERY_MISBEHAVIOURS,
];
