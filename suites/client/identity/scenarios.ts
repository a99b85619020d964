import type { ClientCheck, ClientScenario } from '../../../harness/client-mode/scenario.ts';
import {
  pkceChallengeSent,
  pkceS256,
  pkceVerifierMatches,
  resourceInAuthorization,
  resourceInToken,
  stateSent,
} from '../authorization.ts';
import { completesInTime } from '../completion.ts';
import { discoversFromChallenge, fetchesAuthorizationServerMetadata } from '../discovery.ts';
import { endsOrRefuses, rejectsIssMismatch } from '../refusal.ts';
import { registersBeforeAuthorizing } from '../registration.ts';
import { bearerOnMcpRequests, noTokenInQuery } from '../token-use.ts';
import { tokenNotForwarded } from './forwarding.ts';
import {
  redeemsGenuineAuthorizationResponse,
  rejectsMissingIss,
  rejectsNormalizedIss,
  rejectsUnadvertisedIssMismatch,
} from './iss.ts';
import {
  noAuthorizationWithoutRegistration,
  noCredentialReuseAcrossAuthorizationServers,
  registrationRetriesBounded,
  reportsRegistrationError,
  reregistersWithNewAuthorizationServer,
  usesClientIdMetadataDocument,
} from './registration.ts';
import {
  authorizationIss,
  CIMD_CLIENT_METADATA_URL,
  CIMD_REDIRECT_URIS,
  hostsClientMetadataDocument,
  issNotAdvertised,
  MIGRATION_TENANT,
  migratesAuthorizationServer,
  migrationIssuer,
  redirectsToForeignOrigin,
  registrationRefused,
} from './servers.ts';

/** Discovery and the authorization request, judged wherever the client gets as far as authorizing. */
const AUTHORIZING_CHECKS: readonly ClientCheck[] = [
  discoversFromChallenge,
  fetchesAuthorizationServerMetadata,
  pkceChallengeSent,
  pkceS256,
  stateSent,
  resourceInAuthorization,
  noTokenInQuery,
];

/** Authorizing, redeeming the code, and using the token. */
const AUTHORIZED_CHECKS: readonly ClientCheck[] = [
  ...AUTHORIZING_CHECKS,
  pkceVerifierMatches,
  resourceInToken,
  bearerOnMcpRequests,
];

/** A whole authorization-code journey, ending with exit 0. */
const JOURNEY_CHECKS: readonly ClientCheck[] = [completesInTime, ...AUTHORIZED_CHECKS];

export const basicCimd: ClientScenario = {
  name: 'auth/basic-cimd',
  description:
    'The AS advertises client_id_metadata_document_supported (and still offers DCR): the client uses the https URL ' +
    `of its Client ID Metadata Document as client_id. The harness hosts the document at the official suite's fixed ` +
    `URL ${CIMD_CLIENT_METADATA_URL} (redirect_uris ${CIMD_REDIRECT_URIS.join(', ')}, public client) and the AS ` +
    'really fetches and validates it; MCP_CONFORMANCE_CONTEXT names the URL as client_metadata_url for clients that ' +
    'are told rather than hard-coded',
  servers: {
    clientIdMetadataDocuments: true,
    system: { cimdAllowHosts: [new URL(CIMD_CLIENT_METADATA_URL).host] },
    adaptations: [hostsClientMetadataDocument],
  },
  context: () => ({ client_metadata_url: CIMD_CLIENT_METADATA_URL }),
  checks: [...JOURNEY_CHECKS, usesClientIdMetadataDocument],
};

export const issSupported: ClientScenario = {
  name: 'auth/iss-supported',
  description:
    'The AS advertises authorization_response_iss_parameter_supported and its redirect carries its own issuer as ' +
    'iss: the client compares it and proceeds (RFC 9207 §2.4)',
  checks: [...JOURNEY_CHECKS, registersBeforeAuthorizing, redeemsGenuineAuthorizationResponse],
};

export const issNotAdvertisedScenario: ClientScenario = {
  name: 'auth/iss-not-advertised',
  description: 'The AS metadata does not advertise iss support and the redirect carries no iss: the client proceeds',
  servers: { adaptations: [issNotAdvertised, authorizationIss(() => undefined)] },
  checks: [...JOURNEY_CHECKS, registersBeforeAuthorizing, redeemsGenuineAuthorizationResponse],
};

/** Where the authorization response is not to be trusted, the client authorizes, then must stop. */
const REFUSING_CHECKS: readonly ClientCheck[] = [endsOrRefuses, ...AUTHORIZING_CHECKS, registersBeforeAuthorizing];

export const issSupportedMissing: ClientScenario = {
  name: 'auth/iss-supported-missing',
  description:
    'The AS advertises iss support but its redirect carries no iss: the client must reject the response and not ' +
    'redeem the code (RFC 9207 §2.4)',
  servers: { adaptations: [authorizationIss(() => undefined)] },
  checks: [...REFUSING_CHECKS, rejectsMissingIss],
};

/** The issuer a mix-up attacker would claim (as the official auth/iss-unexpected). */
const FOREIGN_ISSUER = 'https://evil.example.com';

export const issUnexpected: ClientScenario = {
  name: 'auth/iss-unexpected',
  description:
    `The AS does not advertise iss support, yet its redirect carries iss=${FOREIGN_ISSUER}: the client compares a ` +
    'present iss regardless and must not redeem the code',
  servers: { adaptations: [issNotAdvertised, authorizationIss(() => FOREIGN_ISSUER)] },
  checks: [...REFUSING_CHECKS, rejectsUnadvertisedIssMismatch],
};

export const issNormalized: ClientScenario = {
  name: 'auth/iss-normalized',
  description:
    'The AS advertises iss support and its redirect carries the issuer with a trailing slash: equal only after URL ' +
    'normalization, so by simple string comparison a mismatch the client must reject',
  servers: { adaptations: [authorizationIss((issuer) => `${issuer}/`)] },
  checks: [...REFUSING_CHECKS, rejectsNormalizedIss, rejectsIssMismatch],
};

const migration = (issuer: string) => ({ from: issuer, to: migrationIssuer({ issuer }) });

export const authorizationServerMigration: ClientScenario = {
  name: 'auth/authorization-server-migration',
  description:
    'The protected resource metadata first names the reference AS; once the MCP server has accepted a token from it, ' +
    `it names the tenant issuer <as>/t/${MIGRATION_TENANT} instead and answers 401 invalid_token to the first AS's ` +
    'tokens: the client re-discovers, registers with the new AS, authorizes there, and never presents the first ' +
    'AS’s client_id or tokens to it (MCP 2026-07-28 "Authorization Server Binding", SEP-2352)',
  servers: { system: { tenants: [MIGRATION_TENANT] }, adaptations: [migratesAuthorizationServer] },
  checks: [
    completesInTime,
    ...AUTHORIZING_CHECKS,
    pkceVerifierMatches,
    resourceInToken,
    registersBeforeAuthorizing,
    reregistersWithNewAuthorizationServer(migration),
    noCredentialReuseAcrossAuthorizationServers(migration),
  ],
};

const REGISTRATION_ERROR = 'invalid_client_metadata';

export const dcrError: ClientScenario = {
  name: 'auth/dcr-error',
  description:
    `Every registration request is refused with 400 ${REGISTRATION_ERROR}: the client stops by itself with the ` +
    "AS's error, after a bounded number of attempts, and never goes to /authorize with a client_id it was not issued",
  servers: {
    adaptations: [
      registrationRefused(400, REGISTRATION_ERROR, 'redirect_uris are not acceptable to this authorization server'),
    ],
  },
  checks: [
    endsOrRefuses,
    discoversFromChallenge,
    fetchesAuthorizationServerMetadata,
    noAuthorizationWithoutRegistration,
    registrationRetriesBounded,
    reportsRegistrationError,
  ],
};

export const tokenNotForwardedScenario: ClientScenario = {
  name: 'auth/token-not-forwarded',
  description:
    'The MCP server answers the first authenticated tools/call with a 307 to a foreign origin (which serves the call ' +
    'as if relocated): the Authorization header must never reach that origin',
  servers: { adaptations: [redirectsToForeignOrigin] },
  // Refusing to follow a redirect to another origin is as safe as following it without the token.
  checks: [endsOrRefuses, ...AUTHORIZED_CHECKS, registersBeforeAuthorizing, tokenNotForwarded],
};

/** The identity group's scenarios, in run order. */
export const IDENTITY_SCENARIOS: readonly ClientScenario[] = [
  basicCimd,
  issSupported,
  issNotAdvertisedScenario,
  issSupportedMissing,
  issUnexpected,
  issNormalized,
  authorizationServerMigration,
  dcrError,
  tokenNotForwardedScenario,
];
