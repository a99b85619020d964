import {
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import { type Clock, epochSeconds } from '../../harness/clock.ts';
import type { Fetch } from '../../harness/network/types.ts';
import type { Defects } from '../defects.ts';
import type { ClientRecord, Store, TokenEndpointAuthMethod } from '../store/index.ts';
import { addressProblem, resolveWithDns } from './cimd/address.ts';
import { OAuthError } from './errors.ts';
import { constantTimeEqual, singleParam } from './http.ts';
import { cachedKeySet, fetchKeySet } from './outbound.ts';

export interface PreRegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  /** The public keys of a private_key_jwt client. */
  jwks?: JSONWebKeySet;
  grant_types?: string[];
  client_name?: string;
  /** Seed 004 settings that only configuration (not RFC 7591 registration) sets. */
  settings?: Pick<
    ClientRecord,
    | 'trusted_issuers'
    | 'allowed_tenants'
    | 'session_management'
    | 'backchannel_token_delivery_mode'
    | 'ciba_link_expiry_seconds'
    | 'token_exchange_impersonation'
  >;
}

/** The methods every endpoint that authenticates clients accepts (token, revocation). */
export const SHARED_SECRET_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'none',
  'client_secret_basic',
  'client_secret_post',
];

/** The token endpoint also accepts RFC 7523 §2.2 client assertions signed with a registered key. */
export const TOKEN_ENDPOINT_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  ...SHARED_SECRET_AUTH_METHODS,
  'private_key_jwt',
];

/** Asymmetric algorithms only: `none` proves nothing and HS* would need a secret shared with the server. */
export const CLIENT_ASSERTION_ALGS = ['ES256', 'RS256', 'PS256'] as const;

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export function isConfidential(client: ClientRecord): boolean {
  return client.token_endpoint_auth_method !== 'none';
}

/** Why a client with this method cannot authenticate, or undefined when its credentials are complete. */
function missingCredential(method: TokenEndpointAuthMethod, secret?: string, jwks?: JSONWebKeySet): string | undefined {
  if (method === 'private_key_jwt') return jwks?.keys.length ? undefined : 'private_key_jwt needs jwks';
  if (method !== 'none' && !secret) return `${method} needs a client_secret`;
  return undefined;
}

/** A configured client becomes a registry entry like any other; configuration is trusted, not validated. */
export function fromPreRegistered(client: PreRegisteredClient, issuedAt: number): ClientRecord {
  const missing = missingCredential(client.token_endpoint_auth_method, client.client_secret, client.jwks);
  if (missing) throw new Error(`client ${client.client_id}: ${missing}`);
  const usesCustomScheme = client.redirect_uris.some((uri) => !/^https?:/i.test(uri));
  const grantTypes = client.grant_types ? [...client.grant_types] : ['authorization_code'];
  return {
    client_id: client.client_id,
    ...(client.client_secret ? { client_secret: client.client_secret, client_secret_expires_at: 0 } : {}),
    client_id_issued_at: issuedAt,
    redirect_uris: [...client.redirect_uris],
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    ...(client.jwks ? { jwks: structuredClone(client.jwks) } : {}),
    grant_types: grantTypes,
    response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
    application_type: usesCustomScheme ? 'native' : 'web',
    ...(client.client_name ? { client_name: client.client_name } : {}),
    ...structuredClone(client.settings ?? {}),
    registeredBy: 'configuration',
  };
}

// ── Redirect URIs ───────────────────────────────────────────────────────────────────────────────────────────────

const LOOPBACK_IPS = new Set(['127.0.0.1', '[::1]']);

function isLoopbackIpHost(hostname: string): boolean {
  return LOOPBACK_IPS.has(hostname);
}

function isLoopbackHost(hostname: string): boolean {
  return isLoopbackIpHost(hostname) || hostname === 'localhost';
}

function parseAbsoluteUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * Why a redirect URI may not be registered, or undefined when it may. OAuth 2.1 §2.3.1 and §1.5: absolute, no
 * fragment, https except on loopback; RFC 8252 §7.1: private-use (reverse-domain) schemes only for native apps.
 */
export function redirectUriProblem(uri: string, applicationType: 'web' | 'native'): string | undefined {
  const url = parseAbsoluteUrl(uri);
  if (!url) return `"${uri}" is not an absolute URI`;
  if (uri.includes('#')) return `"${uri}" has a fragment, which redirect URIs must not have`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname)
      ? undefined
      : `"${uri}" uses http on a non-loopback host; use https (http is only for 127.0.0.1, [::1] or localhost)`;
  }
  const scheme = url.protocol.slice(0, -1);
  if (applicationType !== 'native') {
    return `"${uri}" uses the private-use scheme "${scheme}", allowed only with application_type "native"`;
  }
  if (!scheme.includes('.')) return `"${uri}": a private-use scheme must be a reverse domain name (com.example.app)`;
  return undefined;
}

/** True when a redirect URI is an http:// loopback IP URI whose port may vary at request time. */
function isLoopbackIpRedirect(url: URL): boolean {
  return url.protocol === 'http:' && isLoopbackIpHost(url.hostname);
}

function withoutPort(url: URL): string {
  const copy = new URL(url);
  copy.port = '';
  return copy.href;
}

/**
 * OAuth 2.1 §4.1.1: the redirect URI matches a registered one by simple string comparison; for loopback IP redirect
 * URIs (§8.4.2) the port is chosen by the native app at request time, so only the port may differ.
 */
function matchesRegisteredRedirectUri(registered: string, requested: string, defects: Defects): boolean {
  if (registered === requested) return true;
  if (defects.has('redirect-prefix-match') && requested.startsWith(registered)) return true;
  if (defects.has('loopback-port-exact')) return false;
  const registeredUrl = parseAbsoluteUrl(registered);
  const requestedUrl = parseAbsoluteUrl(requested);
  if (!registeredUrl || !requestedUrl || requested.includes('#')) return false;
  if (!isLoopbackIpRedirect(registeredUrl) || !isLoopbackIpRedirect(requestedUrl)) return false;
  return withoutPort(registeredUrl) === withoutPort(requestedUrl);
}

export type RedirectUriResolution = { ok: true; redirectUri: string } | { ok: false; reason: string };

/** OAuth 2.1 §2.3.2: redirect_uri may be left out only by a client with exactly one registered redirect URI. */
export function resolveRedirectUri(
  client: ClientRecord,
  requested: string | undefined,
  defects: Defects,
): RedirectUriResolution {
  if (requested === undefined) {
    const [only, ...others] = client.redirect_uris;
    if (only !== undefined && others.length === 0) return { ok: true, redirectUri: only };
    return { ok: false, reason: 'redirect_uri is required because the client has several registered redirect URIs' };
  }
  // CIMD §4: the redirect_uri must be one the metadata document lists.
  const unlistedAccepted =
    client.registeredBy === 'client-id-metadata-document' && defects.has('cimd-unlisted-redirect-uri-accepted');
  if (
    unlistedAccepted ||
    client.redirect_uris.some((registered) => matchesRegisteredRedirectUri(registered, requested, defects))
  ) {
    return { ok: true, redirectUri: requested };
  }
  return { ok: false, reason: `redirect_uri "${requested}" is not registered for client ${client.client_id}` };
}

// ── Client authentication at the token and introspection endpoints ─────────────────────────────────────────────

export interface AuthenticatedClient {
  client: ClientRecord;
  method: TokenEndpointAuthMethod;
}

interface BasicCredentials {
  clientId: string;
  clientSecret: string;
}

/** RFC 6749 §2.3.1: client_id and secret are form-urlencoded, joined by ':', then base64 encoded. */
function parseBasicCredentials(header: string): BasicCredentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  try {
    const decoded = atob(match[1]!);
    const separator = decoded.indexOf(':');
    if (separator < 0) return undefined;
    const decode = (part: string) => decodeURIComponent(part.replaceAll('+', ' '));
    return { clientId: decode(decoded.slice(0, separator)), clientSecret: decode(decoded.slice(separator + 1)) };
  } catch {
    return undefined;
  }
}

export interface ClientAuthenticationOptions {
  store: Store;
  defects: Defects;
  /** The Basic realm named in WWW-Authenticate when header authentication fails. */
  realm: string;
  /** Introspection accepts only confidential clients. */
  requireConfidential?: boolean;
  /** Where RFC 7523 client assertions are accepted: what their `aud` may name, and the clock judging `exp`. */
  assertions?: ClientAssertionOptions;
}

export interface ClientAssertionOptions {
  /** The issuer identifier and the URL of the endpoint the assertion is sent to (RFC 7523 §3 item 3). */
  audiences: readonly string[];
  clock: Clock;
  /** Fetches the keys of clients registered with a `jwks_uri` (RFC 7591 §2); without it only `jwks` is used. */
  fetch?: Fetch;
}

/**
 * RFC 6749 §2.3 and OAuth 2.1 §3.2.1: confidential clients authenticate with exactly one method, the one they
 * registered; public clients identify themselves with client_id. A failure is 401 invalid_client, with a
 * WWW-Authenticate challenge when the Authorization header was used (RFC 6749 §5.2).
 */
export async function authenticateClient(
  request: Request,
  form: URLSearchParams,
  options: ClientAuthenticationOptions,
): Promise<AuthenticatedClient> {
  const header = request.headers.get('authorization');
  const bodyClientId = singleParam(form, 'client_id');
  const bodySecret = singleParam(form, 'client_secret');
  if (form.has('client_assertion') || form.has('client_assertion_type')) {
    if (header !== null || bodySecret !== undefined) {
      throw new OAuthError('invalid_request', 'use one client authentication method, not a client assertion and more');
    }
    return authenticateWithAssertion(form, bodyClientId, options);
  }
  if (header !== null) {
    if (bodySecret !== undefined) {
      throw new OAuthError('invalid_request', 'use one client authentication method, not both Basic and client_secret');
    }
    const failure = headerAuthenticationFailure(options);
    const credentials = parseBasicCredentials(header);
    if (!credentials) throw failure('the Authorization header is not valid HTTP Basic credentials');
    if (bodyClientId !== undefined && bodyClientId !== credentials.clientId) {
      throw failure('client_id in the body differs from the one in the Authorization header');
    }
    const client = await options.store.clients.get(credentials.clientId);
    if (!client || !secretMatches(client, credentials.clientSecret)) throw failure('client authentication failed');
    if (client.token_endpoint_auth_method !== 'client_secret_basic') {
      throw failure(`client registered ${client.token_endpoint_auth_method}, not client_secret_basic`);
    }
    return { client, method: 'client_secret_basic' };
  }
  if (bodyClientId === undefined) throw invalidClient('no client authentication and no client_id were sent');
  const client = await options.store.clients.get(bodyClientId);
  if (!client) throw invalidClient(`unknown client ${bodyClientId}`);
  if (bodySecret !== undefined) {
    if (!secretMatches(client, bodySecret)) throw invalidClient('client authentication failed');
    if (client.token_endpoint_auth_method !== 'client_secret_post') {
      throw invalidClient(`client registered ${client.token_endpoint_auth_method}, not client_secret_post`);
    }
    return { client, method: 'client_secret_post' };
  }
  if (options.requireConfidential) throw invalidClient('only authenticated confidential clients may call this');
  if (isConfidential(client) && !options.defects.has('confidential-auth-skipped')) {
    throw invalidClient(`client ${client.client_id} is confidential and must authenticate`);
  }
  return { client, method: 'none' };
}

function secretMatches(client: ClientRecord, secret: string): boolean {
  return client.client_secret !== undefined && constantTimeEqual(client.client_secret, secret);
}

function invalidClient(description: string): OAuthError {
  return new OAuthError('invalid_client', description, 401);
}

function headerAuthenticationFailure({ defects, realm }: ClientAuthenticationOptions) {
  return (description: string): OAuthError =>
    defects.has('invalid-client-400')
      ? new OAuthError('invalid_client', description, 400)
      : new OAuthError('invalid_client', description, 401, { 'WWW-Authenticate': `Basic realm="${realm}"` });
}

// ── private_key_jwt: RFC 7523 client assertions ─────────────────────────────────────────────────────────────────

/**
 * RFC 7523 §2.2: `client_assertion_type` is the JWT bearer type and `client_assertion` exactly one JWT, signed with a
 * key the client registered; §3 lists the claims it must carry. Any failure is 401 invalid_client (§3.1).
 */
async function authenticateWithAssertion(
  form: URLSearchParams,
  bodyClientId: string | undefined,
  { store, defects, assertions }: ClientAuthenticationOptions,
): Promise<AuthenticatedClient> {
  if (!assertions) throw invalidClient('client assertions are not accepted at this endpoint');
  const type = singleParam(form, 'client_assertion_type');
  if (type !== CLIENT_ASSERTION_TYPE) throw invalidClient(`client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
  const assertion = singleParam(form, 'client_assertion');
  if (!assertion) throw invalidClient('client_assertion is required with client_assertion_type');
  const clientId = unverifiedClaims(assertion).sub;
  if (typeof clientId !== 'string') throw invalidClient('the client assertion has no sub (the client_id)');
  // §3 item 2: sub is the client_id; client_id in the body, when sent, names the same client.
  if (bodyClientId !== undefined && bodyClientId !== clientId) {
    throw invalidClient('client_id differs from the sub of the client assertion');
  }
  const client = await store.clients.get(clientId);
  if (client?.token_endpoint_auth_method !== 'private_key_jwt' || !(client.jwks || client.jwks_uri)) {
    throw invalidClient(`client ${clientId} is not registered for private_key_jwt`);
  }
  const keys = client.jwks ?? (await registeredKeys(store, client.jwks_uri!, assertion, assertions));
  const claims = await verifiedClaims(assertion, keys, defects);
  checkAssertionClaims(claims, clientId, assertions, defects);
  await checkAssertionNotReplayed(store, claims, clientId, epochSeconds(assertions.clock), defects);
  return { client, method: 'private_key_jwt' };
}

const CLIENT_KEYS_MAX_AGE_MS = 10 * 60_000;
const CLIENT_KEYS_REFETCH_COOLDOWN_MS = 30_000;

/**
 * RFC 7591 §2 `jwks_uri`: the client's key set, fetched (bounded in time and size) and cached per server, fetched
 * again for an assertion whose `kid` it lacks (key rotation).
 */
async function registeredKeys(
  store: Store,
  jwksUri: string,
  assertion: string,
  { fetch, clock }: ClientAssertionOptions,
): Promise<JSONWebKeySet> {
  if (!fetch) throw invalidClient('keys registered by jwks_uri cannot be fetched here');
  const load = async () => {
    // The URL is the client's choice: the same special-use address rule as for metadata documents (SSRF).
    const blocked = URL.canParse(jwksUri)
      ? await addressProblem(new URL(jwksUri), { allowHosts: [], resolve: resolveWithDns, unchecked: false })
      : 'not a URL';
    if (blocked) throw invalidClient(`the client's jwks_uri ${jwksUri} is not fetched: ${blocked}`);
    return fetchKeySet(fetch, jwksUri);
  };
  const lookup = { now: clock.now(), kid: assertionKid(assertion), load };
  const limits = { maxAgeMs: CLIENT_KEYS_MAX_AGE_MS, cooldownMs: CLIENT_KEYS_REFETCH_COOLDOWN_MS };
  return cachedKeySet(store, `client-jwks ${jwksUri}`, { ...lookup, ...limits }).catch((thrown: unknown) => {
    if (thrown instanceof OAuthError) throw thrown;
    throw invalidClient(`the client's jwks_uri gave no key set (${(thrown as Error).message})`);
  });
}

function assertionKid(assertion: string): string | undefined {
  try {
    const { kid } = decodeProtectedHeader(assertion);
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

function unverifiedClaims(assertion: string): JWTPayload {
  try {
    return decodeJwt(assertion);
  } catch {
    throw invalidClient('client_assertion is not a JWT');
  }
}

function assertionAlgorithm(assertion: string): string | undefined {
  try {
    return decodeProtectedHeader(assertion).alg;
  } catch {
    throw invalidClient('the client assertion header is not valid JSON');
  }
}

/** RFC 7523 §3 item 9: the signature verifies with a registered key, under an allowed asymmetric algorithm. */
async function verifiedClaims(assertion: string, jwks: JSONWebKeySet, defects: Defects): Promise<JWTPayload> {
  if (defects.has('client-assertion-unsigned')) return unverifiedClaims(assertion);
  const alg = assertionAlgorithm(assertion);
  if (!CLIENT_ASSERTION_ALGS.some((allowed) => allowed === alg)) {
    throw invalidClient(`client assertions must be signed with ${CLIENT_ASSERTION_ALGS.join(', ')}, not ${alg}`);
  }
  try {
    await compactVerify(assertion, createLocalJWKSet(jwks), { algorithms: [...CLIENT_ASSERTION_ALGS] });
  } catch {
    throw invalidClient('the client assertion signature does not verify with any registered key');
  }
  return unverifiedClaims(assertion);
}

/** RFC 7523 §3 items 1-5 and 7: iss = sub, aud names this server, exp is ahead, nbf has passed, a jti is present. */
function checkAssertionClaims(
  claims: JWTPayload,
  clientId: string,
  { audiences, clock }: ClientAssertionOptions,
  defects: Defects,
): void {
  if (claims.iss !== clientId) throw invalidClient('the client assertion iss must be the client_id');
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const forThisServer = audience.some((value) => value !== undefined && audiences.includes(value));
  if (!forThisServer && !defects.has('client-assertion-audience-unchecked')) {
    throw invalidClient(`the client assertion aud must name this server (${audiences.join(' or ')})`);
  }
  const now = epochSeconds(clock);
  if (typeof claims.exp !== 'number') throw invalidClient('the client assertion has no exp');
  if (claims.exp <= now && !defects.has('client-assertion-expiry-unchecked')) {
    throw invalidClient('the client assertion has expired');
  }
  if (typeof claims.nbf === 'number' && claims.nbf > now) throw invalidClient('the client assertion is not valid yet');
  if (typeof claims.jti !== 'string' || claims.jti === '') throw invalidClient('the client assertion has no jti');
}

/** RFC 7523 §3 item 7: each jti is accepted once, and remembered until its assertion expires. */
async function checkAssertionNotReplayed(
  store: Store,
  claims: JWTPayload,
  clientId: string,
  now: number,
  defects: Defects,
): Promise<void> {
  const fresh = await store.assertionIds.use(`${clientId} ${claims.jti}`, Math.max(claims.exp ?? now, now + 1), now);
  if (!fresh && !defects.has('client-assertion-replay')) {
    throw invalidClient('the client assertion was already used (its jti was seen before)');
  }
}
