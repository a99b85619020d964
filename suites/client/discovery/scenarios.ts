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
import { endsOrRefuses } from '../refusal.ts';
import { registersBeforeAuthorizing } from '../registration.ts';
import { bearerOnMcpRequests, noTokenInQuery } from '../token-use.ts';
import { asMetadataIssuerValidated } from './issuer-validation.ts';
import { type AuthorizationServerPlace, mcpOriginIssuer, seenFromIssuer, tenantIssuer } from './issuer-view.ts';
import { legacyAsMetadata, legacyDefaultEndpoints, legacyOnlyWithoutPrm } from './legacy.ts';
import { OAUTH_METADATA_SUFFIX, OPENID_CONFIGURATION_SUFFIX } from './locations.ts';
import { asMetadataNotRootForPathIssuer, asMetadataProbeOrder, prmDiscoveryOrder } from './probe-order.ts';
import {
  authorizationServerAtMcpOrigin,
  authorizationServerMetadataOnlyAt,
  metadataIssuer,
  resourceMetadataAt,
} from './servers.ts';

/** The authorization code flow after discovery: registration, PKCE, state, resource, token use, completion. */
const CODE_FLOW_CHECKS: readonly ClientCheck[] = [
  completesInTime,
  registersBeforeAuthorizing,
  pkceChallengeSent,
  pkceS256,
  pkceVerifierMatches,
  stateSent,
  resourceInAuthorization,
  resourceInToken,
  bearerOnMcpRequests,
  noTokenInQuery,
];

/** The code flow checks, judged at an AS that is not the root of the AS origin. */
const codeFlowAt = (place: AuthorizationServerPlace): ClientCheck[] =>
  CODE_FLOW_CHECKS.map((check) => seenFromIssuer(check, place));

/** What every scenario with protected resource metadata judges about discovery. */
const PRM_DISCOVERY_CHECKS: readonly ClientCheck[] = [prmDiscoveryOrder, asMetadataProbeOrder, legacyOnlyWithoutPrm];

const TENANT = 'tenant1';
const tenant = tenantIssuer(TENANT);
const tenantIssuerOf = ({ issuer }: { issuer: string }) => `${issuer}/t/${TENANT}`;

export const metadataDefault: ClientScenario = {
  name: 'auth/metadata-default',
  description:
    'Protected resource metadata only at the path-inserted well-known URL, named in the 401 challenge (the root URL ' +
    'answers 404); AS metadata only at the RFC 8414 root URL',
  servers: {
    adaptations: [
      resourceMetadataAt({ at: 'path-inserted', namedInChallenge: true }),
      authorizationServerMetadataOnlyAt(() => OAUTH_METADATA_SUFFIX),
    ],
  },
  checks: [...CODE_FLOW_CHECKS, discoversFromChallenge, fetchesAuthorizationServerMetadata, ...PRM_DISCOVERY_CHECKS],
};

export const metadataVar1: ClientScenario = {
  name: 'auth/metadata-var1',
  description:
    'Protected resource metadata only at the path-inserted well-known URL, not named in the challenge; AS metadata ' +
    'only at /.well-known/openid-configuration',
  servers: {
    adaptations: [
      resourceMetadataAt({ at: 'path-inserted', namedInChallenge: false }),
      authorizationServerMetadataOnlyAt(() => OPENID_CONFIGURATION_SUFFIX),
    ],
  },
  checks: [...CODE_FLOW_CHECKS, fetchesAuthorizationServerMetadata, ...PRM_DISCOVERY_CHECKS],
};

export const metadataVar2: ClientScenario = {
  name: 'auth/metadata-var2',
  description:
    'Protected resource metadata only at the root well-known URL, not named in the challenge, listing the path ' +
    `issuer <as>/t/${TENANT}; its metadata only at the RFC 8414 path-inserted URL (the root URLs answer 404)`,
  servers: {
    system: { tenants: [TENANT] },
    adaptations: [
      resourceMetadataAt({ at: 'root', namedInChallenge: false, authorizationServer: tenantIssuerOf }),
      authorizationServerMetadataOnlyAt(() => `${OAUTH_METADATA_SUFFIX}/t/${TENANT}`),
    ],
  },
  checks: [
    ...codeFlowAt(tenant),
    seenFromIssuer(fetchesAuthorizationServerMetadata, tenant),
    ...PRM_DISCOVERY_CHECKS,
    asMetadataNotRootForPathIssuer,
  ],
};

export const metadataVar3: ClientScenario = {
  name: 'auth/metadata-var3',
  description:
    'Protected resource metadata at a custom URL (/custom/metadata/location.json) named in the challenge, listing ' +
    `the path issuer <as>/t/${TENANT}; its metadata only at the OpenID Discovery path-appended URL`,
  servers: {
    system: { tenants: [TENANT] },
    adaptations: [
      resourceMetadataAt({
        at: '/custom/metadata/location.json',
        namedInChallenge: true,
        authorizationServer: tenantIssuerOf,
      }),
      authorizationServerMetadataOnlyAt(() => `/t/${TENANT}${OPENID_CONFIGURATION_SUFFIX}`),
    ],
  },
  checks: [
    ...codeFlowAt(tenant),
    discoversFromChallenge,
    seenFromIssuer(fetchesAuthorizationServerMetadata, tenant),
    ...PRM_DISCOVERY_CHECKS,
    asMetadataNotRootForPathIssuer,
  ],
};

export const oauthMetadataBackcompat: ClientScenario = {
  name: 'auth/2025-03-26-oauth-metadata-backcompat',
  description:
    'A 2025-03-26 MCP server: no protected resource metadata and no resource_metadata in its challenge; the AS is at ' +
    'the MCP origin, with RFC 8414 metadata at <mcp-origin>/.well-known/oauth-authorization-server',
  servers: { adaptations: [authorizationServerAtMcpOrigin({ metadata: true })] },
  checks: [...codeFlowAt(mcpOriginIssuer), prmDiscoveryOrder, legacyAsMetadata],
};

export const oauthEndpointFallback: ClientScenario = {
  name: 'auth/2025-03-26-oauth-endpoint-fallback',
  description:
    'A 2025-03-26 MCP server without any metadata: no protected resource metadata, no AS metadata; only the default ' +
    'endpoints /authorize, /token and /register at the MCP origin answer',
  servers: { adaptations: [authorizationServerAtMcpOrigin({ metadata: false })] },
  checks: [...codeFlowAt(mcpOriginIssuer), prmDiscoveryOrder, legacyDefaultEndpoints],
};

/** The issuer a substituted metadata document claims (the official suite's scenario uses the same). */
const FOREIGN_ISSUER = 'https://attacker.example.com';

export const metadataIssuerMismatch: ClientScenario = {
  name: 'auth/metadata-issuer-mismatch',
  description:
    `The AS metadata names issuer ${FOREIGN_ISSUER}, not the issuer its well-known URL was built from: the client ` +
    'must not use it, so it neither registers, authorizes nor requests a token (RFC 8414 §3.3)',
  servers: { adaptations: [metadataIssuer(FOREIGN_ISSUER)] },
  checks: [endsOrRefuses, discoversFromChallenge, fetchesAuthorizationServerMetadata, asMetadataIssuerValidated],
};

export const DISCOVERY_SCENARIOS: readonly ClientScenario[] = [
  metadataDefault,
  metadataVar1,
  metadataVar2,
  metadataVar3,
  oauthMetadataBackcompat,
  oauthEndpointFallback,
  metadataIssuerMismatch,
];
