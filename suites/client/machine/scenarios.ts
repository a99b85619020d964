import type { ClientCheck, ClientScenario } from '../../../harness/client-mode/scenario.ts';
import { REFERENCE_M2M_CLIENT } from '../../../reference-server/system.ts';
import { completesInTime } from '../completion.ts';
import { discoversFromChallenge, fetchesAuthorizationServerMetadata } from '../discovery.ts';
import { bearerOnMcpRequests, noTokenInQuery } from '../token-use.ts';
import {
  assertionShortLived,
  assertionUsedOnce,
  clientAssertionWellFormed,
  noSecretWithAssertion,
} from './assertion.ts';
import {
  clientCredentialsGrant,
  clientSecretBasicAuthentication,
  noInteractiveFlow,
  resourceInMachineTokenRequest,
} from './client-credentials.ts';
import { idJagPresented, idJagTokenExchange } from './enterprise.ts';
import {
  advertisesTokenAuthentication,
  assertionClient,
  enterpriseContext,
  refusesFirstToken,
  registersAssertionClient,
  servesEnterpriseIdp,
} from './servers.ts';

/** What every scenario without a user judges: discovery, no interactive endpoints, token use, completion. */
const MACHINE_CHECKS: readonly ClientCheck[] = [
  completesInTime,
  discoversFromChallenge,
  fetchesAuthorizationServerMetadata,
  noInteractiveFlow,
  bearerOnMcpRequests,
  noTokenInQuery,
];

const CLIENT_CREDENTIALS_CHECKS: readonly ClientCheck[] = [
  ...MACHINE_CHECKS,
  clientCredentialsGrant,
  resourceInMachineTokenRequest,
];

const jwtClient = assertionClient('conformance-private-key-jwt-client');

export const clientCredentialsJwt: ClientScenario = {
  name: 'auth/client-credentials-jwt',
  description:
    'A pre-registered machine client gets tokens with client_credentials, authenticating with private_key_jwt ' +
    '(RFC 7523 §2.2) with the key of the context; the MCP server refuses the first token as revoked, so the client ' +
    'must authenticate again with a new assertion',
  servers: {
    registration: false,
    adaptations: [
      registersAssertionClient(jwtClient),
      advertisesTokenAuthentication(['private_key_jwt'], [jwtClient.algorithm]),
      refusesFirstToken,
    ],
  },
  context: () => ({
    client_id: jwtClient.client_id,
    private_key_pem: jwtClient.privateKeyPem,
    signing_algorithm: jwtClient.algorithm,
  }),
  checks: [
    ...CLIENT_CREDENTIALS_CHECKS,
    clientAssertionWellFormed(jwtClient),
    assertionShortLived,
    assertionUsedOnce,
    noSecretWithAssertion,
  ],
};

export const clientCredentialsBasic: ClientScenario = {
  name: 'auth/client-credentials-basic',
  description:
    'A pre-registered machine client gets tokens with client_credentials, authenticating with HTTP Basic ' +
    '(client_secret_basic) with the client_id and client_secret of the context',
  servers: { registration: false, adaptations: [advertisesTokenAuthentication(['client_secret_basic'])] },
  context: () => ({ ...REFERENCE_M2M_CLIENT }),
  checks: [...CLIENT_CREDENTIALS_CHECKS, clientSecretBasicAuthentication(REFERENCE_M2M_CLIENT.client_id)],
};

export const enterpriseManagedAuthorization: ClientScenario = {
  name: 'auth/enterprise-managed-authorization',
  description:
    'The client holds an ID token from the enterprise IdP (SSO): it exchanges it at the IdP for an ID-JAG ' +
    '(RFC 8693, audience = the AS issuer, resource = the MCP server) and redeems the ID-JAG at the AS with the JWT ' +
    'bearer grant (RFC 7523 §2.1), authenticated as its own client there',
  servers: {
    registration: false,
    system: (origins) => ({ enterpriseIdp: origins.foreign }),
    adaptations: [servesEnterpriseIdp],
  },
  context: enterpriseContext,
  checks: [...MACHINE_CHECKS, idJagTokenExchange, idJagPresented],
};

/** The scenarios without a user at the keyboard. */
export const MACHINE_SCENARIOS: readonly ClientScenario[] = [
  clientCredentialsJwt,
  clientCredentialsBasic,
  enterpriseManagedAuthorization,
];
