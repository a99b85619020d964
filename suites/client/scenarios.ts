import type { ClientCheck, ClientScenario } from '../../harness/client-mode/scenario.ts';
import {
  pkceChallengeSent,
  pkceS256,
  pkceVerifierMatches,
  resourceInAuthorization,
  resourceInToken,
  stateSent,
} from './authorization.ts';
import { completesInTime } from './completion.ts';
import { discoversFromChallenge, fetchesAuthorizationServerMetadata } from './discovery.ts';
import { redirectUrisLoopbackOrHttps, registersBeforeAuthorizing } from './registration.ts';
import { scopeFromChallenge } from './scope.ts';
import { publicClientAuthentication } from './token-auth.ts';
import { bearerOnMcpRequests, noTokenInQuery } from './token-use.ts';

/** What every authorization-code scenario judges: discovery, PKCE, state, resource, token use, completion. */
const AUTHORIZATION_CODE_CHECKS: readonly ClientCheck[] = [
  completesInTime,
  discoversFromChallenge,
  fetchesAuthorizationServerMetadata,
  pkceChallengeSent,
  pkceS256,
  pkceVerifierMatches,
  stateSent,
  resourceInAuthorization,
  resourceInToken,
  bearerOnMcpRequests,
  noTokenInQuery,
];

export const basicDcr: ClientScenario = {
  name: 'auth/basic-dcr',
  description:
    'Discovery from the 401 challenge and protected resource metadata, AS metadata, dynamic registration, authorization code with PKCE S256, state and resource, then MCP calls with the bearer token',
  checks: [...AUTHORIZATION_CODE_CHECKS, registersBeforeAuthorizing, redirectUrisLoopbackOrHttps],
};

export const scopeFromWwwAuthenticate: ClientScenario = {
  name: 'auth/scope-from-www-authenticate',
  description:
    'The 401 challenge names scope="mcp:tools" while the metadata lists more: the client asks for the challenged scope',
  checks: [...AUTHORIZATION_CODE_CHECKS, scopeFromChallenge],
};

export const tokenEndpointAuthNone: ClientScenario = {
  name: 'auth/token-endpoint-auth-none',
  description: 'A client registered as public ("none") redeems its code with client_id and PKCE, without credentials',
  checks: [...AUTHORIZATION_CODE_CHECKS, registersBeforeAuthorizing, publicClientAuthentication],
};
