import { decodeJwt, type JSONWebKeySet, type JWK } from 'jose';
import { epochSeconds } from '../../../harness/clock.ts';
import type { ClientRecord, Store, TokenEndpointAuthMethod } from '../../store/index.ts';
import { redirectUriProblem, TOKEN_ENDPOINT_AUTH_METHODS } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { asOAuthError, errorResponse, jsonResponse, NO_STORE, OAuthError, plainTextErrorResponse } from '../errors.ts';
import { JWT_BEARER_GRANT } from '../grants/assertion.ts';
import { CIBA_GRANT, secretDigest } from '../grants/ciba.ts';
import { CLIENT_CREDENTIALS_GRANT } from '../grants/client-credentials.ts';
import { REFRESH_TOKEN_GRANT } from '../grants/refresh-token.ts';
import { TOKEN_EXCHANGE_GRANT } from '../grants/token-exchange.ts';
import { mediaType, randomToken, readBodyText } from '../http.ts';
import { scopesSupported } from '../metadata.ts';

// ── Policy ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** What an operator decides about open registration (RFC 7591 §2 lets the server reject or replace any value). */
export interface RegistrationPolicy {
  /** false: no open registration; the endpoint answers 404 and the metadata leaves out registration_endpoint. */
  enabled: boolean;
  /** RFC 7592 client configuration endpoint for dynamically registered clients. */
  management: boolean;
  /** Scopes a client may register (`scope`); absent, the server's scopes_supported. Others are refused. */
  allowedScopes?: readonly string[];
  /** Larger registration documents are refused with 400 invalid_client_metadata. */
  maxBodyBytes: number;
  /** Upper bound on every list (redirect_uris, contacts, grant_types, …) and on JWKS keys. */
  maxListItems: number;
  /** Upper bound on every string value (names, URIs, scope). */
  maxStringLength: number;
}

export const DEFAULT_REGISTRATION_POLICY: Readonly<RegistrationPolicy> = {
  enabled: true,
  management: true,
  maxBodyBytes: 16 * 1024,
  maxListItems: 20,
  maxStringLength: 2000,
};

/** Per server (keyed by its store, which every issuer of one server shares). */
const policies = new WeakMap<Store, RegistrationPolicy>();

/** Sets the registration policy of the server that owns `store`; fields left out keep their defaults. */
export function configureRegistrationPolicy(store: Store, policy: Partial<RegistrationPolicy>): void {
  policies.set(store, { ...DEFAULT_REGISTRATION_POLICY, ...policy });
}

export function registrationPolicy(ctx: IssuerContext): RegistrationPolicy {
  return policies.get(ctx.store) ?? DEFAULT_REGISTRATION_POLICY;
}

/** RFC 8414 §2: registration_endpoint is published only while open registration is offered. */
export function registrationEnabled(ctx: IssuerContext): boolean {
  return registrationPolicy(ctx).enabled;
}

// ── Registration endpoint ───────────────────────────────────────────────────────────────────────────────────────

type RawMetadata = Record<string, unknown>;

const STRING_FIELDS = [
  'client_name',
  'client_uri',
  'logo_uri',
  'scope',
  'tos_uri',
  'policy_uri',
  'software_id',
  'software_version',
] as const;
type StringField = (typeof STRING_FIELDS)[number];
/** RFC 7591 §2: these name web pages and images shown to users; only http(s) URLs, never javascript: or data:. */
const URL_FIELDS: readonly StringField[] = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri'];
const LIST_FIELDS = ['redirect_uris', 'grant_types', 'response_types', 'contacts'] as const;
const SUPPORTED_RESPONSE_TYPES = new Set(['code']);

/** The metadata a registration (or an RFC 7592 update) sets; everything else on a client is the server's. */
export type ClientMetadataValues = Pick<
  ClientRecord,
  'redirect_uris' | 'token_endpoint_auth_method' | 'grant_types' | 'response_types' | 'application_type'
> &
  Partial<Pick<ClientRecord, StringField | 'contacts' | 'jwks' | 'jwks_uri' | 'backchannel_token_delivery_mode'>>;

/** Every client field a registration or an update may set, so an update can replace them all (RFC 7592 §2.2). */
export const REGISTERED_FIELDS: readonly (keyof ClientRecord)[] = [
  ...STRING_FIELDS,
  ...LIST_FIELDS,
  'token_endpoint_auth_method',
  'application_type',
  'jwks',
  'jwks_uri',
  'backchannel_token_delivery_mode',
  'client_secret',
  'client_secret_expires_at',
];

// RFC 7591 §3: open registration — POST a JSON client metadata document, get 201 with the client information back.
export async function handleRegister(ctx: IssuerContext, request: Request): Promise<Response> {
  try {
    if (!registrationEnabled(ctx)) {
      throw new OAuthError('not_found', 'dynamic client registration is not offered by this server', 404);
    }
    const values = validateClientMetadata(ctx, await readClientMetadata(ctx, request));
    const client: ClientRecord = {
      client_id: ctx.defects.has('dcr-fixed-client-id') ? 'reference-client' : randomToken(18),
      client_id_issued_at: epochSeconds(ctx.clock),
      ...values,
      ...clientSecretFor(ctx, values.token_endpoint_auth_method),
      registeredBy: 'dynamic-registration',
    };
    const credentials = await managementCredentials(ctx, client);
    await ctx.store.clients.save(client);
    const status = ctx.defects.has('dcr-returns-200') ? 200 : 201;
    const headers = ctx.defects.has('dcr-registration-cacheable') ? {} : { ...NO_STORE };
    return jsonResponse(clientInformation(ctx, client, credentials), status, headers);
  } catch (thrown) {
    const error = asOAuthError(thrown);
    // RFC 7591 §3.2.2: errors are 400 JSON {error, error_description}.
    return ctx.defects.has('dcr-errors-as-text') ? plainTextErrorResponse(error, 500) : errorResponse(error);
  }
}

/** RFC 7592 §3: the credentials that manage a registration; the store keeps only the token's digest. */
export interface ManagementCredentials {
  registration_access_token: string;
  registration_client_uri: string;
}

async function managementCredentials(
  ctx: IssuerContext,
  client: ClientRecord,
): Promise<ManagementCredentials | undefined> {
  if (!registrationPolicy(ctx).management) return undefined;
  const token = randomToken(32);
  client.registration_access_token_digest = await secretDigest(token);
  return { registration_access_token: token, registration_client_uri: registrationClientUri(ctx, client.client_id) };
}

export function registrationClientUri(ctx: IssuerContext, clientId: string): string {
  return `${ctx.issuer}/register/${encodeURIComponent(clientId)}`;
}

/** A new secret for methods that use one (RFC 7591 §3.2.1: with client_secret_expires_at, 0 = never). */
export function clientSecretFor(
  ctx: IssuerContext,
  method: TokenEndpointAuthMethod,
): Pick<ClientRecord, 'client_secret' | 'client_secret_expires_at'> {
  if (method !== 'client_secret_basic' && method !== 'client_secret_post') return {};
  const secret = ctx.defects.has('dcr-fixed-client-secret') ? 'reference-client-secret' : randomToken(32);
  return ctx.defects.has('dcr-no-secret-expiry')
    ? { client_secret: secret }
    : { client_secret: secret, client_secret_expires_at: 0 };
}

function invalidMetadata(description: string): OAuthError {
  return new OAuthError('invalid_client_metadata', description);
}

function invalidRedirectUri(description: string): OAuthError {
  return new OAuthError('invalid_redirect_uri', description);
}

/**
 * RFC 7591 §3.1: the request body is a JSON object of client metadata. A body over the policy's size limit is
 * refused as 400 invalid_client_metadata (§3.2.2's status, not 413, so clients read one error format).
 */
export async function readClientMetadata(ctx: IssuerContext, request: Request): Promise<RawMetadata> {
  const type = mediaType(request);
  const limit = ctx.defects.has('dcr-oversized-accepted')
    ? Number.POSITIVE_INFINITY
    : registrationPolicy(ctx).maxBodyBytes;
  const body = async () => {
    try {
      return await readBodyText(request, limit);
    } catch (thrown) {
      throw invalidMetadata(asOAuthError(thrown).description);
    }
  };
  if (type === 'application/x-www-form-urlencoded' && ctx.defects.has('dcr-accepts-form')) {
    return formToMetadata(new URLSearchParams(await body()));
  }
  if (type !== 'application/json') {
    throw new OAuthError('invalid_request', 'send the client metadata as application/json', 415);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await body());
  } catch (thrown) {
    if (thrown instanceof OAuthError) throw thrown;
    throw invalidMetadata('the request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidMetadata('the request body must be a JSON object of client metadata');
  }
  return parsed as RawMetadata;
}

function formToMetadata(form: URLSearchParams): RawMetadata {
  const metadata: RawMetadata = {};
  for (const key of new Set(form.keys())) {
    metadata[key] = (LIST_FIELDS as readonly string[]).includes(key) ? form.getAll(key) : form.get(key);
  }
  return metadata;
}

/** Reads typed values within the policy's bounds; every problem is an RFC 7591 §3.2.2 error. */
class MetadataReader {
  constructor(
    private readonly ctx: IssuerContext,
    private readonly metadata: RawMetadata,
  ) {}

  private get policy(): RegistrationPolicy {
    return registrationPolicy(this.ctx);
  }

  private errorFor(field: string, description: string): OAuthError {
    return field === 'redirect_uris' ? invalidRedirectUri(description) : invalidMetadata(description);
  }

  private checkLength(field: string, value: string): string {
    const { maxStringLength } = this.policy;
    if (value.length > maxStringLength && !this.ctx.defects.has('dcr-unbounded-lists')) {
      throw this.errorFor(field, `${field} values are limited to ${maxStringLength} characters`);
    }
    return value;
  }

  string(field: string): string | undefined {
    const value = this.metadata[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      if (this.ctx.defects.has('dcr-metadata-types-unchecked')) return value as string;
      throw invalidMetadata(`${field} must be a string`);
    }
    return this.checkLength(field, value);
  }

  list(field: string): string[] | undefined {
    const value = this.metadata[field];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      throw this.errorFor(field, `${field} must be an array of strings`);
    }
    const { maxListItems } = this.policy;
    if (value.length > maxListItems && !this.ctx.defects.has('dcr-unbounded-lists')) {
      throw this.errorFor(field, `${field} may hold at most ${maxListItems} entries`);
    }
    for (const item of value) this.checkLength(field, item);
    return [...new Set(value)];
  }
}

/**
 * RFC 7591 §2 and §3.1: validates requested metadata (registration and RFC 7592 §2.2 update alike), applying the
 * defaults for omitted values. Unknown members are ignored (§2).
 */
export function validateClientMetadata(ctx: IssuerContext, raw: RawMetadata): ClientMetadataValues {
  const { defects } = ctx;
  const metadata = { ...raw, ...softwareStatementClaims(ctx, raw) };
  if (defects.has('dcr-rejects-unknown-fields')) rejectUnknownFields(metadata);
  const read = new MetadataReader(ctx, metadata);
  // RFC 7591 §2: defaults for omitted values.
  const grantTypes = read.list('grant_types') ?? ['authorization_code'];
  const responseTypes = read.list('response_types') ?? ['code'];
  const authMethod = read.string('token_endpoint_auth_method') ?? 'client_secret_basic';
  const applicationType = checkApplicationType(ctx, read.string('application_type') ?? 'web');
  const keys = clientKeys(ctx, metadata);
  if (!defects.has('dcr-skips-metadata-validation')) {
    checkAuthMethod(ctx, authMethod, keys);
    checkGrantAndResponseTypes(ctx, grantTypes, responseTypes, authMethod, metadata);
  }
  const values: ClientMetadataValues = {
    redirect_uris: checkRedirectUris(ctx, read.list('redirect_uris'), grantTypes, applicationType),
    token_endpoint_auth_method: authMethod as TokenEndpointAuthMethod,
    grant_types: grantTypes,
    response_types: responseTypes,
    application_type: applicationType,
    ...keys,
  };
  if (grantTypes.includes(CIBA_GRANT)) values.backchannel_token_delivery_mode = 'poll';
  for (const field of STRING_FIELDS) {
    const value = read.string(field);
    if (value === undefined) continue;
    if (URL_FIELDS.includes(field)) checkWebUrl(field, value);
    values[field] = value;
  }
  if (values.scope !== undefined) values.scope = checkScope(ctx, values.scope);
  const contacts = read.list('contacts');
  if (contacts) values.contacts = contacts;
  return values;
}

const KNOWN_FIELDS = new Set<string>([
  ...REGISTERED_FIELDS,
  'software_statement',
  'client_id',
  'registration_access_token',
  'registration_client_uri',
  'client_id_issued_at',
]);

function rejectUnknownFields(metadata: RawMetadata): void {
  const unknown = Object.keys(metadata).filter((field) => !KNOWN_FIELDS.has(field));
  if (unknown.length > 0) throw invalidMetadata(`unsupported client metadata: ${unknown.join(', ')}`);
}

/**
 * RFC 7591 §2.3 and §3.1.1: a software statement is a JWT signed by a software publisher the server trusts; its claims
 * then take precedence over the plain JSON values. This server approves no publisher: a malformed statement is
 * invalid_software_statement, a well-formed one unapproved_software_statement (§3.2.2). Its claims are never applied
 * unverified.
 */
function softwareStatementClaims(ctx: IssuerContext, metadata: RawMetadata): RawMetadata {
  const statement = metadata.software_statement;
  if (statement === undefined) return {};
  const code = (error: string) =>
    ctx.defects.has('dcr-software-statement-wrong-error') ? 'invalid_client_metadata' : error;
  const claims = typeof statement === 'string' ? jwtClaims(statement) : undefined;
  if (!claims)
    throw new OAuthError(code('invalid_software_statement'), 'software_statement must be a JWT (RFC 7591 §2.3)');
  if (ctx.defects.has('dcr-software-statement-unverified')) return claims;
  throw new OAuthError(
    code('unapproved_software_statement'),
    'this server approves no software publisher; register without a software_statement',
  );
}

function jwtClaims(token: string): RawMetadata | undefined {
  try {
    return decodeJwt(token) as RawMetadata;
  } catch {
    return undefined;
  }
}

/**
 * MCP 2026-07-28 (Client Registration, Application Type): OIDC Dynamic Client Registration's `application_type` is
 * "web" (the default) or "native"; the redirect URI rules below depend on it.
 */
function checkApplicationType(ctx: IssuerContext, value: string): 'web' | 'native' {
  if (value === 'web' || value === 'native') return value;
  if (ctx.defects.has('dcr-application-type-unchecked')) return value as 'web';
  throw invalidMetadata(`application_type must be "web" or "native" (got "${value}")`);
}

/** RFC 7591 §2: token_endpoint_auth_method is one this server performs; private_key_jwt needs the client's keys. */
function checkAuthMethod(ctx: IssuerContext, method: string, keys: Partial<ClientMetadataValues>): void {
  if (!(TOKEN_ENDPOINT_AUTH_METHODS as readonly string[]).includes(method)) {
    throw invalidMetadata(
      `token_endpoint_auth_method "${method}" is not supported; use one of ${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')}`,
    );
  }
  const hasKeys = keys.jwks !== undefined || keys.jwks_uri !== undefined;
  if (method === 'private_key_jwt' && !hasKeys && !ctx.defects.has('dcr-private-key-jwt-without-keys')) {
    throw invalidMetadata("private_key_jwt needs the client's public keys: register jwks or jwks_uri");
  }
}

/**
 * RFC 7591 §2: the client's public keys by value (`jwks`) or by reference (`jwks_uri`, https), never both. Private key
 * members are refused: a client never hands out its private key.
 */
function clientKeys(ctx: IssuerContext, metadata: RawMetadata): Pick<ClientMetadataValues, 'jwks' | 'jwks_uri'> {
  const { jwks, jwks_uri: jwksUri } = metadata;
  const present = (value: unknown) => value !== undefined && value !== null;
  if (present(jwks) && present(jwksUri) && !ctx.defects.has('dcr-jwks-and-jwks-uri-accepted')) {
    throw invalidMetadata('jwks and jwks_uri must not both be present (RFC 7591 §2)');
  }
  return {
    ...(present(jwks) ? { jwks: keySet(ctx, jwks) } : {}),
    ...(present(jwksUri) ? { jwks_uri: keySetUrl(ctx, jwksUri) } : {}),
  };
}

function keySet(ctx: IssuerContext, jwks: unknown): JSONWebKeySet {
  const keys = typeof jwks === 'object' && jwks !== null && 'keys' in jwks ? jwks.keys : undefined;
  const acceptsPrivate = ctx.defects.has('dcr-jwks-private-accepted');
  const valid = (key: unknown) => (acceptsPrivate ? isJwk(key) : isPublicJwk(key));
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every(valid)) {
    throw invalidMetadata('jwks must be a JWK Set {"keys": [...]} of public keys');
  }
  if (keys.length > registrationPolicy(ctx).maxListItems) throw invalidMetadata('jwks holds too many keys');
  return { keys };
}

function keySetUrl(ctx: IssuerContext, value: unknown): string {
  const url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined;
  if (!url) throw invalidMetadata('jwks_uri must be an absolute URL');
  if (url.protocol !== 'https:' && !ctx.defects.has('dcr-jwks-uri-any-scheme')) {
    throw invalidMetadata(
      `jwks_uri must use https, got "${url.protocol}" (keys fetched over plain http can be swapped)`,
    );
  }
  if (url.hash) throw invalidMetadata('jwks_uri must not have a fragment');
  return url.href;
}

const PRIVATE_KEY_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

function isJwk(key: unknown): key is JWK {
  return typeof key === 'object' && key !== null && !Array.isArray(key) && typeof (key as JWK).kty === 'string';
}

function isPublicJwk(key: unknown): key is JWK {
  return isJwk(key) && !PRIVATE_KEY_MEMBERS.some((member) => member in key);
}

/** Grants a client may register itself for, and whether they need client authentication (OAuth 2.1 §4.2). */
const REGISTRABLE_GRANTS: ReadonlyMap<string, { confidentialOnly: boolean }> = new Map([
  ['authorization_code', { confidentialOnly: false }],
  [REFRESH_TOKEN_GRANT, { confidentialOnly: false }],
  [CLIENT_CREDENTIALS_GRANT, { confidentialOnly: true }],
  [TOKEN_EXCHANGE_GRANT, { confidentialOnly: true }],
  [CIBA_GRANT, { confidentialOnly: true }],
]);

/** Grants the server supports only with settings an administrator makes (seed 004: trusted issuers). */
const CONFIGURED_ONLY_GRANTS: ReadonlyMap<string, string> = new Map([
  [JWT_BEARER_GRANT, 'needs trusted issuers, which only an administrator configures'],
]);

/**
 * RFC 7591 §2.1: the grant types must be supported and agree with the response types (authorization_code ⇔ code);
 * grants that need client authentication are refused for public clients; CIBA Core §4 registration needs
 * backchannel_token_delivery_mode, of which only poll is offered.
 */
function checkGrantAndResponseTypes(
  ctx: IssuerContext,
  grantTypes: string[],
  responseTypes: string[],
  authMethod: string,
  metadata: RawMetadata,
): void {
  for (const grant of grantTypes) {
    const why = CONFIGURED_ONLY_GRANTS.get(grant);
    if (why) throw invalidMetadata(`grant type "${grant}" cannot be registered dynamically: it ${why}`);
    const rule = REGISTRABLE_GRANTS.get(grant);
    if (!rule) throw invalidMetadata(`grant type "${grant}" is not supported`);
    if (rule.confidentialOnly && authMethod === 'none' && !publicClientsMayUseConfidentialGrants(ctx)) {
      throw invalidMetadata(`grant type "${grant}" is only for clients that authenticate (not "none")`);
    }
  }
  if (grantTypes.includes(CIBA_GRANT) && metadata.backchannel_token_delivery_mode !== 'poll') {
    throw invalidMetadata('the CIBA grant needs backchannel_token_delivery_mode "poll" (the only mode offered)');
  }
  const unsupportedResponse = responseTypes.find((type) => !SUPPORTED_RESPONSE_TYPES.has(type));
  if (unsupportedResponse) throw invalidMetadata(`response type "${unsupportedResponse}" is not supported`);
  if (grantTypes.includes('authorization_code') !== responseTypes.includes('code')) {
    throw invalidMetadata('grant_types "authorization_code" and response_types "code" must be registered together');
  }
}

/** The planted defects that let public clients use grants meant for confidential ones (here and at /token). */
function publicClientsMayUseConfidentialGrants({ defects }: IssuerContext): boolean {
  return defects.has('dcr-public-client-credentials') || defects.has('client-credentials-for-public-clients');
}

/** RFC 7591 §2: redirect-based clients register redirect URIs; OAuth 2.1 §2.3.1 and RFC 8252 §7 judge each. */
function checkRedirectUris(
  { defects }: IssuerContext,
  redirectUris: string[] | undefined,
  grantTypes: string[],
  applicationType: 'web' | 'native',
): string[] {
  const uris = redirectUris ?? [];
  if (uris.length === 0 && grantTypes.includes('authorization_code') && !defects.has('dcr-redirect-optional')) {
    throw invalidRedirectUri('redirect_uris is required for the authorization_code grant');
  }
  // MCP 2026-07-28: native apps (desktop, CLI, localhost) may use private-use schemes; web clients may not.
  const judgedAs = defects.has('dcr-application-type-redirects-ignored') ? 'native' : applicationType;
  for (const uri of uris) {
    if (defects.has('dcr-rejects-loopback-http') && applicationType === 'native' && uri.startsWith('http:')) {
      throw invalidRedirectUri(`"${uri}": http redirect URIs are not accepted`);
    }
    if (defects.has('dcr-accepts-any-redirect')) continue;
    const problem = redirectUriProblem(uri, judgedAs);
    if (problem) throw invalidRedirectUri(problem);
  }
  return uris;
}

function checkWebUrl(field: string, value: string): void {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw invalidMetadata(`${field} must be an absolute http(s) URL`);
  }
}

/**
 * RFC 7591 §2: `scope` is what the client may ask for. The policy's allowed scopes (by default scopes_supported)
 * bound it; other values are refused rather than silently dropped, so the client learns what it cannot have.
 */
function checkScope(ctx: IssuerContext, scope: string): string {
  const requested = [...new Set(scope.split(' ').filter((item) => item !== ''))];
  if (ctx.defects.has('dcr-scope-policy-ignored')) return requested.join(' ');
  const allowed = registrationPolicy(ctx).allowedScopes ?? scopesSupported(ctx);
  const refused = requested.filter((item) => !allowed.includes(item));
  if (refused.length > 0) {
    throw invalidMetadata(`scope ${refused.join(' ')} may not be registered; allowed: ${allowed.join(' ')}`);
  }
  return requested.join(' ');
}

/**
 * RFC 7591 §3.2.1: the response repeats every registered value, including those the server set or replaced;
 * RFC 7592 §3 adds the registration access token and the client configuration URI.
 */
export function clientInformation(
  ctx: IssuerContext,
  client: ClientRecord,
  credentials: ManagementCredentials | undefined,
): Record<string, unknown> {
  const {
    registeredBy: _registeredBy,
    registration_access_token_digest: _digest,
    updated_at: _updatedAt,
    ...information
  } = client;
  const management = managementMembers(ctx, credentials);
  if (!ctx.defects.has('dcr-omits-metadata')) return { ...information, ...management };
  return { client_id: client.client_id, ...(client.client_secret ? { client_secret: client.client_secret } : {}) };
}

function managementMembers(ctx: IssuerContext, credentials: ManagementCredentials | undefined): Record<string, string> {
  if (!credentials) return {};
  // RFC 7592 §3: registration_access_token and registration_client_uri are returned together.
  if (ctx.defects.has('dcr-no-registration-access-token')) {
    return { registration_client_uri: credentials.registration_client_uri };
  }
  return { ...credentials };
}
