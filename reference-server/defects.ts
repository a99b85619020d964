import { CIBA_DEFECTS } from './defects/ciba.ts';
import { CIMD_DEFECTS } from './defects/cimd.ts';
import { FEDERATION_DEFECTS, FLOW_DEFECTS } from './defects/flows.ts';
import { ID_JAG_DEFECTS } from './defects/id-jag.ts';
import { JWT_BEARER_DEFECTS } from './defects/jwt-bearer.ts';
import { REGISTRATION_DEFECTS } from './defects/registration.ts';
import { TOKEN_EXCHANGE_DEFECTS } from './defects/token-exchange.ts';
import { TOKEN_LIFECYCLE_DEFECTS } from './defects/token-lifecycle.ts';

/**
 * Deliberate defects of the reference system: each is a named bug planted on purpose so the project's own negative
 * tests can prove every check is able to FAIL. The correct path is the default; a defect is a visible branch named
 * after the bug it plants. This list is also the list of what the suites can catch.
 */
export const DEFECTS = {
  // ── Authorization server metadata (RFC 8414, OIDC Discovery) ──────────────────────────────────────────────
  'as-metadata-none': 'serves no authorization server metadata at any well-known URL',
  'metadata-path-appended':
    'tenant metadata only at <issuer>/.well-known/oauth-authorization-server (appended, not inserted)',
  'metadata-issuer-trailing-slash': 'metadata "issuer" has a trailing slash the issuer identifier does not have',
  'issuer-with-query': 'metadata "issuer" carries a query string',
  'metadata-no-response-types': 'metadata omits response_types_supported',
  'metadata-no-pkce-methods': 'metadata omits code_challenge_methods_supported',
  'metadata-http-endpoints': 'metadata endpoints use http:// on a non-loopback host',
  'metadata-omits-optional':
    'metadata omits grant_types_supported, scopes_supported and token_endpoint_auth_methods_supported',
  'metadata-empty-arrays': 'metadata includes an empty array (ui_locales_supported: [])',
  'metadata-none-alg': 'token_endpoint_auth_signing_alg_values_supported lists "none"',
  'jwks-leaks-private-key': 'the JWKS publishes the private part ("d") of the signing key',
  'metadata-advertises-legacy-grants': 'grant_types_supported also lists "implicit" and "password"',
  'oidc-discovery-drops-pkce': 'OpenID discovery document omits code_challenge_methods_supported',
  'oidc-issuer-mismatch': 'OpenID discovery document names another issuer',
  // ── Dynamic client registration (RFC 7591) ──────────────────────────────────────────────────────────────
  'dcr-returns-200': 'registration answers 200 instead of 201 Created',
  'dcr-omits-metadata': 'registration response echoes only client_id',
  'dcr-fixed-client-id': 'every registration gets the same client_id',
  'dcr-no-secret-expiry': 'client_secret issued without client_secret_expires_at',
  'dcr-accepts-any-redirect': 'any redirect URI is accepted (http on public hosts, fragments, relative)',
  'dcr-redirect-optional': 'authorization_code clients may register without redirect_uris',
  'dcr-skips-metadata-validation': 'inconsistent grant/response types and unknown auth methods are accepted',
  'dcr-rejects-unknown-fields': 'unknown client metadata is rejected instead of ignored',
  'dcr-errors-as-text': 'registration errors are plain text with status 500',
  'dcr-accepts-form': 'registration accepts a form-encoded body',
  'dcr-rejects-loopback-http': 'http://127.0.0.1 redirect URIs of native clients are refused',
  // ── Authorization endpoint ──────────────────────────────────────────────────────────────────────────────
  'pkce-optional':
    'authorization requests without code_challenge are accepted, and such codes redeem with any verifier',
  'pkce-plain-allowed': 'code_challenge_method=plain is accepted',
  'pkce-method-defaults-plain': 'a code_challenge without code_challenge_method is accepted (treated as plain)',
  'pkce-optional-for-confidential': 'confidential clients may leave out code_challenge',
  'state-dropped': 'the success redirect leaves out state',
  'state-dropped-on-error': 'error redirects leave out state',
  'iss-omitted': 'the success redirect leaves out iss',
  'iss-omitted-on-error': 'error redirects leave out iss',
  'iss-wrong-value': 'the iss parameter differs from the metadata issuer (trailing slash)',
  'iss-not-advertised': 'iss is sent but authorization_response_iss_parameter_supported is not true',
  'redirect-prefix-match': 'redirect_uri is matched by prefix, not exactly',
  'open-redirect-on-error': 'errors about the client or redirect URI are redirected to the unverified redirect_uri',
  'loopback-port-exact': 'loopback redirect URIs must match the registered port',
  'implicit-allowed': 'response_type=token is answered with a token in the fragment',
  // ── Token endpoint ──────────────────────────────────────────────────────────────────────────────────────
  'pkce-verifier-unchecked': 'the token endpoint does not check code_verifier at all',
  'pkce-verifier-shape-unchecked': 'code_verifier length and charset (RFC 7636 §4.1) are not checked',
  'pkce-s256-hex': 'S256 is computed as hex instead of base64url, so correct verifiers fail',
  'code-reusable': 'an authorization code can be redeemed more than once',
  'code-replay-keeps-tokens': 'a replayed code is refused but tokens issued from it stay valid',
  'code-not-bound-to-client': 'any client may redeem a code',
  'code-not-bound-to-redirect': 'the token request redirect_uri is not compared',
  'code-never-expires': 'authorization codes never expire',
  'resource-not-bound': 'the token request resource may differ from the authorized one',
  'token-response-cacheable': 'token responses lack Cache-Control: no-store',
  'audience-not-bound': 'access tokens carry aud = the issuer instead of the requested resource',
  'at-typ-jwt': 'access tokens are typed "JWT" instead of "at+jwt"',
  'long-lived-access-tokens': 'access tokens live 30 days',
  'token-errors-not-json': 'token endpoint errors are plain text with status 200',
  'invalid-client-400':
    'failed client authentication through the Authorization header answers 400 without WWW-Authenticate',
  'confidential-auth-skipped': 'confidential clients may redeem codes without authenticating',
  // ── Refresh tokens ──────────────────────────────────────────────────────────────────────────────────────
  'refresh-not-rotated': 'a refresh of a public client returns no new refresh token (the old one stays valid)',
  'refresh-reuse-undetected': 'a rotated (used) refresh token still works and revokes nothing',
  'refresh-reuse-keeps-family': 'reuse of a rotated refresh token is refused but the family stays alive',
  'refresh-not-bound-to-client': 'any client may use a refresh token',
  'refresh-scope-widening': 'a refresh may ask for scopes beyond the original grant',
  'refresh-resource-widening': 'a refresh may ask for a resource the grant never covered',
  'refresh-survives-revocation': 'revoking a refresh token (RFC 7009) leaves it and its family usable',
  'refresh-never-expires': 'refresh tokens never expire',
  // ── Client credentials ──────────────────────────────────────────────────────────────────────────────────
  'client-credentials-for-public-clients': 'public clients (no authentication) get client_credentials tokens',
  'client-assertion-replay': 'a private_key_jwt client assertion can be used twice (jti not tracked)',
  'client-assertion-audience-unchecked': 'client assertions for another audience are accepted',
  'client-assertion-expiry-unchecked': 'expired client assertions are accepted',
  'client-assertion-unsigned': 'client assertions are decoded without verifying their signature',
  'client-credentials-audience-unbound': 'client_credentials tokens carry aud = the issuer, ignoring resource',
  // ── Resource server (MCP server) ────────────────────────────────────────────────────────────────────────
  'prm-not-served': 'no protected resource metadata anywhere, and no pointer in the challenge',
  'challenge-without-resource-metadata': 'the 401 challenge has no resource_metadata parameter',
  'challenge-wrong-resource-metadata': 'the 401 challenge points resource_metadata at a URL that answers 404',
  'prm-root-only': 'protected resource metadata only at the root well-known URL',
  'prm-text-plain': 'protected resource metadata is served as text/plain',
  'prm-resource-origin-only': 'PRM "resource" is the bare origin instead of the MCP endpoint URL',
  'prm-no-authorization-servers': 'PRM has no authorization_servers',
  'prm-no-scopes': 'PRM omits scopes_supported',
  'prm-bearer-query': 'PRM advertises bearer_methods_supported ["header","query"]',
  'prm-offline-access-scope': 'PRM scopes_supported and the challenge include offline_access',
  'rs-allows-anonymous': 'the MCP endpoint answers requests without a token',
  'rs-error-code-without-credentials': 'the challenge carries error="invalid_token" even when no credentials were sent',
  'rs-challenge-no-scope': 'the 401 challenge has no scope parameter',
  'rs-audience-trailing-slash': 'the RS expects its resource with a trailing slash in aud, so it rejects valid tokens',
  'audience-unchecked': 'the RS accepts tokens issued for any audience',
  'expiry-unchecked': 'the RS accepts expired tokens',
  'signature-unchecked': 'the RS decodes tokens without verifying the signature (alg none accepted)',
  'rs-500-on-malformed-token': 'a malformed token makes the RS answer 500',
  'rs-invalid-token-no-error-code': 'the 401 for a bad token has no error="invalid_token"',
  'rs-scope-unchecked': 'tools needing an elevated scope run with the basic scope',
  'rs-accepts-query-token': 'an access_token in the query string is accepted',
  'rs-bare-bearer-500': 'an Authorization header of just "Bearer" (or "Bearer " + spaces) makes the RS answer 500',
  'rs-split-bearer-500': 'a Bearer credential that is not a single b64token ("Bearer a b") makes the RS answer 500',
  'nbf-unchecked': 'the RS accepts tokens whose nbf is in the future',
  'hs256-public-key-accepted':
    'the RS verifies HS256 tokens with its issuer public key as the HMAC secret (alg confusion)',
  'unknown-kid-unverified': 'a token whose kid is not in the JWKS is decoded without verification',
  'issuer-unchecked': 'the RS accepts tokens from any issuer whose key it can find',
  'missing-aud-accepted': 'tokens without aud are accepted',
  'aud-array-rejected': 'an aud array containing the resource is rejected (valid tokens refused)',
  'typ-unchecked': 'any JWT typ is accepted as an access token (ID tokens, refresh tokens)',
  'exp-optional': 'tokens without exp are accepted',
  'embedded-jwk-trusted': 'a jwk header in the token supplies the verification key',
  'jku-followed': 'a jku header is fetched and its keys trusted',
  'crit-ignored': 'unknown crit header parameters are ignored',
  'rs256-rejected': 'RS256 tokens are refused (RFC 9068 makes RS256 mandatory to support)',
  'bearer-scheme-case-sensitive': 'only "Bearer" is accepted as the scheme, not "bearer"',
  'resource-case-sensitive': 'aud must match the resource byte for byte (uppercase host refused)',
  'revocation-unchecked': 'revoked tokens keep working (no introspection)',
  'session-as-auth': 'a request carrying a valid Mcp-Session-Id is served without checking its token',
  'session-not-bound-to-user': "a session accepts another user's valid token",
  'token-passthrough': "the downstream tool forwards the client's access token instead of exchanging it",
  'rs-malformed-request-500': 'a malformed JSON-RPC body with a valid token makes the RS answer 500',
  'get-unauthenticated': 'GET on the MCP endpoint (the SSE stream) is served without a token',
  'scope-hierarchy-ignored': 'the elevated scope does not imply the basic one (admin tokens refused for basic tools)',
  'required-claim-unchecked': 'the per-issuer rule requiring a claim (e.g. acr) is not enforced',
  // ── Grants beyond the code flow, one table per grant (reference-server/defects/) ─────────────────────────
  ...JWT_BEARER_DEFECTS,
  ...ID_JAG_DEFECTS,
  ...TOKEN_EXCHANGE_DEFECTS,
  ...CIBA_DEFECTS,
  ...TOKEN_LIFECYCLE_DEFECTS,
  // ── Client registration beyond the basics, and Client ID Metadata Documents ─────────────────────────────────
  ...REGISTRATION_DEFECTS,
  ...CIMD_DEFECTS,
  ...FLOW_DEFECTS,
  ...FEDERATION_DEFECTS,
} as const;

export type Defect = keyof typeof DEFECTS;

/** The set of defects a reference system was built with. Empty (correct) by default. */
export class Defects {
  readonly #active: ReadonlySet<Defect>;

  constructor(active: Iterable<Defect> = []) {
    this.#active = new Set(active);
  }

  has(defect: Defect): boolean {
    return this.#active.has(defect);
  }

  get list(): Defect[] {
    return [...this.#active];
  }
}

export const NO_DEFECTS = new Defects();

export function isDefect(name: string): name is Defect {
  return Object.hasOwn(DEFECTS, name);
}
