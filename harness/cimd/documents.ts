import type { JWK } from 'jose';

/**
 * The Client ID Metadata Documents the harness hosts (draft-ietf-oauth-client-id-metadata-document): good ones a
 * conforming AS accepts, and hostile ones each breaking one rule of the draft.
 */
export type CimdDocumentKind =
  /** A public client (`none`) listing the target's redirect URI. */
  | 'public'
  /** A confidential client authenticating with private_key_jwt, its public key inline as `jwks` (CIMD §6.2). */
  | 'private-key-jwt'
  /** `client_id` names another URL (CIMD §4.1: it must equal the document URL). */
  | 'client-id-mismatch'
  /** A 302 to a good document whose client_id is this URL (CIMD §4: redirects are not followed). */
  | 'redirect'
  /** A 302 to a good document on a private IP address (CIMD §4 and §6 SSRF). */
  | 'redirect-to-private'
  /** A good document padded beyond the recommended 5 KB (CIMD §6 size limit). */
  | 'oversized'
  /** An HTML page (text/html), not JSON. */
  | 'not-json'
  /** The good document's JSON served as text/html. */
  | 'json-as-html'
  /** The good document's body with HTTP 404 (CIMD §4: only 200 is success). */
  | 'status-404'
  /** HTTP 500 with an error body: unusable whatever the AS makes of the status. */
  | 'status-500'
  /** A good document with `Cache-Control: max-age=60` (CIMD §4.4). */
  | 'cache-max-age'
  /** A good document with `Cache-Control: no-store` (CIMD §4.4). */
  | 'no-store'
  /** A client_secret_basic client with a client_secret (CIMD §4.1: no shared secrets). */
  | 'shared-secret'
  /** A good document that does not list the target's redirect URI (CIMD §4.5). */
  | 'unlisted-redirect-uri'
  /** A good document lacking `redirect_uris` (required by the MCP authorization spec). */
  | 'missing-redirect-uris'
  /** A document claiming its URL plus a fragment as client_id (CIMD §3: client_id URLs have no fragment). */
  | 'fragment-client-id'
  /** A good document on a private IP address (10.0.0.0/8, RFC 1918): fetching it at all is the violation. */
  | 'private-address'
  /** A good document on the link-local cloud metadata address 169.254.169.254 (RFC 3927). */
  | 'link-local-address';

export const CIMD_DOCUMENT_KINDS: readonly CimdDocumentKind[] = [
  'public',
  'private-key-jwt',
  'client-id-mismatch',
  'redirect',
  'redirect-to-private',
  'oversized',
  'not-json',
  'json-as-html',
  'status-404',
  'status-500',
  'cache-max-age',
  'no-store',
  'shared-secret',
  'unlisted-redirect-uri',
  'missing-redirect-uris',
  'fragment-client-id',
  'private-address',
  'link-local-address',
];

/** Kinds whose document lives on a canary origin (a special-use IP address) instead of the document host. */
export const CANARY_KINDS = {
  'private-address': 'private',
  'link-local-address': 'linkLocal',
} as const satisfies Partial<Record<CimdDocumentKind, string>>;

/** The client_id a document of `kind` at `url` claims, and the one the harness sends for it. */
export function claimedClientId(kind: CimdDocumentKind, url: string): string {
  return kind === 'fragment-client-id' ? `${url}#client` : url;
}

/** A redirect URI no client is ever sent to: listed instead of the target's by `unlisted-redirect-uri`. */
export const UNLISTED_ELSEWHERE_REDIRECT_URI = 'https://elsewhere.conformance.test/callback';

/** The recommended maximum document size (CIMD §6): the `oversized` document is padded well past it. */
export const RECOMMENDED_MAX_DOCUMENT_BYTES = 5 * 1024;
const OVERSIZED_BYTES = 8 * 1024;
/** The lifetime the `cache-max-age` document gives itself. */
export const CACHE_MAX_AGE_SECONDS = 60;

export interface DocumentFacts {
  kind: CimdDocumentKind;
  /** The URL the document is served at: the client_id a conforming document carries. */
  url: string;
  redirectUri: string;
  /** The public key of a private_key_jwt client. */
  publicJwk?: JWK;
}

/** The JSON metadata of `kind` at `url` (for `redirect`, the document served where it points). */
export function clientMetadata({ kind, url, redirectUri, publicJwk }: DocumentFacts): Record<string, unknown> {
  const base: Record<string, unknown> = {
    client_id: claimedClientId(kind, url),
    client_name: `mcp-auth-conformance CIMD client (${kind})`,
    client_uri: new URL(url).origin,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
  switch (kind) {
    case 'private-key-jwt':
      return { ...base, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: publicJwk ? [publicJwk] : [] } };
    case 'client-id-mismatch':
      return { ...base, client_id: `${url}-other` };
    case 'shared-secret':
      return {
        ...base,
        token_endpoint_auth_method: 'client_secret_basic',
        client_secret: 'hosted-in-a-public-document',
        client_secret_expires_at: 0,
      };
    case 'unlisted-redirect-uri':
      return { ...base, redirect_uris: [UNLISTED_ELSEWHERE_REDIRECT_URI] };
    case 'missing-redirect-uris': {
      const { redirect_uris: _omitted, ...rest } = base;
      return rest;
    }
    case 'oversized':
      return { ...base, x_padding: 'x'.repeat(OVERSIZED_BYTES) };
    default:
      return base;
  }
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** The HTTP response for a document of `kind` (not `redirect*`: those are answered by the host, which knows paths). */
export function documentResponse(facts: DocumentFacts): Response {
  const body = JSON.stringify(clientMetadata(facts));
  switch (facts.kind) {
    case 'not-json':
      return new Response(`<!doctype html><title>Client</title><p>client_id: ${facts.url}</p>`, {
        headers: { 'content-type': 'text/html; charset=utf-8' },
      });
    case 'json-as-html':
      return new Response(body, { headers: { 'content-type': 'text/html; charset=utf-8' } });
    case 'status-404':
      return new Response(body, { status: 404, headers: JSON_HEADERS });
    case 'status-500':
      return new Response(JSON.stringify({ error: 'server_error' }), { status: 500, headers: JSON_HEADERS });
    case 'cache-max-age':
      return new Response(body, { headers: { ...JSON_HEADERS, 'cache-control': `max-age=${CACHE_MAX_AGE_SECONDS}` } });
    case 'no-store':
      return new Response(body, { headers: { ...JSON_HEADERS, 'cache-control': 'no-store' } });
    default:
      return new Response(body, { headers: JSON_HEADERS });
  }
}
