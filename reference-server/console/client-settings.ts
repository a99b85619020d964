/**
 * Seed 004 (Creating a Client): the settings an administrator gives a client, validated as a whole so that grant
 * types and their settings stay consistent. Problems are RFC 7591 §3.2.2 errors: `invalid_redirect_uri` for redirect
 * URIs, `invalid_client_metadata` for everything else, each naming the field.
 */
import { redirectUriProblem } from '../authorization-server/clients.ts';
import { OAuthError } from '../authorization-server/errors.ts';
import { JWT_BEARER_GRANT } from '../authorization-server/grants/assertion.ts';
import { CIBA_GRANT } from '../authorization-server/grants/ciba.ts';
import { CLIENT_CREDENTIALS_GRANT } from '../authorization-server/grants/client-credentials.ts';
import { ASYMMETRIC_ALGORITHMS } from '../authorization-server/grants/jwt-bearer.ts';
import { REFRESH_TOKEN_GRANT } from '../authorization-server/grants/refresh-token.ts';
import { TOKEN_EXCHANGE_GRANT } from '../authorization-server/grants/token-exchange.ts';
import type {
  ClientRecord,
  ClientSessionSettings,
  TokenEndpointAuthMethod,
  TrustedIssuerConfig,
} from '../store/index.ts';

export const AUTHORIZATION_CODE_GRANT = 'authorization_code';

/** The grant types a client may be given here, with the names the console shows. */
export const GRANT_TYPE_LABELS: Readonly<Record<string, string>> = {
  [AUTHORIZATION_CODE_GRANT]: 'Authorization Code',
  [REFRESH_TOKEN_GRANT]: 'Refresh Token',
  [CLIENT_CREDENTIALS_GRANT]: 'Client Credentials',
  [JWT_BEARER_GRANT]: 'JWT Bearer',
  [CIBA_GRANT]: 'CIBA',
  [TOKEN_EXCHANGE_GRANT]: 'Token Exchange',
};

/** Grants where the client authenticates as itself, so it must be confidential. */
const CONFIDENTIAL_GRANTS = [CLIENT_CREDENTIALS_GRANT, JWT_BEARER_GRANT, CIBA_GRANT, TOKEN_EXCHANGE_GRANT];

export const SETTABLE_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'none',
];

export const TOKEN_FORMATS = ['user-jwt', 'access-key-jwt'] as const;
const SESSION_TTL_FIELDS = [
  'refresh_token_ttl_seconds',
  'session_token_ttl_seconds',
  'access_key_ttl_seconds',
] as const;

/** The fields of the admin API's create and update bodies (PATCH: null resets a field). */
export const EDITABLE_FIELDS = [
  'client_name',
  'description',
  'logo_uri',
  'tags',
  'grant_types',
  'redirect_uris',
  'allowed_tenants',
  'trusted_issuers',
  'ciba_link_expiry_seconds',
  'skip_consent',
  'session_management',
  'token_endpoint_auth_method',
] as const;

/** What annotates a client without changing how it authenticates or what it may do. */
export const ANNOTATION_FIELDS = ['description', 'tags'] as const;

const TRUSTED_ISSUER_FIELDS = ['issuer', 'jwks_uri', 'algorithms', 'userinfo_endpoint', 'login_id_field'] as const;
const TENANT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_NAME_LENGTH = 200;
const MAX_DESCRIPTION_LENGTH = 2000;
const MAX_TAG_LENGTH = 64;
const MAX_TAGS = 50;
const MAX_LIST_ITEMS = 50;
const MAX_URL_LENGTH = 2000;
const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;
const CIBA_LINK_EXPIRY_RANGE = { min: 30, max: 24 * 60 * 60 };

export type RawSettings = Record<string, unknown>;

export interface ClientSettings {
  client_name: string;
  description?: string;
  logo_uri?: string;
  tags: string[];
  grant_types: string[];
  redirect_uris: string[];
  allowed_tenants: string[];
  trusted_issuers: TrustedIssuerConfig[];
  ciba_link_expiry_seconds?: number;
  skip_consent: boolean;
  session_management?: ClientSessionSettings;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
}

/** What about the client being edited decides which settings are possible. */
export interface SettingsContext {
  /** private_key_jwt needs registered keys, which only registration (RFC 7591 jwks / jwks_uri) supplies. */
  hasKeys: boolean;
  /** The application_type to keep unless a private-use redirect scheme makes the client native. */
  applicationType: ClientRecord['application_type'];
}

function invalidMetadata(description: string): OAuthError {
  return new OAuthError('invalid_client_metadata', description);
}

// ── Field readers: null and absent are the same (not set) ───────────────────────────────────────────────────────

function optionalText(raw: RawSettings, field: string, maxLength: number): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidMetadata(`${field} must be a string`);
  const trimmed = value.trim();
  if (trimmed.length > maxLength) throw invalidMetadata(`${field} is at most ${maxLength} characters`);
  return trimmed === '' ? undefined : trimmed;
}

function stringList(raw: RawSettings, field: string, maxItems = MAX_LIST_ITEMS): string[] {
  const value = raw[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw invalidMetadata(`${field} must be an array of strings`);
  }
  const items = [...new Set(value.map((item) => item.trim()).filter((item) => item !== ''))];
  if (items.length > maxItems) throw invalidMetadata(`${field} holds at most ${maxItems} items`);
  return items;
}

function optionalInteger(raw: Record<string, unknown>, field: string, min: number, max: number): number | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidMetadata(`${field} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function optionalBoolean(raw: RawSettings, field: string): boolean {
  const value = raw[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalidMetadata(`${field} must be true or false`);
  return value;
}

function unknownFields(raw: Record<string, unknown>, known: readonly string[], where: string): void {
  const unknown = Object.keys(raw).filter((field) => !known.includes(field));
  if (unknown.length > 0) throw invalidMetadata(`${where} has unknown fields: ${unknown.join(', ')}`);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why a URL the server will call or show may not be used: https, or http on loopback only (local test rigs). */
function webUrlProblem(value: string): string | undefined {
  if (value.length > MAX_URL_LENGTH) return `is longer than ${MAX_URL_LENGTH} characters`;
  if (!URL.canParse(value)) return 'is not an absolute URL';
  const url = new URL(value);
  if (url.hash) return 'must not have a fragment';
  if (url.protocol === 'https:') return undefined;
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  return url.protocol === 'http:' && loopback ? undefined : 'must be https (http only on loopback)';
}

function optionalWebUrl(raw: Record<string, unknown>, field: string, where = field): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalidMetadata(`${where} must be a string`);
  const problem = webUrlProblem(value);
  if (problem) throw invalidMetadata(`${where} "${value}" ${problem}`);
  return value;
}

// ── Sections of the form ────────────────────────────────────────────────────────────────────────────────────────

function tags(raw: RawSettings): string[] {
  return normalizedTags(stringList(raw, 'tags', MAX_TAGS), 'tags');
}

/** Tags are labels for filtering: short, without commas (the `in` operator separates values with commas). */
export function normalizedTags(values: readonly string[], field: string): string[] {
  const items = [...new Set(values.map((tag) => tag.trim()).filter((tag) => tag !== ''))];
  const bad = items.find((tag) => tag.length > MAX_TAG_LENGTH || tag.includes(','));
  if (bad !== undefined)
    throw invalidMetadata(`${field}: "${bad}" must be at most ${MAX_TAG_LENGTH} characters, no commas`);
  return items;
}

function grantTypes(raw: RawSettings): string[] {
  const values = stringList(raw, 'grant_types');
  const unsupported = values.filter((grant) => !(grant in GRANT_TYPE_LABELS));
  if (unsupported.length > 0) {
    throw invalidMetadata(
      `grant_types: ${unsupported.join(', ')} not supported; use ${Object.keys(GRANT_TYPE_LABELS).join(', ')}`,
    );
  }
  if (values.length === 0) throw invalidMetadata('grant_types: enable at least one grant type');
  return values;
}

/** OAuth 2.1 §2.3.1: every redirect URI passes the rules registration applies; a private-use scheme makes it native. */
function redirectUris(raw: RawSettings, applicationType: ClientRecord['application_type']): string[] {
  const uris = stringList(raw, 'redirect_uris');
  for (const uri of uris) {
    const problem = redirectUriProblem(uri, applicationType);
    if (problem) throw new OAuthError('invalid_redirect_uri', `redirect_uris: ${problem}`);
  }
  return uris;
}

function usesPrivateScheme(raw: RawSettings): boolean {
  const value = raw.redirect_uris;
  return (
    Array.isArray(value) &&
    value.some((uri) => typeof uri === 'string' && /^[a-z][a-z0-9+.-]*:/i.test(uri) && !/^https?:/i.test(uri))
  );
}

function allowedTenants(raw: RawSettings): string[] {
  const tenants = stringList(raw, 'allowed_tenants');
  const bad = tenants.find((tenant) => !TENANT_NAME.test(tenant));
  if (bad !== undefined) throw invalidMetadata(`allowed_tenants: "${bad}" is no tenant name ([A-Za-z0-9_-])`);
  return tenants;
}

/** Seed 004 (JWT Bearer): each trusted issuer needs its URL; keys, algorithms and userinfo are optional. */
function trustedIssuers(raw: RawSettings): TrustedIssuerConfig[] {
  const value = raw.trusted_issuers;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidMetadata('trusted_issuers must be an array of objects');
  if (value.length > MAX_LIST_ITEMS) throw invalidMetadata(`trusted_issuers holds at most ${MAX_LIST_ITEMS} issuers`);
  return value.map((item, index) => trustedIssuer(item, `trusted_issuers[${index}]`));
}

function trustedIssuer(item: unknown, where: string): TrustedIssuerConfig {
  if (!isPlainObject(item)) throw invalidMetadata(`${where} must be an object`);
  unknownFields(item, TRUSTED_ISSUER_FIELDS, where);
  const issuer = optionalWebUrl(item, 'issuer', `${where}.issuer`);
  if (!issuer) throw invalidMetadata(`${where}.issuer is required`);
  const jwksUri = optionalWebUrl(item, 'jwks_uri', `${where}.jwks_uri`);
  const userinfo = optionalWebUrl(item, 'userinfo_endpoint', `${where}.userinfo_endpoint`);
  const algorithms = stringList(item, 'algorithms');
  const asymmetric: readonly string[] = ASYMMETRIC_ALGORITHMS;
  const refused = algorithms.filter((alg) => !asymmetric.includes(alg));
  if (refused.length > 0) {
    throw invalidMetadata(`${where}.algorithms: ${refused.join(', ')} refused; use ${asymmetric.join(', ')}`);
  }
  const loginIdField = optionalText(item, 'login_id_field', 100);
  return {
    issuer,
    ...(jwksUri ? { jwks_uri: jwksUri } : {}),
    ...(algorithms.length > 0 ? { algorithms } : {}),
    ...(userinfo ? { userinfo_endpoint: userinfo } : {}),
    ...(loginIdField ? { login_id_field: loginIdField } : {}),
  };
}

/** Seed 004 (Session Management): absent or null = the system settings; otherwise a token format and lifetimes. */
function sessionManagement(raw: RawSettings): ClientSessionSettings | undefined {
  const value = raw.session_management;
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw invalidMetadata('session_management must be an object or null');
  unknownFields(value, ['token_format', ...SESSION_TTL_FIELDS], 'session_management');
  const format = value.token_format;
  if (format !== undefined && format !== null && !TOKEN_FORMATS.some((known) => known === format)) {
    throw invalidMetadata(`session_management.token_format must be ${TOKEN_FORMATS.join(' or ')}`);
  }
  const settings: ClientSessionSettings = {};
  if (format === 'user-jwt' || format === 'access-key-jwt') settings.token_format = format;
  for (const field of SESSION_TTL_FIELDS) {
    const ttl = optionalInteger(value, field, 1, ONE_YEAR_SECONDS);
    if (ttl !== undefined) settings[field] = ttl;
  }
  return settings;
}

function authMethod(raw: RawSettings, hasKeys: boolean): TokenEndpointAuthMethod {
  const value = raw.token_endpoint_auth_method ?? 'client_secret_basic';
  if (value === 'private_key_jwt' && hasKeys) return value;
  const method = SETTABLE_AUTH_METHODS.find((known) => known === value);
  if (!method) {
    throw invalidMetadata(
      `token_endpoint_auth_method must be ${SETTABLE_AUTH_METHODS.join(', ')}${hasKeys ? ' or private_key_jwt' : ''}`,
    );
  }
  return method;
}

/** Each grant's settings need the grant, and grants that need them get them (seed 004, Grant Types). */
function checkGrantConsistency(settings: ClientSettings): void {
  const enabled = (grant: string) => settings.grant_types.includes(grant);
  const needs = (present: boolean, grant: string, field: string) => {
    if (present && !enabled(grant)) throw invalidMetadata(`${field} applies only with the ${grant} grant type`);
  };
  needs(settings.redirect_uris.length > 0, AUTHORIZATION_CODE_GRANT, 'redirect_uris');
  needs(settings.allowed_tenants.length > 0, CLIENT_CREDENTIALS_GRANT, 'allowed_tenants');
  needs(settings.trusted_issuers.length > 0, JWT_BEARER_GRANT, 'trusted_issuers');
  needs(settings.ciba_link_expiry_seconds !== undefined, CIBA_GRANT, 'ciba_link_expiry_seconds');
  if (enabled(AUTHORIZATION_CODE_GRANT) && settings.redirect_uris.length === 0) {
    throw new OAuthError('invalid_redirect_uri', 'redirect_uris: the authorization_code grant needs at least one');
  }
  const machineGrant = settings.grant_types.find((grant) => CONFIDENTIAL_GRANTS.includes(grant));
  if (machineGrant && settings.token_endpoint_auth_method === 'none') {
    throw invalidMetadata(
      `${machineGrant} needs a confidential client: choose a token_endpoint_auth_method other than none`,
    );
  }
}

/** Validates a whole set of settings (create, or the merged result of an update). */
export function validateSettings(raw: RawSettings, context: SettingsContext): ClientSettings {
  unknownFields(raw, EDITABLE_FIELDS, 'the client');
  const clientName = optionalText(raw, 'client_name', MAX_NAME_LENGTH);
  if (!clientName) throw invalidMetadata('client_name is required');
  const description = optionalText(raw, 'description', MAX_DESCRIPTION_LENGTH);
  const logoUri = optionalWebUrl(raw, 'logo_uri');
  const ciba = optionalInteger(raw, 'ciba_link_expiry_seconds', CIBA_LINK_EXPIRY_RANGE.min, CIBA_LINK_EXPIRY_RANGE.max);
  const session = sessionManagement(raw);
  const settings: ClientSettings = {
    client_name: clientName,
    ...(description ? { description } : {}),
    ...(logoUri ? { logo_uri: logoUri } : {}),
    tags: tags(raw),
    grant_types: grantTypes(raw),
    redirect_uris: redirectUris(raw, applicationTypeFor(raw, context)),
    allowed_tenants: allowedTenants(raw),
    trusted_issuers: trustedIssuers(raw),
    ...(ciba !== undefined ? { ciba_link_expiry_seconds: ciba } : {}),
    skip_consent: optionalBoolean(raw, 'skip_consent'),
    ...(session ? { session_management: session } : {}),
    token_endpoint_auth_method: authMethod(raw, context.hasKeys),
  };
  checkGrantConsistency(settings);
  return settings;
}

/** RFC 8252 §7.1: a private-use redirect scheme belongs to a native app. */
export function applicationTypeFor(raw: RawSettings, context: SettingsContext): ClientRecord['application_type'] {
  return usesPrivateScheme(raw) ? 'native' : context.applicationType;
}

/** A client's current settings in the shape the admin API accepts (what an update starts from). */
export function settingsOf(client: ClientRecord): RawSettings {
  return {
    client_name: client.client_name ?? client.client_id,
    ...(client.description ? { description: client.description } : {}),
    ...(client.logo_uri ? { logo_uri: client.logo_uri } : {}),
    tags: [...(client.tags ?? [])],
    grant_types: [...client.grant_types],
    redirect_uris: [...client.redirect_uris],
    allowed_tenants: [...(client.allowed_tenants ?? [])],
    trusted_issuers: structuredClone(client.trusted_issuers ?? []),
    ...(client.ciba_link_expiry_seconds !== undefined
      ? { ciba_link_expiry_seconds: client.ciba_link_expiry_seconds }
      : {}),
    skip_consent: client.skip_consent ?? false,
    ...(client.session_management ? { session_management: { ...client.session_management } } : {}),
    token_endpoint_auth_method: client.token_endpoint_auth_method,
  };
}
