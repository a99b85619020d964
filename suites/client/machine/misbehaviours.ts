import type { Misbehaviour } from '../misbehaviours.ts';
import { clientCredentialsBasic, clientCredentialsJwt, enterpriseManagedAuthorization } from './scenarios.ts';

const JWT = 'client.auth-client-credentials-jwt';
const BASIC = 'client.auth-client-credentials-basic';
const ENTERPRISE = 'client.auth-enterprise-managed-authorization';

/** Each misbehaving machine client, the scenario it runs, and the verdicts it must get (SKIPs aside). */
export const MACHINE_MISBEHAVIOURS: readonly Misbehaviour[] = [
  ['assertion-audience-elsewhere', clientCredentialsJwt, [`FAIL ${JWT}.completes`, `FAIL ${JWT}.client-assertion`]],
  ['long-lived-assertion', clientCredentialsJwt, [`WARN ${JWT}.assertion-short-lived`]],
  [
    'reuses-assertion-jti',
    clientCredentialsJwt,
    [`FAIL ${JWT}.completes`, `FAIL ${JWT}.bearer-on-mcp`, `FAIL ${JWT}.assertion-unique-jti`],
  ],
  ['secret-with-assertion', clientCredentialsJwt, [`FAIL ${JWT}.completes`, `FAIL ${JWT}.no-secret-with-assertion`]],
  [
    'assertion-as-grant',
    clientCredentialsJwt,
    [`FAIL ${JWT}.completes`, `FAIL ${JWT}.client-credentials-grant`, `FAIL ${JWT}.client-assertion`],
  ],
  ['drops-resource', clientCredentialsJwt, [`FAIL ${JWT}.completes`, `FAIL ${JWT}.machine-token-resource`]],
  ['secret-in-both', clientCredentialsBasic, [`FAIL ${BASIC}.completes`, `FAIL ${BASIC}.client-credentials-basic`]],
  ['tries-registration', clientCredentialsBasic, [`WARN ${BASIC}.no-interactive-flow`]],
  [
    'exchange-audience-is-resource',
    enterpriseManagedAuthorization,
    [`FAIL ${ENTERPRISE}.completes`, `FAIL ${ENTERPRISE}.id-jag-token-exchange`],
  ],
  [
    'id-token-to-as',
    enterpriseManagedAuthorization,
    [`FAIL ${ENTERPRISE}.completes`, `FAIL ${ENTERPRISE}.id-jag-token-exchange`, `FAIL ${ENTERPRISE}.id-jag-presented`],
  ],
];
