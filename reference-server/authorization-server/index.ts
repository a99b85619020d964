import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { Clock } from '../../harness/clock.ts';
import { epochSeconds } from '../../harness/clock.ts';
import type { Fetch, FetchHandler } from '../../harness/network/types.ts';
import { consoleRoutes } from '../console/index.ts';
import { type Defects, NO_DEFECTS } from '../defects.ts';
import type { Flow, OidcConnection, SamlConnection } from '../flows/types.ts';
import { createMemoryStore, type Store } from '../store/index.ts';
import { withClientIdMetadataDocuments } from './cimd/index.ts';
import { fromPreRegistered, type PreRegisteredClient } from './clients.ts';
import {
  type AccessTokenFormat,
  type EnterpriseIdpTrust,
  type IssuerContext,
  issuerContext,
  type Mailer,
  type ReferenceUser,
  type RegisteredResource,
  type ServerContext,
} from './context.ts';
import { handleAgenticIdentities } from './endpoints/admin.ts';
import { adminClientRoutes } from './endpoints/admin-clients.ts';
import { adminUserRoutes } from './endpoints/admin-users.ts';
import { handleAuditTrail } from './endpoints/audit.ts';
import { handleAuthorize } from './endpoints/authorize.ts';
import {
  handleBackchannelAuthentication,
  handleCibaApprovalPage,
  handleCibaApprovalSubmit,
} from './endpoints/backchannel.ts';
import { clientManagementRoutes } from './endpoints/client-management.ts';
import { handleConsentPage, handleConsentSubmit } from './endpoints/consent.ts';
import { federationRoutes } from './endpoints/federation.ts';
import { flowRoutes } from './endpoints/flow.ts';
import { handleIntrospect } from './endpoints/introspect.ts';
import { handleJwks } from './endpoints/jwks.ts';
import { handleLoginPage, handleLoginSubmit } from './endpoints/login.ts';
import { handleAuthorizationServerMetadata, handleOpenIdConfiguration } from './endpoints/metadata.ts';
import { configureRegistrationPolicy, handleRegister, type RegistrationPolicy } from './endpoints/register.ts';
import { handleRevoke } from './endpoints/revoke.ts';
import { handleToken } from './endpoints/token.ts';
import { handleUserinfo } from './endpoints/userinfo.ts';
import { asOAuthError, errorResponse, OAuthError } from './errors.ts';
import { FlowRuns } from './flow-runs.ts';
import { GrantAuthentications } from './grant-authentication.ts';
import { createSigningKeys, type SigningKeys } from './keys.ts';
import { wellKnownPaths } from './metadata.ts';
import type { HttpMethod, RouteSpec } from './routes.ts';

export type { PreRegisteredClient } from './clients.ts';
export type {
  AccessTokenFormat,
  EnterpriseIdpTrust,
  Mailer,
  OutgoingMail,
  ReferenceUser,
  RegisteredResource,
} from './context.ts';
export type { SigningKeys } from './keys.ts';

/** A pre-registered client that may also name its consent flow and skip consent (seed 004 Flows). */
export interface ConfiguredClient extends PreRegisteredClient {
  /** Its users sign in through this flow at /authorize (in both interaction modes). */
  flow_id?: string;
  /** A trusted first-party client: its users are not asked for consent. */
  skip_consent?: boolean;
}

export interface AuthorizationServerOptions {
  /** e.g. 'https://as.reference.test' (no trailing slash). */
  issuer: string;
  /** All time (iat, exp, code and session expiry) comes from it. */
  clock: Clock;
  defects?: Defects;
  interaction?: 'auto-approve' | 'interactive';
  users: ReferenceUser[];
  resources: RegisteredResource[];
  clients?: ConfiguredClient[];
  /** Each adds the path issuer `${issuer}/t/<tenant>`, served by the same handler. */
  tenants?: string[];
  accessTokenTtlSeconds?: number;
  /** Default 'jwt'. Opaque tokens are random 256-bit strings the store resolves; resource servers introspect them. */
  accessTokenFormat?: AccessTokenFormat;
  /** OAuth 2.1 §4.1.2: short, at most 10 minutes. */
  codeTtlSeconds?: number;
  /** Outbound HTTP (trusted issuers' metadata and JWKS, userinfo). Default: the global fetch. */
  fetch?: Fetch;
  /** Where emails go (CIBA approval links). Default: nowhere (CIBA requests then fail to deliver). */
  mailer?: Mailer;
  /** Enterprise IdPs whose ID-JAGs are accepted (enterprise-managed authorization). */
  enterpriseIdps?: EnterpriseIdpTrust[];
  /** Bearer token of the admin API; absent, the admin API refuses everyone. */
  adminToken?: string;
  /** Client ID Metadata Documents: hosts allowed although loopback or private (test rigs only). */
  cimdAllowHosts?: string[];
  /** Client ID Metadata Documents: a CA (PEM) trusted besides the system roots (loopback https test rigs). */
  cimdCa?: string;
  /** RFC 7591 registration policy: on/off, management, allowed scopes, size limits. */
  registration?: Partial<RegistrationPolicy>;
  /** Seed 004 (Flows): consent flows, chosen per client by its `flow_id`. */
  flows?: Flow[];
  /** Upstream OpenID providers and tenant SAML IdPs the flows may federate to. */
  federation?: { oidc?: OidcConnection[]; saml?: SamlConnection[] };
  /** Cookies of the /authorize request flows may read (seed 000: an existing session token, e.g. `corp_session`). */
  flowCookies?: string[];
}

export interface AuthorizationServer {
  /** Serves the root issuer and every tenant issuer. */
  handler: FetchHandler;
  issuer: string;
  /** Root + tenant issuers. */
  issuers: string[];
  store: Store;
  signingKeys: SigningKeys;
}

const TENANT_NAME = /^[A-Za-z0-9_-]+$/;

/** RFC 8414 §2: an issuer is an https URL (http only on loopback here, for local rigs) with no query or fragment. */
function checkIssuer(issuer: string): void {
  const url = URL.canParse(issuer) ? new URL(issuer) : undefined;
  const loopback = url && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
    throw new Error(`issuer must be an https URL (http only on loopback), got "${issuer}"`);
  }
  if (url.search || url.hash || issuer.includes('?') || issuer.includes('#') || issuer.endsWith('/')) {
    throw new Error(`issuer must have no query, fragment or trailing slash, got "${issuer}"`);
  }
}

export async function createAuthorizationServer(options: AuthorizationServerOptions): Promise<AuthorizationServer> {
  checkIssuer(options.issuer);
  const tenants = options.tenants ?? [];
  const badTenant = tenants.find((tenant) => !TENANT_NAME.test(tenant));
  if (badTenant !== undefined) throw new Error(`tenant names use [A-Za-z0-9_-] only, got "${badTenant}"`);
  const memory = createMemoryStore();
  const outbound: Fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const store = {
    ...memory,
    clients: withClientIdMetadataDocuments(memory.clients, {
      fetch: outbound,
      clock: options.clock,
      defects: options.defects ?? NO_DEFECTS,
      ...(options.cimdAllowHosts ? { allowHosts: options.cimdAllowHosts } : {}),
      ...(options.cimdCa ? { ca: options.cimdCa } : {}),
    }),
  };
  if (options.registration) configureRegistrationPolicy(store, options.registration);
  const signingKeys = await createSigningKeys();
  for (const client of options.clients ?? []) {
    await store.clients.save({ ...fromPreRegistered(client, epochSeconds(options.clock)), ...flowSettings(client) });
  }
  const server: ServerContext = {
    clock: options.clock,
    defects: options.defects ?? NO_DEFECTS,
    store,
    keys: signingKeys,
    users: options.users,
    resources: options.resources,
    interaction: options.interaction ?? 'interactive',
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 900,
    accessTokenFormat: options.accessTokenFormat ?? 'jwt',
    codeTtlSeconds: options.codeTtlSeconds ?? 60,
    fetch: outbound,
    mailer: options.mailer ?? undeliverableMail,
    enterpriseIdps: options.enterpriseIdps ?? [],
    adminToken: options.adminToken,
    flows: new Map((options.flows ?? []).map((flow) => [flow.id, flow])),
    federation: options.federation ?? {},
    flowCookies: options.flowCookies ?? [],
    flowRuns: new FlowRuns(),
    grantAuthentications: new GrantAuthentications(),
  };
  const issuers = [options.issuer, ...tenants.map((tenant) => `${options.issuer}/t/${tenant}`)];
  const app = new Hono();
  for (const issuer of issuers) mountIssuer(app, issuerContext(server, issuer));
  app.notFound((c) =>
    errorResponse(new OAuthError('not_found', `nothing is served at ${c.req.method} ${c.req.path}`, 404)),
  );
  app.onError((thrown) => errorResponse(asOAuthError(thrown)));
  const handler: FetchHandler = async (request) => app.fetch(request);
  return { handler, issuer: options.issuer, issuers, store, signingKeys };
}

function flowSettings({ flow_id, skip_consent }: ConfiguredClient) {
  return { ...(flow_id !== undefined ? { flow_id } : {}), ...(skip_consent !== undefined ? { skip_consent } : {}) };
}

const undeliverableMail: Mailer = {
  async send(mail) {
    throw new OAuthError('server_error', `no mailer is configured to reach ${mail.to}`, 500);
  },
};

type Handlers = RouteSpec['handlers'];

/**
 * Machine-facing endpoints answer cross-origin requests (browser-based MCP clients); pages and /authorize do not.
 * Preflights get Hono's CORS answer; other requests the one header it would add (any origin, no credentials), set on
 * the handler's own response so the answer is not rebuilt around it.
 */
const crossOriginPreflight = cors({
  origin: '*',
  allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
  allowHeaders: ['Authorization', 'Content-Type'],
});

function allowAnyOrigin(response: Response): Response {
  try {
    response.headers.set('Access-Control-Allow-Origin', '*');
    return response;
  } catch {
    // A response with immutable headers (one fetched from elsewhere) is copied first.
    const copy = new Response(response.body, response);
    copy.headers.set('Access-Control-Allow-Origin', '*');
    return copy;
  }
}

function route(app: Hono, path: string, handlers: Handlers, options: { crossOrigin?: boolean } = {}): void {
  if (options.crossOrigin) app.options(path, crossOriginPreflight);
  app.all(path, async (c) => {
    const response = await answerRoute(handlers, c.req.raw).catch((thrown) => errorResponse(asOAuthError(thrown)));
    return options.crossOrigin ? allowAnyOrigin(response) : response;
  });
}

async function answerRoute(handlers: Handlers, request: Request): Promise<Response> {
  const head = request.method === 'HEAD';
  const handle = handlers[(head ? 'GET' : request.method) as HttpMethod];
  if (!handle) return methodNotAllowed(request.method, Object.keys(handlers));
  const response = await handle(request);
  return head ? new Response(null, { status: response.status, headers: response.headers }) : response;
}

function methodNotAllowed(method: string, allowed: string[]): Response {
  const error = new OAuthError('invalid_request', `${method} is not allowed here; use ${allowed.join(' or ')}`, 405, {
    Allow: allowed.join(', '),
  });
  return errorResponse(error);
}

/** One issuer's endpoints under its path, and its metadata at the well-known URLs derived from it. */
function mountIssuer(app: Hono, ctx: IssuerContext): void {
  const { oauthAuthorizationServer, openidConfiguration } = wellKnownPaths(ctx);
  const api = { crossOrigin: true };
  for (const path of oauthAuthorizationServer) {
    route(app, path, { GET: () => handleAuthorizationServerMetadata(ctx) }, api);
  }
  for (const path of openidConfiguration) route(app, path, { GET: () => handleOpenIdConfiguration(ctx) }, api);
  const at = (name: string) => `${ctx.path}/${name}`;
  route(app, at('jwks'), { GET: () => handleJwks(ctx) }, api);
  route(app, at('register'), { POST: (request) => handleRegister(ctx, request) }, api);
  route(app, at('token'), { POST: (request) => handleToken(ctx, request) }, api);
  route(app, at('introspect'), { POST: (request) => handleIntrospect(ctx, request) }, api);
  route(app, at('revoke'), { POST: (request) => handleRevoke(ctx, request) }, api);
  route(
    app,
    at('userinfo'),
    { GET: (request) => handleUserinfo(ctx, request), POST: (request) => handleUserinfo(ctx, request) },
    api,
  );
  route(app, at('bc-authorize'), { POST: (request) => handleBackchannelAuthentication(ctx, request) }, api);
  route(app, at('ciba/approve'), {
    GET: (request) => handleCibaApprovalPage(ctx, request),
    POST: (request) => handleCibaApprovalSubmit(ctx, request),
  });
  route(app, at('admin/agentic-identities'), { GET: (request) => handleAgenticIdentities(ctx, request) });
  route(app, at('admin/audit'), { GET: (request) => handleAuditTrail(ctx, request) });
  for (const spec of [
    ...clientManagementRoutes(ctx),
    ...adminClientRoutes(ctx),
    ...adminUserRoutes(ctx),
    ...flowRoutes(ctx),
    ...federationRoutes(ctx),
    ...consoleRoutes(ctx),
  ]) {
    route(app, spec.path, spec.handlers, { crossOrigin: spec.crossOrigin ?? false });
  }
  route(app, at('authorize'), { GET: (request) => handleAuthorize(ctx, request) });
  route(app, at('login'), {
    GET: (request) => handleLoginPage(ctx, request),
    POST: (request) => handleLoginSubmit(ctx, request),
  });
  route(app, at('consent'), {
    GET: (request) => handleConsentPage(ctx, request),
    POST: (request) => handleConsentSubmit(ctx, request),
  });
}
