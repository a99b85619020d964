import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { type Clock, systemClock } from '../harness/clock.ts';
import type { Network } from '../harness/network/network.ts';
import type { Fetch, FetchHandler } from '../harness/network/types.ts';
import { createHomegrownAuth, type HomegrownAuth } from '../mocks/idps/homegrown-auth/index.ts';
import { createUpstreamOidc, type UpstreamOidc } from '../mocks/idps/oidc/index.ts';
import { createSamlIdp, type SamlIdp } from '../mocks/idps/saml/index.ts';
import { createMailbox, type Mailbox } from '../mocks/mailbox/index.ts';
import {
  type AuthorizationServer,
  type AuthorizationServerOptions,
  createAuthorizationServer,
  type PreRegisteredClient,
  type ReferenceUser,
} from './authorization-server/index.ts';
import { type Defect, Defects } from './defects.ts';
import type { OidcConnection, SamlConnection } from './flows/types.ts';
import {
  REFERENCE_CONNECTIONS,
  REFERENCE_FLOW_CLIENTS,
  REFERENCE_MFA_ACR,
  REFERENCE_SESSION_COOKIE,
  referenceFlows,
} from './reference-flows.ts';
import { createResourceServer, type TrustedIssuer } from './resource-server/index.ts';

export const REFERENCE_ORIGINS = {
  as: 'https://as.reference.test',
  mcp: 'https://mcp.reference.test',
  mail: 'https://mail.reference.test',
};

/** Where the reference system's own identity systems live when it brings them (seeds 000, 001, 004). */
export const REFERENCE_IDP_ORIGINS = {
  homegrown: 'https://auth.homegrown.test',
  upstreamOidc: 'https://idp.upstream.test',
  saml: 'https://idp.tenant.test',
};

/** The reference AS as client of the upstream OpenID provider. */
export const REFERENCE_UPSTREAM_CLIENT = { clientId: 'reference-as', clientSecret: 'reference-as-upstream-secret' };

export const REFERENCE_SCOPES = { basic: 'mcp:tools', elevated: 'mcp:admin' } as const;

/** The demo users; alice is the one the harness logs in as. */
export const REFERENCE_USERS: readonly ReferenceUser[] = [
  { sub: 'user-alice', username: 'alice', password: 'alice-password', email: 'alice@example.test', name: 'Alice' },
  { sub: 'user-bob', username: 'bob', password: 'bob-password', email: 'bob@example.test', name: 'Bob' },
];

export const REFERENCE_REDIRECT_URI = 'http://127.0.0.1:5555/callback';
/** The machine-to-machine client with a shared secret (client_secret_basic). */
export const REFERENCE_M2M_CLIENT = { client_id: 'reference-m2m-client', client_secret: 'reference-m2m-secret' };

export interface ReferenceSystemOptions {
  clock?: Clock;
  defects?: Defects | Defect[];
  interaction?: 'auto-approve' | 'interactive';
  /** Outbound fetch of the MCP server (AS metadata, JWKS, introspection). Default: the mounted network's internalFetch. */
  fetch?: Fetch;
  origins?: {
    as: string;
    mcp: string;
    mail?: string;
    /** Origins of the identity systems the system creates itself (default REFERENCE_IDP_ORIGINS). */
    homegrown?: string;
    upstreamOidc?: string;
    saml?: string;
  };
  tenants?: string[];
  /** Issuers the primary MCP server trusts beyond its AS, each with its own rules (e.g. a test issuer). */
  extraTrustedIssuers?: TrustedIssuer[];
  /**
   * A downstream API (served by someone else): registered as a resource at the AS, called by the tool
   * `downstream_report` with a token exchanged for it (RFC 8693).
   */
  downstream?: { url: string };
  /** Access tokens as RFC 9068 JWTs (default) or opaque strings the MCP server introspects (RFC 7662). */
  accessTokenFormat?: 'jwt' | 'opaque';
  /** A workload identity issuer the JWT bearer client trusts (seed 004), with its userinfo at `<issuer>/userinfo`. */
  workloadIssuer?: string;
  /** An enterprise IdP whose ID-JAGs the AS accepts for the enterprise client. */
  enterpriseIdp?: string;
  /** Client ID Metadata Documents may come from these hosts although loopback or private (test rigs only). */
  cimdAllowHosts?: string[];
  /** A CA (PEM) the AS trusts when fetching Client ID Metadata Documents (loopback https test rigs). */
  cimdCa?: string;
  /** RFC 7591 registration policy of the AS (on/off, allowed scopes, limits). */
  registration?: AuthorizationServerOptions['registration'];
  /** The homegrown identity API the flows call; absent, the system serves its own mock at `origins.homegrown`. */
  byoa?: { homegrownAuth: string };
  /** Upstream IdPs the flows federate to; absent, the system serves its own mocks (OIDC and SAML). */
  federation?: {
    oidc?: { issuer: string; clientId: string; clientSecret: string };
    saml?: { idpEntityId: string; idpSsoUrl: string; idpCertificatePem: string };
  };
}

/** The identity systems a reference system brought itself (absent when the caller supplied its own). */
export interface ReferenceIdentitySystems {
  homegrown?: HomegrownAuth;
  upstreamOidc?: UpstreamOidc;
  saml?: SamlIdp;
}

export interface MachineCredentials {
  client_id: string;
  client_secret: string;
}

export interface ReferenceSystem {
  issuer: string;
  /** The MCP endpoint: `${mcp}/mcp`. */
  resource: string;
  /** A second MCP resource registered on the same AS (`${mcp}/other`), for wrong-audience tests. */
  alternateResource: string;
  scopes: typeof REFERENCE_SCOPES;
  user: { username: string; password: string };
  clients: {
    public: { client_id: string; redirect_uri: string };
    confidential: { client_id: string; client_secret: string; redirect_uri: string };
    /** A machine-to-machine client (client_credentials, OAuth 2.1 §4.2) authenticating with client_secret_basic. */
    m2m: { client_id: string; client_secret: string };
    /** A machine-to-machine client authenticating with private_key_jwt (RFC 7523 §2.2); its ES256 private key. */
    m2mJwt: { client_id: string; privateJwk: JWK };
    /** JWT bearer grant (RFC 7523 §2.1) with trusted issuers; configured only with `workloadIssuer`. */
    workload: MachineCredentials;
    /** ID-JAG redemption (enterprise-managed authorization). */
    enterprise: MachineCredentials;
    /** CIBA, poll mode. */
    ciba: MachineCredentials;
    /** A service that exchanges users' tokens to act for them downstream (RFC 8693). */
    exchange: MachineCredentials;
  };
  /** Where the AS's emails arrive (CIBA approval links); served at `${origins.mail}/messages`. */
  mailbox: Mailbox;
  mailboxUrl: string;
  /** The admin API's bearer token. */
  adminToken: string;
  /** Origin → handler. */
  handlers: Map<string, FetchHandler>;
  /** The mock identity systems this system serves itself (homegrown API, upstream OpenID provider, SAML IdP). */
  idps: ReferenceIdentitySystems;
  /** The public clients whose users go through the reference consent flows. */
  flowClients: typeof REFERENCE_FLOW_CLIENTS;
  authorizationServer: AuthorizationServer;
  clock: Clock;
  /** Mounts every origin on the network and points the MCP server's outbound fetch at `network.internalFetch`. */
  mount(network: Network): void;
}

/** The reference AS and MCP server wired together: correct by default, with deliberate defects on request. */
export async function createReferenceSystem(options: ReferenceSystemOptions = {}): Promise<ReferenceSystem> {
  const clock = options.clock ?? systemClock;
  const defects = Array.isArray(options.defects) ? new Defects(options.defects) : (options.defects ?? new Defects());
  const origins = options.origins ?? REFERENCE_ORIGINS;
  const resource = `${origins.mcp}/mcp`;
  const alternateResource = `${origins.mcp}/other`;
  const scopes = [REFERENCE_SCOPES.basic, REFERENCE_SCOPES.elevated];
  const clients = await referenceClients(options);
  const mailOrigin = origins.mail ?? REFERENCE_ORIGINS.mail;
  const mailbox = createMailbox(clock);
  const adminToken = crypto.randomUUID();
  const asFetch: Fetch = (input, init) => outbound(input, init);
  const resourceServerOwnClient = resourceServerClient();
  const downstreamResources = options.downstream ? [{ resource: options.downstream.url, scopes }] : [];
  const issuers = [origins.as, ...(options.tenants ?? []).map((tenant) => `${origins.as}/t/${tenant}`)];
  const identity = await identitySystems(options, clock, issuers);
  const flows = referenceFlows({
    homegrownAuth: identity.homegrownAuth,
    ...(identity.oidc.length > 0 ? { oidcConnection: REFERENCE_CONNECTIONS.oidc } : {}),
    ...(identity.saml.length > 0 ? { samlConnection: REFERENCE_CONNECTIONS.saml } : {}),
    elevatedScope: REFERENCE_SCOPES.elevated,
    mfaAcr: REFERENCE_MFA_ACR,
    redirectUri: REFERENCE_REDIRECT_URI,
  });

  const authorizationServer = await createAuthorizationServer({
    issuer: origins.as,
    clock,
    defects,
    interaction: options.interaction ?? 'auto-approve',
    users: [...REFERENCE_USERS],
    resources: [{ resource, scopes }, { resource: alternateResource, scopes }, ...downstreamResources],
    clients: [...clients.preRegistered, resourceServerOwnClient, ...flows.clients],
    flows: flows.flows,
    federation: { oidc: identity.oidc, saml: identity.saml },
    flowCookies: [REFERENCE_SESSION_COOKIE],
    ...(options.tenants ? { tenants: options.tenants } : {}),
    ...(options.accessTokenFormat ? { accessTokenFormat: options.accessTokenFormat } : {}),
    fetch: asFetch,
    mailer: mailbox,
    enterpriseIdps: options.enterpriseIdp ? [{ issuer: options.enterpriseIdp }] : [],
    adminToken,
    ...(options.cimdAllowHosts ? { cimdAllowHosts: options.cimdAllowHosts } : {}),
    ...(options.cimdCa ? { cimdCa: options.cimdCa } : {}),
    ...(options.registration ? { registration: options.registration } : {}),
  });

  const handlers = new Map<string, FetchHandler>([
    [new URL(origins.as).origin, authorizationServer.handler],
    [new URL(mailOrigin).origin, mailbox.handler],
    ...identity.handlers,
  ]);
  let outbound: Fetch = options.fetch ?? dispatchTo(handlers);
  const resourceServerFetch: Fetch = (input, init) => outbound(input, init);
  const ownCredentials = {
    client_id: resourceServerOwnClient.client_id,
    client_secret: resourceServerOwnClient.client_secret,
  };
  const shared = {
    authorizationServers: authorizationServer.issuers,
    fetch: resourceServerFetch,
    clock,
    scopes: REFERENCE_SCOPES,
    introspection: ownCredentials,
  };
  const primary = createResourceServer({
    ...shared,
    resource,
    defects,
    trustedIssuers: options.extraTrustedIssuers ?? [],
    ...(options.downstream ? { downstream: { url: options.downstream.url, client: ownCredentials } } : {}),
    resourceName: 'Reference MCP server',
  });
  const alternate = createResourceServer({
    ...shared,
    resource: alternateResource,
    defects: new Defects(),
    resourceName: 'Reference MCP server (other)',
  });
  handlers.set(
    new URL(origins.mcp).origin,
    routeByResourcePath(alternate.resource, alternate.handler, primary.handler),
  );

  return {
    issuer: authorizationServer.issuer,
    resource,
    alternateResource,
    scopes: REFERENCE_SCOPES,
    user: { username: 'alice', password: 'alice-password' },
    clients: clients.described,
    handlers,
    idps: identity.idps,
    flowClients: REFERENCE_FLOW_CLIENTS,
    authorizationServer,
    clock,
    mailbox,
    mailboxUrl: `${new URL(mailOrigin).origin}/messages`,
    adminToken,
    mount(network) {
      for (const [origin, handler] of handlers) network.mount(origin, handler);
      if (!options.fetch) outbound = network.internalFetch;
    },
  };
}

/**
 * The identity systems behind the reference flows: the caller's (byoa, federation), or mocks this system creates and
 * serves itself, each knowing every issuer of the AS (its OIDC callback, its SAML SP).
 */
async function identitySystems(options: ReferenceSystemOptions, clock: Clock, issuers: string[]) {
  const origins = { ...REFERENCE_IDP_ORIGINS, ...options.origins };
  const handlers: [string, FetchHandler][] = [];
  const idps: ReferenceIdentitySystems = {};
  if (!options.byoa) {
    idps.homegrown = createHomegrownAuth({ clock });
    handlers.push([new URL(origins.homegrown).origin, idps.homegrown.handler]);
  }
  const root = issuers[0]!;
  const federation = options.federation ?? (await mockFederation(origins, clock, issuers, idps, handlers));
  const oidc: OidcConnection[] = federation.oidc
    ? [{ name: REFERENCE_CONNECTIONS.oidc, ...federation.oidc, redirectUri: `${root}/federation/oidc/callback` }]
    : [];
  const saml: SamlConnection[] = federation.saml
    ? [
        {
          name: REFERENCE_CONNECTIONS.saml,
          ...federation.saml,
          spEntityId: `${root}/federation/saml/metadata`,
          acsUrl: `${root}/federation/saml/acs`,
        },
      ]
    : [];
  const homegrownAuth = options.byoa?.homegrownAuth ?? new URL(origins.homegrown).origin;
  return { homegrownAuth, oidc, saml, idps, handlers };
}

/** The upstream OpenID provider and the tenant SAML IdP, served by the reference system itself. */
async function mockFederation(
  origins: typeof REFERENCE_IDP_ORIGINS,
  clock: Clock,
  issuers: string[],
  idps: ReferenceIdentitySystems,
  handlers: [string, FetchHandler][],
): Promise<NonNullable<ReferenceSystemOptions['federation']>> {
  const upstreamIssuer = new URL(origins.upstreamOidc).origin;
  const samlBase = new URL(origins.saml).origin;
  // Both generate RSA keys: made side by side.
  const [upstreamOidc, saml] = await Promise.all([
    createUpstreamOidc({
      issuer: upstreamIssuer,
      clock,
      clients: [
        {
          client_id: REFERENCE_UPSTREAM_CLIENT.clientId,
          client_secret: REFERENCE_UPSTREAM_CLIENT.clientSecret,
          redirect_uris: issuers.map((issuer) => `${issuer}/federation/oidc/callback`),
        },
      ],
    }),
    createSamlIdp({
      entityId: `${samlBase}/metadata`,
      ssoUrl: `${samlBase}/sso`,
      clock,
      serviceProviders: issuers.map((issuer) => ({
        entityId: `${issuer}/federation/saml/metadata`,
        acsUrl: `${issuer}/federation/saml/acs`,
      })),
    }),
  ]);
  idps.upstreamOidc = upstreamOidc;
  idps.saml = saml;
  handlers.push([upstreamIssuer, upstreamOidc.handler], [samlBase, saml.handler]);
  return {
    oidc: { issuer: upstreamIssuer, ...REFERENCE_UPSTREAM_CLIENT },
    saml: { idpEntityId: saml.entityId, idpSsoUrl: saml.ssoUrl, idpCertificatePem: saml.certificatePem },
  };
}

async function referenceClients(options: ReferenceSystemOptions) {
  const publicClient: PreRegisteredClient = {
    client_id: 'reference-public-client',
    redirect_uris: [REFERENCE_REDIRECT_URI],
    token_endpoint_auth_method: 'none',
    client_name: 'Reference public client',
  };
  const confidentialClient = {
    client_id: 'reference-confidential-client',
    client_secret: 'reference-confidential-secret',
    redirect_uris: [REFERENCE_REDIRECT_URI],
    token_endpoint_auth_method: 'client_secret_basic',
    client_name: 'Reference confidential client',
  } satisfies PreRegisteredClient;
  const machines = await machineClients();
  const grants = grantClients(options);
  return {
    preRegistered: [publicClient, confidentialClient, ...machines.preRegistered, ...grants.preRegistered],
    described: {
      ...machines.described,
      ...grants.described,
      public: { client_id: publicClient.client_id, redirect_uri: REFERENCE_REDIRECT_URI },
      confidential: {
        client_id: confidentialClient.client_id,
        client_secret: confidentialClient.client_secret,
        redirect_uri: REFERENCE_REDIRECT_URI,
      },
    },
  };
}

/** Machine-to-machine clients (OAuth 2.1 §4.2): one with a shared secret, one signing client assertions (ES256). */
async function machineClients() {
  const secretClient = {
    ...REFERENCE_M2M_CLIENT,
    redirect_uris: [],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    client_name: 'Reference machine client (client_secret_basic)',
  } satisfies PreRegisteredClient;
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = 'reference-m2m-jwt-key';
  const jwtClient: PreRegisteredClient = {
    client_id: 'reference-m2m-jwt-client',
    redirect_uris: [],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] },
    client_name: 'Reference machine client (private_key_jwt)',
  };
  return {
    preRegistered: [secretClient, jwtClient],
    described: {
      m2m: { client_id: secretClient.client_id, client_secret: secretClient.client_secret },
      m2mJwt: { client_id: jwtClient.client_id, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256' } },
    },
  };
}

/** One confidential client (client_secret_basic, no redirect) per grant beyond the code flow (seed 004). */
function grantClients(options: ReferenceSystemOptions) {
  const client = (name: string, grantType: string, settings: PreRegisteredClient['settings'] = {}) => ({
    client_id: `reference-${name}-client`,
    client_secret: `reference-${name}-secret`,
    redirect_uris: [],
    grant_types: [grantType],
    token_endpoint_auth_method: 'client_secret_basic' as const,
    client_name: `Reference ${name} client`,
    settings,
  });
  const workloadIssuer = options.workloadIssuer;
  const workload = client('workload', JWT_BEARER_GRANT, {
    ...(workloadIssuer
      ? {
          trusted_issuers: [
            { issuer: workloadIssuer, userinfo_endpoint: `${workloadIssuer}/userinfo`, login_id_field: 'email' },
          ],
        }
      : {}),
  });
  const enterprise = client('enterprise', JWT_BEARER_GRANT);
  const ciba = client('ciba', 'urn:openid:params:grant-type:ciba', { backchannel_token_delivery_mode: 'poll' });
  const exchange = client('exchange', 'urn:ietf:params:oauth:grant-type:token-exchange');
  const credentials = ({ client_id, client_secret }: { client_id: string; client_secret: string }) => ({
    client_id,
    client_secret,
  });
  return {
    preRegistered: [workload, enterprise, ciba, exchange] satisfies PreRegisteredClient[],
    described: {
      workload: credentials(workload),
      enterprise: credentials(enterprise),
      ciba: credentials(ciba),
      exchange: credentials(exchange),
    },
  };
}

const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * The MCP server's own confidential client: it authenticates at the introspection endpoint (RFC 7662 §2.1) and
 * exchanges callers' tokens for downstream ones (RFC 8693).
 */
function resourceServerClient(): PreRegisteredClient & { client_secret: string } {
  return {
    client_id: 'reference-mcp-server',
    client_secret: crypto.randomUUID(),
    redirect_uris: [],
    grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'],
    token_endpoint_auth_method: 'client_secret_basic',
    client_name: 'Reference MCP server (introspection, token exchange)',
  };
}

/** Requests for the alternate resource and its metadata go to its server; everything else to the primary one. */
function routeByResourcePath(alternateResource: string, alternate: FetchHandler, primary: FetchHandler): FetchHandler {
  const alternatePath = new URL(alternateResource).pathname;
  const alternatePaths = new Set([alternatePath, `/.well-known/oauth-protected-resource${alternatePath}`]);
  return (request) => (alternatePaths.has(new URL(request.url).pathname) ? alternate(request) : primary(request));
}

/** Before a network is mounted, the MCP server reaches the AS in process (else the real network, e.g. `serve`). */
function dispatchTo(handlers: Map<string, FetchHandler>): Fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const handler = handlers.get(new URL(request.url).origin);
    return handler ? handler(request) : globalThis.fetch(request);
  };
}
