import type { JSONWebKeySet, JWK } from 'jose';
import { epochSeconds } from '../../../harness/clock.ts';
import type { ClientRecord, TokenEndpointAuthMethod } from '../../store/index.ts';
import { redirectUriProblem, TOKEN_ENDPOINT_AUTH_METHODS } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { asOAuthError, errorResponse, jsonResponse, NO_STORE, OAuthError, plainTextErrorResponse } from '../errors.ts';
import { mediaType, randomToken, readBodyText } from '../http.ts';

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
const LIST_FIELDS = ['redirect_uris', 'grant_types', 'response_types', 'contacts'] as const;
const KNOWN_FIELDS = new Set<string>([
  ...STRING_FIELDS,
  ...LIST_FIELDS,
  'token_endpoint_auth_method',
  'application_type',
  'jwks',
]);
const SUPPORTED_GRANT_TYPES = new Set(['authorization_code', 'refresh_token', 'client_credentials']);
const SUPPORTED_RESPONSE_TYPES = new Set(['code']);

// RFC 7591 §3: open registration — POST a JSON client metadata document, get 201 with the client information back.
export async function handleRegister(ctx: IssuerContext, request: Request): Promise<Response> {
  try {
    const requested = await readRegistrationRequest(ctx, request);
    const client = registeredClient(ctx, requested);
    await ctx.store.clients.save(client);
    const status = ctx.defects.has('dcr-returns-200') ? 200 : 201;
    return jsonResponse(clientInformation(ctx, client), status, { ...NO_STORE });
  } catch (thrown) {
    const error = asOAuthError(thrown);
    // RFC 7591 §3.2.2: errors are 400 JSON {error, error_description}.
    return ctx.defects.has('dcr-errors-as-text') ? plainTextErrorResponse(error, 500) : errorResponse(error);
  }
}

function invalidMetadata(description: string): OAuthError {
  return new OAuthError('invalid_client_metadata', description);
}

function invalidRedirectUri(description: string): OAuthError {
  return new OAuthError('invalid_redirect_uri', description);
}

/** RFC 7591 §3.1: the request body is a JSON object of client metadata. */
async function readRegistrationRequest(ctx: IssuerContext, request: Request): Promise<RawMetadata> {
  const type = mediaType(request);
  if (type === 'application/x-www-form-urlencoded' && ctx.defects.has('dcr-accepts-form')) {
    return formToMetadata(new URLSearchParams(await readBodyText(request)));
  }
  if (type !== 'application/json') {
    throw new OAuthError('invalid_request', 'send the client metadata as application/json', 415);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readBodyText(request));
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

function optionalString(metadata: RawMetadata, field: string): string | undefined {
  const value = metadata[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidMetadata(`${field} must be a string`);
  return value;
}

function optionalList(metadata: RawMetadata, field: string): string[] | undefined {
  const value = metadata[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw field === 'redirect_uris'
      ? invalidRedirectUri('redirect_uris must be an array of strings')
      : invalidMetadata(`${field} must be an array of strings`);
  }
  return value;
}

/** Validates the requested metadata and fills in what the server assigns (RFC 7591 §2 defaults, §3.2.1 client_id). */
function registeredClient(ctx: IssuerContext, metadata: RawMetadata): ClientRecord {
  const { defects } = ctx;
  const unknown = Object.keys(metadata).filter((field) => !KNOWN_FIELDS.has(field));
  if (unknown.length > 0 && defects.has('dcr-rejects-unknown-fields')) {
    throw invalidMetadata(`unsupported client metadata: ${unknown.join(', ')}`);
  }
  // RFC 7591 §2: defaults for omitted values.
  const grantTypes = optionalList(metadata, 'grant_types') ?? ['authorization_code'];
  const responseTypes = optionalList(metadata, 'response_types') ?? ['code'];
  const authMethod = optionalString(metadata, 'token_endpoint_auth_method') ?? 'client_secret_basic';
  const applicationType = optionalString(metadata, 'application_type') ?? 'web';
  if (applicationType !== 'web' && applicationType !== 'native') {
    throw invalidMetadata(`application_type must be "web" or "native" (got "${applicationType}")`);
  }
  const jwks = clientKeys(metadata);
  if (!defects.has('dcr-skips-metadata-validation')) {
    checkGrantAndResponseTypes(grantTypes, responseTypes);
    if (authMethod === 'private_key_jwt' && !jwks) {
      throw invalidMetadata("private_key_jwt needs the client's public keys in jwks");
    }
    if (!(TOKEN_ENDPOINT_AUTH_METHODS as readonly string[]).includes(authMethod)) {
      throw invalidMetadata(
        `token_endpoint_auth_method "${authMethod}" is not supported; use one of ${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')}`,
      );
    }
  }
  const redirectUris = checkRedirectUris(ctx, optionalList(metadata, 'redirect_uris'), grantTypes, applicationType);
  const issuesSecret = authMethod === 'client_secret_basic' || authMethod === 'client_secret_post';
  const client: ClientRecord = {
    client_id: defects.has('dcr-fixed-client-id') ? 'reference-client' : randomToken(18),
    client_id_issued_at: epochSeconds(ctx.clock),
    redirect_uris: redirectUris,
    token_endpoint_auth_method: authMethod as TokenEndpointAuthMethod,
    grant_types: grantTypes,
    response_types: responseTypes,
    application_type: applicationType,
    ...(jwks ? { jwks } : {}),
    registeredBy: 'dynamic-registration',
  };
  if (issuesSecret) {
    client.client_secret = randomToken(32);
    if (!defects.has('dcr-no-secret-expiry')) client.client_secret_expires_at = 0;
  }
  for (const field of STRING_FIELDS) {
    const value = optionalString(metadata, field);
    if (value !== undefined) client[field] = value;
  }
  const contacts = optionalList(metadata, 'contacts');
  if (contacts) client.contacts = contacts;
  return client;
}

/**
 * RFC 7591 §2: `jwks` carries the client's public keys by value; private_key_jwt (RFC 7523 §2.2) needs them, since
 * this server fetches no `jwks_uri`. Private key members are refused: a client never hands out its private key.
 */
function clientKeys(metadata: RawMetadata): JSONWebKeySet | undefined {
  if (metadata.jwks_uri !== undefined) throw invalidMetadata('jwks_uri is not supported here; register jwks by value');
  const jwks = metadata.jwks;
  if (jwks === undefined || jwks === null) return undefined;
  const keys = typeof jwks === 'object' && 'keys' in jwks ? jwks.keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every(isPublicJwk)) {
    throw invalidMetadata('jwks must be a JWK Set {"keys": [...]} of public keys');
  }
  return { keys };
}

const PRIVATE_KEY_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

function isPublicJwk(key: unknown): key is JWK {
  if (typeof key !== 'object' || key === null || Array.isArray(key)) return false;
  const members = key as Record<string, unknown>;
  return typeof members.kty === 'string' && !PRIVATE_KEY_MEMBERS.some((member) => member in members);
}

/** RFC 7591 §2.1: the grant types must be supported and agree with the response types (authorization_code ⇔ code). */
function checkGrantAndResponseTypes(grantTypes: string[], responseTypes: string[]): void {
  const unsupportedGrant = grantTypes.find((grant) => !SUPPORTED_GRANT_TYPES.has(grant));
  if (unsupportedGrant) throw invalidMetadata(`grant type "${unsupportedGrant}" is not supported`);
  const unsupportedResponse = responseTypes.find((type) => !SUPPORTED_RESPONSE_TYPES.has(type));
  if (unsupportedResponse) throw invalidMetadata(`response type "${unsupportedResponse}" is not supported`);
  if (grantTypes.includes('authorization_code') !== responseTypes.includes('code')) {
    throw invalidMetadata('grant_types "authorization_code" and response_types "code" must be registered together');
  }
}

/** RFC 7591 §2: clients of redirect-based grants register their redirect URIs, each checked against OAuth 2.1 §2.3.1. */
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
  for (const uri of uris) {
    if (defects.has('dcr-rejects-loopback-http') && applicationType === 'native' && uri.startsWith('http:')) {
      throw invalidRedirectUri(`"${uri}": http redirect URIs are not accepted`);
    }
    if (defects.has('dcr-accepts-any-redirect')) continue;
    const problem = redirectUriProblem(uri, applicationType);
    if (problem) throw invalidRedirectUri(problem);
  }
  return uris;
}

/** RFC 7591 §3.2.1: the response repeats every registered value, including those the server set or replaced. */
function clientInformation(ctx: IssuerContext, client: ClientRecord): Record<string, unknown> {
  const { registeredBy: _, ...information } = client;
  if (!ctx.defects.has('dcr-omits-metadata')) return information;
  return { client_id: client.client_id, ...(client.client_secret ? { client_secret: client.client_secret } : {}) };
}
