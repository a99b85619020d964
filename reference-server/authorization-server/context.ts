import type { Clock } from '../../harness/clock.ts';
import type { Fetch } from '../../harness/network/types.ts';
import type { Defects } from '../defects.ts';
import type { Flow, OidcConnection, SamlConnection } from '../flows/types.ts';
import type { Store } from '../store/index.ts';
import type { FlowRuns } from './flow-runs.ts';
import type { GrantAuthentications } from './grant-authentication.ts';
import type { SigningKeys } from './keys.ts';

export interface ReferenceUser {
  sub: string;
  username: string;
  password: string;
  email: string;
  name: string;
}

/** RFC 8707 resource indicator and the scopes it understands (the first is the default scope). */
export interface RegisteredResource {
  resource: string;
  scopes: string[];
}

/** RFC 9068 JWTs, or opaque random strings that only introspection (RFC 7662) can resolve. */
export type AccessTokenFormat = 'jwt' | 'opaque';

/** An email the server sends (CIBA approval links, seed 004); the deployment decides where it goes. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** The links in the text, in order (the first is the one to act on). */
  links: string[];
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
}

/** An enterprise IdP whose Identity Assertion JWT Authorization Grants (ID-JAG) this server accepts. */
export interface EnterpriseIdpTrust {
  issuer: string;
  /** Absent: the `jwks_uri` of the IdP's metadata. */
  jwks_uri?: string;
}

/** What every issuer served by one authorization server shares. */
export interface ServerContext {
  clock: Clock;
  defects: Defects;
  store: Store;
  keys: SigningKeys;
  users: readonly ReferenceUser[];
  resources: readonly RegisteredResource[];
  interaction: 'auto-approve' | 'interactive';
  accessTokenTtlSeconds: number;
  accessTokenFormat: AccessTokenFormat;
  codeTtlSeconds: number;
  /** Outbound HTTP: trusted issuers' metadata and JWKS, userinfo endpoints. */
  fetch: Fetch;
  mailer: Mailer;
  enterpriseIdps: readonly EnterpriseIdpTrust[];
  /** The admin API's bearer token; absent, the admin API refuses everyone. */
  adminToken: string | undefined;
  /** Seed 004 (Flows): consent flows by id; a client with `flow_id` goes through its flow at /authorize. */
  flows: ReadonlyMap<string, Flow>;
  /** Upstream OpenID providers and tenant SAML IdPs the flows federate to. */
  federation: { oidc?: OidcConnection[]; saml?: SamlConnection[] };
  /** Cookies of the /authorize request a flow may read (`request.cookies`), e.g. an existing session token. */
  flowCookies: readonly string[];
  /** Flow runs in progress, by transaction and by federation correlation. */
  flowRuns: FlowRuns;
  /** How the users of flow grants signed in: the claims their tokens carry. */
  grantAuthentications: GrantAuthentications;
}

export type EndpointName =
  | 'authorize'
  | 'token'
  | 'register'
  | 'jwks'
  | 'introspect'
  | 'revoke'
  | 'login'
  | 'consent'
  | 'flow'
  | 'federation/oidc/callback'
  | 'federation/saml/acs'
  | 'federation/saml/metadata'
  | 'userinfo'
  | 'bc-authorize'
  | 'ciba/approve'
  | 'admin/agentic-identities'
  | 'admin/audit';

/** One issuer (the root one or a tenant): its identifier, the path its endpoints live under, and the shared parts. */
export interface IssuerContext extends ServerContext {
  issuer: string;
  /** The issuer's path ('' for a host-only issuer, '/t/acme' for a tenant). */
  path: string;
  endpoint(name: EndpointName): string;
  /** True when the issuer is served over TLS, so cookies are marked Secure. */
  secure: boolean;
}

export function issuerContext(server: ServerContext, issuer: string): IssuerContext {
  const path = new URL(issuer).pathname.replace(/\/$/, '');
  return {
    ...server,
    issuer,
    path,
    endpoint: (name) => `${issuer}/${name}`,
    secure: issuer.startsWith('https://'),
  };
}

/** Transactions and sessions both end after this long; OAuth 2.1 §4.1.2 caps code lifetime at ten minutes too. */
export const TRANSACTION_TTL_MS = 10 * 60_000;
export const SESSION_TTL_MS = 8 * 60 * 60_000;
