import type { Defects } from '../defects.ts';
import type { ClientRecord, Store, TokenEndpointAuthMethod } from '../store/index.ts';
import { OAuthError } from './errors.ts';
import { constantTimeEqual, singleParam } from './http.ts';

export interface PreRegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  grant_types?: string[];
  client_name?: string;
}

export const TOKEN_ENDPOINT_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'none',
  'client_secret_basic',
  'client_secret_post',
];

export function isConfidential(client: ClientRecord): boolean {
  return client.token_endpoint_auth_method !== 'none';
}

/** A configured client becomes a registry entry like any other; configuration is trusted, not validated. */
export function fromPreRegistered(client: PreRegisteredClient, issuedAt: number): ClientRecord {
  if (client.token_endpoint_auth_method !== 'none' && !client.client_secret) {
    throw new Error(`client ${client.client_id}: ${client.token_endpoint_auth_method} needs a client_secret`);
  }
  const usesCustomScheme = client.redirect_uris.some((uri) => !/^https?:/i.test(uri));
  return {
    client_id: client.client_id,
    ...(client.client_secret ? { client_secret: client.client_secret, client_secret_expires_at: 0 } : {}),
    client_id_issued_at: issuedAt,
    redirect_uris: [...client.redirect_uris],
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    grant_types: client.grant_types ? [...client.grant_types] : ['authorization_code'],
    response_types: ['code'],
    application_type: usesCustomScheme ? 'native' : 'web',
    ...(client.client_name ? { client_name: client.client_name } : {}),
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
  if (client.redirect_uris.some((registered) => matchesRegisteredRedirectUri(registered, requested, defects))) {
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
