import type {
  ClientCheck,
  ClientScenario,
  PreRegisteredCredentials,
  SecretAuthMethod,
} from '../../harness/client-mode/scenario.ts';
import {
  pkceChallengeSent,
  pkceS256,
  pkceVerifierEntropy,
  pkceVerifierMatches,
  pkceVerifierShape,
  resourceInAuthorization,
  resourceInToken,
  stateSent,
} from './authorization.ts';
import { completesInTime } from './completion.ts';
import { discoversFromChallenge, fetchesAuthorizationServerMetadata } from './discovery.ts';
import { endsOrRefuses, rejectsIssMismatch, rejectsResourceMismatch, rejectsStateMismatch } from './refusal.ts';
import { redirectUrisLoopbackOrHttps, registersBeforeAuthorizing, usesPreRegisteredClient } from './registration.ts';
import { scopeFromChallenge } from './scope.ts';
import { publicClientAuthentication, secretAuthentication } from './token-auth.ts';
import { bearerOnMcpRequests, noTokenInQuery } from './token-use.ts';

/** What every authorization-code scenario judges: discovery, PKCE, state, resource, token use, completion. */
export const AUTHORIZATION_CODE_CHECKS: readonly ClientCheck[] = [
  completesInTime,
  discoversFromChallenge,
  fetchesAuthorizationServerMetadata,
  pkceChallengeSent,
  pkceS256,
  pkceVerifierMatches,
  pkceVerifierShape,
  pkceVerifierEntropy,
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

/**
 * A confidential client registered ahead of time with `method`, on an AS without dynamic registration whose metadata
 * advertises only that method. MCP_CONFORMANCE_CONTEXT carries its client_id and client_secret (the official shape).
 */
function preRegisteredScenario(name: string, description: string, method: SecretAuthMethod): ClientScenario {
  const client: PreRegisteredCredentials = {
    client_id: `conformance-${method.replaceAll('_', '-')}`,
    client_secret: `conformance-${method.replaceAll('_', '-')}-secret`,
    token_endpoint_auth_method: method,
  };
  const servers = { registration: false, preRegisteredClient: client };
  return {
    name,
    description,
    servers,
    context() {
      return { client_id: client.client_id, client_secret: client.client_secret };
    },
    checks: [...AUTHORIZATION_CODE_CHECKS, usesPreRegisteredClient(client), secretAuthentication(client)],
  };
}

export const preRegistration = preRegisteredScenario(
  'auth/pre-registration',
  'The AS offers no dynamic registration; the client uses the client_id and client_secret of the context and ' +
    'authenticates with HTTP Basic (client_secret_basic) at the token endpoint',
  'client_secret_basic',
);

export const tokenEndpointAuthBasic = preRegisteredScenario(
  'auth/token-endpoint-auth-basic',
  'A confidential client registered with client_secret_basic redeems its code with Authorization: Basic and no ' +
    'client_secret in the body',
  'client_secret_basic',
);

export const tokenEndpointAuthPost = preRegisteredScenario(
  'auth/token-endpoint-auth-post',
  'A confidential client registered with client_secret_post redeems its code with client_id and client_secret in ' +
    'the body and no Authorization header',
  'client_secret_post',
);

/** The scenarios with a pre-registered confidential client (the runner's list is suites/client/index.ts). */
export const PRE_REGISTERED_SCENARIOS: readonly ClientScenario[] = [
  preRegistration,
  tokenEndpointAuthBasic,
  tokenEndpointAuthPost,
];

/** Where the AS's authorization response lies, the client goes as far as authorizing, then must stop. */
const UNTIL_AUTHORIZATION_CHECKS: readonly ClientCheck[] = [
  endsOrRefuses,
  discoversFromChallenge,
  fetchesAuthorizationServerMetadata,
  registersBeforeAuthorizing,
  pkceChallengeSent,
  pkceS256,
  stateSent,
  resourceInAuthorization,
  noTokenInQuery,
];

export const stateMismatch: ClientScenario = {
  name: 'auth/state-mismatch',
  description:
    'The AS redirects back with a state other than the one the client sent: the client must discard the response ' +
    'and not redeem its code',
  servers: { lies: { authorizationState: true } },
  checks: [...UNTIL_AUTHORIZATION_CHECKS, rejectsStateMismatch],
};

/** The issuer an RFC 9207 mix-up attacker would claim (the official suite's `auth/iss-wrong-issuer` uses the same). */
const FOREIGN_ISSUER = 'https://evil.example.com';

export const issMismatch: ClientScenario = {
  name: 'auth/iss-mismatch',
  description:
    'The AS advertises authorization_response_iss_parameter_supported but redirects back with ' +
    `iss=${FOREIGN_ISSUER}: the client must not redeem the code (RFC 9207 §2.4)`,
  servers: { lies: { authorizationIss: FOREIGN_ISSUER } },
  checks: [...UNTIL_AUTHORIZATION_CHECKS, rejectsIssMismatch],
};

export const resourceMismatch: ClientScenario = {
  name: 'auth/resource-mismatch',
  description:
    'The protected resource metadata names resource "https://evil.example.com/mcp", not the MCP URL the client ' +
    'connected to: the client must not use it, so it neither authorizes nor requests a token',
  servers: { lies: { prmResource: 'https://evil.example.com/mcp' } },
  checks: [endsOrRefuses, discoversFromChallenge, noTokenInQuery, rejectsResourceMismatch],
};

/** The scenarios whose servers lie, so that a conforming client refuses to go on. */
export const REFUSAL_SCENARIOS: readonly ClientScenario[] = [stateMismatch, issMismatch, resourceMismatch];
