import { createEnterpriseIdp } from '../mocks/idps/enterprise/index.ts';
import { createHomegrownAuth } from '../mocks/idps/homegrown-auth/index.ts';
import { createUpstreamOidc } from '../mocks/idps/oidc/index.ts';
import { createSamlIdp } from '../mocks/idps/saml/index.ts';
import { createWorkloadIssuer } from '../mocks/idps/workload/index.ts';
import type { Defect } from '../reference-server/defects.ts';
import { REFERENCE_FLOW_CLIENTS } from '../reference-server/reference-flows.ts';
import {
  createReferenceSystem,
  REFERENCE_IDP_ORIGINS,
  REFERENCE_ORIGINS,
  REFERENCE_UPSTREAM_CLIENT,
  REFERENCE_USERS,
} from '../reference-server/system.ts';
import { createCimdHost } from './cimd/host.ts';
import { ManualClock } from './clock.ts';
import { createDownstreamObserver } from './downstream.ts';
import { autoLoginDriver } from './login/auto.ts';
import { Network } from './network/network.ts';
import type { SystemUnderTest } from './session.ts';
import { parseTargetFile } from './target.ts';
import { createTokenLab } from './token-lab/index.ts';

export interface EmbeddedOptions {
  /** Deliberate defects to plant (negative tests). */
  defects?: readonly Defect[];
  /** Run against the tenant issuer `https://as.reference.test/t/<tenant>` (RFC 8414 path insertion). */
  tenant?: string;
}

/** Where the harness's own peers of the reference system live in memory. */
export const EMBEDDED_TOKEN_LAB = 'https://token-lab.reference.test';
export const EMBEDDED_DOWNSTREAM = 'https://downstream.reference.test/api';
export const EMBEDDED_WORKLOAD_ISSUER = 'https://workload.reference.test';
export const EMBEDDED_ENTERPRISE_IDP = 'https://idp.enterprise.test';
/** Where the harness hosts Client ID Metadata Documents in memory (canaries sit on special-use IP addresses). */
export const EMBEDDED_CIMD_HOST = 'https://cimd.conformance.test';
/** The identity systems the reference flows bring in (seeds 000, 001, 004), where the reference system expects them. */
export const EMBEDDED_HOMEGROWN_AUTH = REFERENCE_IDP_ORIGINS.homegrown;
export const EMBEDDED_UPSTREAM_OIDC = { issuer: REFERENCE_IDP_ORIGINS.upstreamOidc, ...REFERENCE_UPSTREAM_CLIENT };
export const EMBEDDED_SAML_IDP = REFERENCE_IDP_ORIGINS.saml;
/** The reference clients whose authorizations run through a consent flow (reference-server/reference-flows.ts). */
export const EMBEDDED_FLOW_CLIENTS = REFERENCE_FLOW_CLIENTS;
/** The per-issuer rule the reference RS applies to the token lab (seed 003: trust frameworks demand an assurance level). */
export const EMBEDDED_LAB_CLAIMS = { acr: 'urn:mcp-auth-conformance:loa:2' };

/** The reference system in memory, on https:// origins, with a clock the harness controls. */
export async function embeddedSystemUnderTest(options: EmbeddedOptions = {}): Promise<SystemUnderTest> {
  const clock = new ManualClock(Date.now());
  const runIssuer = options.tenant ? `${REFERENCE_ORIGINS.as}/t/${options.tenant}` : REFERENCE_ORIGINS.as;
  const identity = await identitySystems(runIssuer, clock);
  const system = await createReferenceSystem({
    clock,
    defects: [...(options.defects ?? [])],
    interaction: 'auto-approve',
    extraTrustedIssuers: [{ issuer: EMBEDDED_TOKEN_LAB, requiredClaims: EMBEDDED_LAB_CLAIMS }],
    downstream: { url: EMBEDDED_DOWNSTREAM },
    workloadIssuer: EMBEDDED_WORKLOAD_ISSUER,
    enterpriseIdp: EMBEDDED_ENTERPRISE_IDP,
    byoa: { homegrownAuth: EMBEDDED_HOMEGROWN_AUTH },
    federation: {
      oidc: { ...EMBEDDED_UPSTREAM_OIDC },
      saml: {
        idpEntityId: identity.samlIdp.entityId,
        idpSsoUrl: identity.samlIdp.ssoUrl,
        idpCertificatePem: identity.samlIdp.certificatePem,
      },
    },
    ...(options.tenant ? { tenants: [options.tenant] } : {}),
  });
  const issuer = options.tenant ? `${system.issuer}/t/${options.tenant}` : system.issuer;
  const tokenLab = await createTokenLab({
    issuer: EMBEDDED_TOKEN_LAB,
    audience: system.resource,
    scope: system.scopes.basic,
    clock,
    defaultClaims: EMBEDDED_LAB_CLAIMS,
  });
  const downstream = createDownstreamObserver(EMBEDDED_DOWNSTREAM);
  const workloadIssuer = await createWorkloadIssuer({ issuer: EMBEDDED_WORKLOAD_ISSUER, clock, audience: issuer });
  const enterpriseIdp = await createEnterpriseIdp({
    issuer: EMBEDDED_ENTERPRISE_IDP,
    clock,
    clients: [
      { ...system.clients.enterprise, audiences: { [issuer]: [system.resource] }, scopes: [system.scopes.basic] },
    ],
    users: REFERENCE_USERS.map(({ sub, email }) => ({ sub, email })),
  });
  const network = new Network();
  system.mount(network);
  network.mount(EMBEDDED_TOKEN_LAB, tokenLab.handler);
  network.mount(EMBEDDED_DOWNSTREAM, downstream.handler);
  network.mount(EMBEDDED_WORKLOAD_ISSUER, workloadIssuer.handler);
  network.mount(EMBEDDED_ENTERPRISE_IDP, enterpriseIdp.handler);
  network.mount(EMBEDDED_HOMEGROWN_AUTH, identity.homegrown.handler);
  network.mount(EMBEDDED_UPSTREAM_OIDC.issuer, identity.upstreamOidc.handler);
  network.mount(EMBEDDED_SAML_IDP, identity.samlIdp.handler);
  const cimd = createCimdHost({
    origin: EMBEDDED_CIMD_HOST,
    redirectUri: system.clients.public.redirect_uri,
    observesCanaries: true,
    now: () => clock.now(),
  });
  network.mount(cimd.origin, cimd.handler);
  for (const canary of Object.values(cimd.canaryOrigins)) network.mount(canary, cimd.canaryHandler);
  const target = parseTargetFile({
    name: options.tenant ? `reference system (tenant ${options.tenant})` : 'reference system (embedded)',
    resource: system.resource,
    issuer,
    scopes: { ...system.scopes, elevatedIncludesBasic: true },
    tools: { basic: { name: 'echo', arguments: { message: 'conformance' } }, elevated: 'admin_reset' },
    alternateResource: system.alternateResource,
    redirectUri: system.clients.public.redirect_uri,
    clients: {
      m2m: system.clients.m2m,
      workload: system.clients.workload,
      enterprise: system.clients.enterprise,
      ciba: system.clients.ciba,
      exchange: system.clients.exchange,
    },
    user: system.user,
    login: { mode: 'auto' },
    tokenLab: { issuer: EMBEDDED_TOKEN_LAB, requiredClaims: EMBEDDED_LAB_CLAIMS },
    downstream: { url: EMBEDDED_DOWNSTREAM, tool: 'downstream_report' },
    workloadIssuer: { issuer: EMBEDDED_WORKLOAD_ISSUER },
    enterpriseIdp: { issuer: EMBEDDED_ENTERPRISE_IDP },
    ciba: { loginHint: REFERENCE_USERS[0]!.email, mailbox: system.mailboxUrl },
    byoa: {
      homegrownAuth: EMBEDDED_HOMEGROWN_AUTH,
      flows: {
        signUpOrIn: { clientId: EMBEDDED_FLOW_CLIENTS.signUpOrIn },
        signIn: { clientId: EMBEDDED_FLOW_CLIENTS.signIn },
        signUp: { clientId: EMBEDDED_FLOW_CLIENTS.signUp },
        sessionToken: { clientId: EMBEDDED_FLOW_CLIENTS.sessionToken },
        missingLoginId: { clientId: EMBEDDED_FLOW_CLIENTS.missingLoginId },
        consent: { clientId: EMBEDDED_FLOW_CLIENTS.consent },
        consentOther: { clientId: EMBEDDED_FLOW_CLIENTS.consentOther },
        skipConsent: { clientId: EMBEDDED_FLOW_CLIENTS.skipConsent },
        mfa: { clientId: EMBEDDED_FLOW_CLIENTS.mfa },
      },
    },
    federation: {
      oidc: {
        ...EMBEDDED_UPSTREAM_OIDC,
        redirectUri: federationUrls(issuer).oidcCallback,
        flow: { clientId: EMBEDDED_FLOW_CLIENTS.oidc },
      },
      saml: {
        idp: EMBEDDED_SAML_IDP,
        sp: federationUrls(issuer).samlSp,
        flow: { clientId: EMBEDDED_FLOW_CLIENTS.saml },
      },
    },
  });
  return {
    target,
    network,
    clock,
    tokenLab,
    downstream,
    workloadIssuer,
    enterpriseIdp,
    cimd,
    ...identity,
    login: autoLoginDriver({ network }),
    close: async () => {},
  };
}

/** Where an issuer of the reference AS receives federated logins (the upstream's redirect URI, the SAML SP). */
function federationUrls(issuer: string) {
  return {
    oidcCallback: `${issuer}/federation/oidc/callback`,
    samlSp: {
      entityId: `${issuer}/federation/saml/metadata`,
      acsUrl: `${issuer}/federation/saml/acs`,
      metadataUrl: `${issuer}/federation/saml/metadata`,
    },
  };
}

/**
 * The homegrown identity API, the upstream OpenID provider and the tenant SAML IdP, each knowing the reference AS at
 * the run's issuer (and at the root issuer, which tenants share).
 */
async function identitySystems(runIssuer: string, clock: ManualClock) {
  const issuers = [...new Set([REFERENCE_ORIGINS.as, runIssuer])];
  const homegrown = createHomegrownAuth({ clock });
  const upstreamOidc = await createUpstreamOidc({
    issuer: EMBEDDED_UPSTREAM_OIDC.issuer,
    clock,
    clients: [
      {
        client_id: EMBEDDED_UPSTREAM_OIDC.clientId,
        client_secret: EMBEDDED_UPSTREAM_OIDC.clientSecret,
        redirect_uris: issuers.map((issuer) => federationUrls(issuer).oidcCallback),
      },
    ],
  });
  const samlIdp = await createSamlIdp({
    entityId: `${EMBEDDED_SAML_IDP}/metadata`,
    ssoUrl: `${EMBEDDED_SAML_IDP}/sso`,
    clock,
    serviceProviders: issuers.map((issuer) => {
      const { entityId, acsUrl } = federationUrls(issuer).samlSp;
      return { entityId, acsUrl };
    }),
  });
  return { homegrown, upstreamOidc, samlIdp };
}
