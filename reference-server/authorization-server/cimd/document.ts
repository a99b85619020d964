/**
 * CIMD §4.1 and the MCP authorization spec (Client Registration, CIMD implementation requirements): what a fetched
 * document must contain before it becomes a client registration. Only RFC 7591 client metadata is taken over; anything
 * else in the document (including server-side settings such as `skip_consent`) is ignored.
 */
import type { JSONWebKeySet } from 'jose';
import type { ClientRecord, TokenEndpointAuthMethod } from '../../store/index.ts';
import { redirectUriProblem } from '../clients.ts';
import { DocumentRejected } from './fetch.ts';

export const CIMD_REGISTERED_BY = 'client-id-metadata-document' satisfies ClientRecord['registeredBy'];

/** The registration a document yields; the store adds issue time and administrators' own fields. */
export type DocumentClient = Omit<ClientRecord, 'client_id_issued_at'>;

export interface DocumentRules {
  /** Defect switches. */
  acceptMismatchedClientId: boolean;
  acceptSharedSecret: boolean;
}

/** CIMD §4.1: no method built on a shared symmetric secret can be established through a public document. */
const SHARED_SECRET_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt'];
const SECRET_MEMBERS = ['client_secret', 'client_secret_expires_at'];
/** Clients of a document sign in users through redirects: the code grant, and refresh tokens for it. */
const DOCUMENT_GRANT_TYPES = ['authorization_code', 'refresh_token'];
/** JWK members that only a private or symmetric key has (RFC 7518 §6). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const OPTIONAL_TEXT = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'scope', 'software_id', 'software_version'];
const OPTIONAL_URLS = new Set(['client_uri', 'logo_uri', 'tos_uri', 'policy_uri']);

type Document = Record<string, unknown>;

function reject(reason: string): never {
  throw new DocumentRejected(reason);
}

function isObject(value: unknown): value is Document {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(document: Document, name: string): string[] | undefined {
  const value = document[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    reject(`${name} must be an array of strings`);
  }
  return value;
}

/** MCP (Client Registration): the document has at least client_id, client_name and redirect_uris. */
function requiredText(document: Document, name: string): string {
  const value = document[name];
  if (typeof value !== 'string' || value === '') reject(`${name} is required and must be a non-empty string`);
  return value;
}

function applicationType(document: Document, redirectUris: string[]): 'web' | 'native' {
  const given = document.application_type;
  if (given === 'web' || given === 'native') return given;
  if (given !== undefined) reject('application_type must be "web" or "native"');
  return redirectUris.some((uri) => !/^https?:/i.test(uri)) ? 'native' : 'web';
}

/** CIMD §4.5 with RFC 9700: redirect URIs are registered (here: listed) and each is acceptable on its own. */
function redirectUris(document: Document): string[] {
  const uris = stringList(document, 'redirect_uris');
  if (!uris || uris.length === 0) reject('redirect_uris is required and must list at least one URI');
  const type = applicationType(document, uris);
  const problem = uris.map((uri) => redirectUriProblem(uri, type)).find((found) => found !== undefined);
  if (problem) reject(problem);
  return uris;
}

function grantTypes(document: Document): string[] {
  const grants = stringList(document, 'grant_types') ?? ['authorization_code'];
  const unsupported = grants.find((grant) => !DOCUMENT_GRANT_TYPES.includes(grant));
  if (unsupported) reject(`grant type "${unsupported}" is not available to metadata document clients`);
  if (!grants.includes('authorization_code')) reject('grant_types must include authorization_code');
  return grants;
}

/** RFC 7591 §2.1: response type `code` goes with the authorization_code grant, and is the only one offered. */
function responseTypes(document: Document): string[] {
  const types = stringList(document, 'response_types') ?? ['code'];
  if (types.length !== 1 || types[0] !== 'code') reject('response_types must be ["code"]');
  return types;
}

/**
 * CIMD §4.1 and §6.2: `none`, or `private_key_jwt` with public keys in `jwks` or at `jwks_uri`. The default is `none`
 * (not RFC 7591's client_secret_basic, which a document cannot establish).
 */
function authMethod(document: Document, rules: DocumentRules): TokenEndpointAuthMethod {
  const method = document.token_endpoint_auth_method ?? 'none';
  if (typeof method !== 'string') reject('token_endpoint_auth_method must be a string');
  const sharedSecret = SHARED_SECRET_METHODS.includes(method);
  if (sharedSecret && !rules.acceptSharedSecret) {
    reject(`token_endpoint_auth_method "${method}" needs a shared secret, which a public document cannot carry`);
  }
  if (method === 'client_secret_basic' || method === 'client_secret_post') return method;
  if (method !== 'none' && method !== 'private_key_jwt')
    reject(`token_endpoint_auth_method "${method}" is unsupported`);
  return method;
}

function secret(document: Document, method: TokenEndpointAuthMethod, rules: DocumentRules): Partial<ClientRecord> {
  const present = SECRET_MEMBERS.find((name) => document[name] !== undefined);
  if (!rules.acceptSharedSecret) {
    if (present) reject(`${present} must not appear in a client metadata document (CIMD §4.1)`);
    return {};
  }
  if (method === 'none' || method === 'private_key_jwt') return {};
  if (typeof document.client_secret !== 'string') reject(`${method} needs a client_secret`);
  return { client_secret: document.client_secret, client_secret_expires_at: 0 };
}

function publicKeySet(value: unknown, where: string): JSONWebKeySet {
  if (!isObject(value) || !Array.isArray(value.keys) || !value.keys.every(isObject)) {
    reject(`${where} must be a JWK Set: {"keys": [...]}`);
  }
  const keys = value.keys as Document[];
  if (keys.some((key) => PRIVATE_JWK_MEMBERS.some((member) => member in key))) {
    reject(`${where} contains private or symmetric key material`);
  }
  return { keys } as JSONWebKeySet;
}

/** RFC 7591 §2: keys by value or by reference, never both; private_key_jwt needs one of them. */
function keys(document: Document, method: TokenEndpointAuthMethod): Pick<ClientRecord, 'jwks' | 'jwks_uri'> {
  const { jwks, jwks_uri: jwksUri } = document;
  if (jwks !== undefined && jwksUri !== undefined) reject('jwks and jwks_uri must not both be present');
  if (jwksUri !== undefined) {
    if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri) || !jwksUri.startsWith('https://')) {
      reject('jwks_uri must be an https URL');
    }
    return { jwks_uri: jwksUri };
  }
  if (jwks !== undefined) return { jwks: publicKeySet(jwks, 'jwks') };
  if (method === 'private_key_jwt') reject('private_key_jwt needs jwks or jwks_uri');
  return {};
}

function optionalMetadata(document: Document): Partial<ClientRecord> {
  const taken: Record<string, unknown> = {};
  for (const name of OPTIONAL_TEXT) {
    const value = document[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') reject(`${name} must be a string`);
    if (OPTIONAL_URLS.has(name) && !URL.canParse(value)) reject(`${name} must be an absolute URL`);
    taken[name] = value;
  }
  const contacts = stringList(document, 'contacts');
  if (contacts) taken.contacts = contacts;
  return taken as Partial<ClientRecord>;
}

/** A fetched document as a client registration, or DocumentRejected naming the first rule it breaks. */
export function clientFromDocument(url: string, document: unknown, rules: DocumentRules): DocumentClient {
  if (!isObject(document)) reject('the document is not a JSON object');
  const clientId = requiredText(document, 'client_id');
  // CIMD §4.1: simple string comparison (RFC 3986 §6.2.1) with the URL the document was fetched from.
  if (clientId !== url && !rules.acceptMismatchedClientId) {
    reject(`the document's client_id "${clientId}" differs from its URL ${url}`);
  }
  const uris = redirectUris(document);
  const method = authMethod(document, rules);
  return {
    ...optionalMetadata(document),
    client_id: url,
    client_name: requiredText(document, 'client_name'),
    redirect_uris: uris,
    token_endpoint_auth_method: method,
    ...secret(document, method, rules),
    ...keys(document, method),
    grant_types: grantTypes(document),
    response_types: responseTypes(document),
    application_type: applicationType(document, uris),
    registeredBy: CIMD_REGISTERED_BY,
  };
}

/** The key set fetched from a document's jwks_uri, checked like inline keys. */
export function keySetFromJwksUri(body: unknown): JSONWebKeySet {
  return publicKeySet(body, 'the key set at jwks_uri');
}
