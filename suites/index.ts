import { authorizationCodeSuite } from './authorization-code/index.ts';
import { byoaSuite } from './byoa/index.ts';
import { discoverySuite } from './discovery/index.ts';
import { federationSuite } from './federation/index.ts';
import { grantsSuite } from './grants/index.ts';
import { pkceSuite } from './pkce/index.ts';
import { registrationSuite } from './registration/index.ts';
import { resourceServerSuite } from './resource-server/index.ts';
import type { Suite } from './suite.ts';

/** Every suite, in the order a run executes them (discovery first: later suites build on what it finds). */
export const SUITES: readonly Suite[] = [
  discoverySuite,
  registrationSuite,
  pkceSuite,
  authorizationCodeSuite,
  grantsSuite,
  resourceServerSuite,
  byoaSuite,
  federationSuite,
];
