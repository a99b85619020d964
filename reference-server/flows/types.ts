/** Consent-flow data: a flow is plain JSON chosen per client, interpreted by `engine.ts`. */

import type { Fetch } from '../../harness/network/types.ts';

/** A JSON value; in templates every string leaf may hold `{{path}}` placeholders. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type Scalar = string | number | boolean | null;

/** Conditions are data, never code: each operand that is a string path is read from the flow context. */
export type Condition =
  | { equals: [string, Scalar] }
  | { exists: string }
  | { in: [string, Scalar[]] }
  | { gt: [string, number] }
  | { lt: [string, number] }
  | { and: Condition[] }
  | { or: Condition[] }
  | { not: Condition }
  /** True when the array at the path holds the value, or the string at the path has it as a space-separated item. */
  | { contains: [string, Scalar] };

export type FieldType = 'text' | 'email' | 'password';

export interface FormField {
  name: string;
  type: FieldType;
  required: boolean;
}

interface StepBase {
  id: string;
  /** The step that runs next; defaults to the following step in `steps`. */
  next?: string;
}

export interface ScreenStep extends StepBase {
  kind: 'screen';
  fields: FormField[];
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ConnectorStep extends StepBase {
  kind: 'connector';
  /** The response lands in the context as `connectors.<name>` = {status, body}. */
  name: string;
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  body?: JsonValue;
  timeoutMs: number;
}

/** Maps values (typically connector responses) into `form.*`, e.g. form.email before Generate JWT. */
export interface SetFormStep extends StepBase {
  kind: 'set-form';
  values: Record<string, string>;
}

export interface ConditionStep {
  kind: 'condition';
  id: string;
  if: Condition;
  /** Step ids (not `then`/`else`: a `then` property would make the step a thenable). */
  whenTrue: string;
  whenFalse: string;
}

export type GenerateJwtMode = 'sign-in' | 'sign-up' | 'sign-up-or-in';

export interface GenerateJwtStep extends StepBase {
  kind: 'generate-jwt';
  mode: GenerateJwtMode;
}

export interface UpdateUserStep extends StepBase {
  kind: 'update-user';
  attributes: Record<string, string>;
}

export interface CustomClaimsStep extends StepBase {
  kind: 'custom-claims';
  claims: Record<string, JsonValue>;
}

/** Seed 004 "custom OAuth provider": auth code + PKCE + nonce at an upstream OpenID provider, ID token validated. */
export interface FederateOidcStep extends StepBase {
  kind: 'federate-oidc';
  /** The name of a configured OIDC connection (`FlowDeps.federation.oidc`). */
  connection: string;
  /** Default 'openid email profile'. */
  scope?: string;
}

/** Seed 004 tenant SSO: SP-initiated SAML 2.0, AuthnRequest by HTTP-Redirect, signed Response by HTTP-POST. */
export interface FederateSamlStep extends StepBase {
  kind: 'federate-saml';
  /** The name of a configured SAML connection (`FlowDeps.federation.saml`). */
  connection: string;
}

/** MFA step-up by TOTP (RFC 6238): enrols the user on first use, then asks for a code; sets `amr` and `acr`. */
export interface MfaStep extends StepBase {
  kind: 'mfa';
  method: 'totp';
  /** The `acr` value a successful step-up grants. */
  acr: string;
}

/** Consent to the requested scopes, remembered per user and client; skipped for skip-consent clients. */
export interface ConsentStep extends StepBase {
  kind: 'consent';
}

export interface EndStep {
  kind: 'end';
  id: string;
}

export type Step =
  | ScreenStep
  | ConnectorStep
  | SetFormStep
  | ConditionStep
  | GenerateJwtStep
  | UpdateUserStep
  | CustomClaimsStep
  | FederateOidcStep
  | FederateSamlStep
  | MfaStep
  | ConsentStep
  | EndStep;

export type StepKind = Step['kind'];

/** What a template does when a path is absent from the context. */
export type MissingValuePolicy = 'empty' | 'error';

export interface Flow {
  id: string;
  steps: Step[];
  /** Default 'empty': a missing path renders as "". */
  onMissingValue?: MissingValuePolicy;
}

export interface FlowUser {
  id: string;
  email?: string;
  externalId?: string;
  attributes: Record<string, string>;
}

export interface NewUser {
  email?: string;
  externalId?: string;
}

/** The user store behind Generate JWT and Update User. */
export interface UserDirectory {
  findByEmail(email: string): Promise<FlowUser | undefined>;
  findByExternalId(externalId: string): Promise<FlowUser | undefined>;
  create(user: NewUser): Promise<FlowUser>;
  update(id: string, attributes: Record<string, string>): Promise<FlowUser>;
  /** The user created first; read only by the `generate-jwt-single-user` defect. */
  first?(): Promise<FlowUser | undefined>;
}

/** The authorization request the flow runs for, readable by templates and conditions as `request.*`. */
export interface FlowRequest {
  issuer: string;
  clientId: string;
  /** Space-separated, as requested. */
  scope: string;
  scopes: string[];
  resource: string;
  /** Cookies the browser sent to the authorization server, restricted to the names the flow's deployment allows. */
  cookies: Record<string, string>;
}

/** Consents remembered per user and client (seed 004 Flows: consent). */
export interface ConsentMemory {
  /** The scopes the user already granted the client, or undefined. */
  granted(userId: string, clientId: string): Promise<string[] | undefined>;
  remember(userId: string, clientId: string, scopes: string[]): Promise<void>;
}

/** An upstream OpenID provider the flow federates to (its client registration there, and our callback). */
export interface OidcConnection {
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** This server's callback at which the upstream answers (registered at the upstream as redirect URI). */
  redirectUri: string;
}

/** A SAML identity provider of a tenant, and this server as its service provider. */
export interface SamlConnection {
  name: string;
  idpEntityId: string;
  /** The IdP's SSO endpoint (HTTP-Redirect binding). */
  idpSsoUrl: string;
  /** The IdP's signing certificate (PEM): the only key its assertions are trusted with. */
  idpCertificatePem: string;
  /** This server as SP: its entity ID and Assertion Consumer Service URL (HTTP-POST binding). */
  spEntityId: string;
  acsUrl: string;
}

/** Everything a run needs from the authorization server hosting it. */
export interface FlowDeps {
  fetch: Fetch;
  users: UserDirectory;
  /** Upper bound on executed steps per run; default 100. */
  maxSteps?: number;
  /** Epoch milliseconds (ID token and assertion times, TOTP windows). Default Date.now. */
  now?: () => number;
  request?: FlowRequest;
  consents?: ConsentMemory;
  /** The client skips consent (seed 004: trusted first-party clients). */
  skipConsent?: boolean;
  federation?: { oidc?: OidcConnection[]; saml?: SamlConnection[] };
  /** Single-use identifiers (nonces, SAML assertion IDs, TOTP codes): true only the first time. */
  useOnce?: (id: string, expiresAtMs: number) => Promise<boolean>;
  /**
   * The IDs of the SAML AuthnRequests sent for this browser session (a `Set<string>` kept with the session): a
   * response must answer one of them (InResponseTo). Default: the run's own requests only.
   */
  authnRequests?: { add(id: string): unknown; has(id: string): boolean };
  /** Deliberate defects (negative tests of the suites). */
  defects?: { has(name: string): boolean };
}

export interface ConnectorResponse {
  status: number;
  body: JsonValue;
}

/** Who the upstream (OIDC or SAML) says signed in: readable as `federated.*`. */
export interface FederatedIdentity {
  protocol: 'oidc' | 'saml';
  /** The OIDC issuer or the SAML IdP entity ID. */
  issuer: string;
  /** The ID token `sub` or the SAML NameID. */
  subject: string;
  /** ID token (and userinfo) claims, or SAML attributes (single values as strings). */
  claims: Record<string, JsonValue>;
  /** The key that links the upstream account to a local user: `oidc:<iss>|<sub>` or `saml:<entity>|<NameID>`. */
  externalId: string;
}

/** Everything templates and conditions can read. */
export interface FlowContext {
  form: Record<string, string>;
  connectors: Record<string, ConnectorResponse>;
  user?: FlowUser;
  claims: Record<string, JsonValue>;
  request?: FlowRequest;
  federated?: FederatedIdentity;
}

export interface FlowOutcome {
  user: FlowUser;
  claims: Record<string, JsonValue>;
  /** RFC 8176 methods used, e.g. ['pwd'], ['pwd', 'otp'], ['fed']. */
  amr: string[];
  acr?: string;
  /** The scopes the user consented to (the requested ones unless the flow narrowed them). */
  scope: string;
}

export type FlowState =
  | { status: 'paused'; screen: string; fields: FormField[]; message: string; errors: string[] }
  /**
   * Send the browser to the upstream (OIDC authorization request or SAML AuthnRequest by HTTP-Redirect); the upstream
   * echoes `correlation` back (OIDC `state`, SAML `RelayState`), by which the server finds this run again.
   */
  | { status: 'redirect'; stepId: string; location: string; correlation: string }
  /** TOTP: `enrollment` is present when the user has no authenticator yet (show its otpauth:// URI). */
  | { status: 'mfa'; stepId: string; errors: string[]; enrollment?: { secret: string; uri: string } }
  | { status: 'consent'; stepId: string; scopes: string[] }
  | { status: 'done'; outcome: FlowOutcome }
  /** The user declined consent: the client receives access_denied. */
  | { status: 'denied'; reason: string }
  /** `error`: an OAuth error code for the client (RFC 6749 §4.1.2.1), e.g. an upstream's access_denied passed on. */
  | { status: 'failed'; reason: string; stepId?: string; error?: string };

/** What the browser brings back to a paused run. */
export type FlowInput =
  | { kind: 'screen'; fields: Record<string, unknown> }
  | { kind: 'mfa'; code: string }
  | { kind: 'consent'; approve: boolean }
  /** The upstream's answer at this server's OIDC callback (code, state, iss or error). */
  | { kind: 'oidc-callback'; query: URLSearchParams }
  /** The IdP's POST at the ACS (SAMLResponse, RelayState). */
  | { kind: 'saml-response'; form: URLSearchParams };

/** A flow-level failure with a message a flow author can act on; the run ends in `failed`. */
export class FlowError extends Error {
  override readonly name = 'FlowError';
}

/** A failure the client learns about as an OAuth error (e.g. the upstream's access_denied), not only an error page. */
export class ClientVisibleFlowError extends FlowError {
  constructor(
    message: string,
    readonly error: string,
  ) {
    super(message);
  }
}
