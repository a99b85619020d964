import { BYOA_REQUIREMENTS } from './byoa/requirements.ts';
import { CLIENT_REQUIREMENTS } from './client/requirements.ts';
import { FEDERATION_REQUIREMENTS } from './federation/requirements.ts';

/**
 * Requirements the suites check that the shared catalogue (../shared/reference/requirements-catalogue.md) lacks,
 * written in its style. Every other requirement ID a check cites must exist in the catalogue.
 */
export interface AddedRequirement {
  keyword: string;
  text: string;
  source: string;
}

export const ADDED_REQUIREMENTS: Record<string, AddedRequirement> = {
  ...BYOA_REQUIREMENTS,
  ...CLIENT_REQUIREMENTS,
  ...FEDERATION_REQUIREMENTS,
  // ── RFC 7592 (the catalogue has no RFC 7592 rows) and RFC 7591 §2 details ──
  'R7592-CREDENTIALS': {
    keyword: 'MUST',
    text: 'A server offering client management returns registration_access_token and registration_client_uri (absolute URL) together in the client information response',
    source: 'RFC 7592 §3',
  },
  'R7592-READ': {
    keyword: 'MUST',
    text: 'GET on registration_client_uri with the registration access token answers 200 with the current client information (all registered metadata)',
    source: 'RFC 7592 §2.1',
  },
  'R7592-AUTH': {
    keyword: 'MUST',
    text: 'The client configuration endpoint requires the registration access token issued for that very client; a missing, wrong or foreign token (or an unknown client) is 401 with a Bearer challenge',
    source: 'RFC 7592 §2, §2.1; RFC 6750 §3.1',
  },
  'R7592-UPDATE': {
    keyword: 'MUST',
    text: 'PUT replaces all metadata, validated as at registration (RFC 7591 errors); the body names the current client_id; the response and later reads show the new values',
    source: 'RFC 7592 §2.2',
  },
  'R7592-SECRET': {
    keyword: 'MUST',
    text: 'A client_secret sent in an update must match the current one; a client never sets its own secret; a secret the server replaced stops authenticating',
    source: 'RFC 7592 §2.2',
  },
  'R7592-DELETE': {
    keyword: 'MUST',
    text: 'DELETE answers 204; afterwards the client_id, its secret, its registration access token and what was issued to it stop working (the configuration endpoint answers 401)',
    source: 'RFC 7592 §2.3, §2.1',
  },
  'R7592-NO-STORE': {
    keyword: 'SHOULD',
    text: 'Client information responses carrying client_secret or registration_access_token are sent with Cache-Control: no-store',
    source: 'RFC 7591 §3.2.1, RFC 7592 §3 with RFC 6749 §5.1',
  },
  'R7591-SECRET-UNIQUE': {
    keyword: 'MUST',
    text: 'Each issued client_secret belongs to one client and cannot be guessed (at least 128 bits)',
    source: 'RFC 7591 §3.2.1; RFC 6749 §10.10',
  },
  'R7591-JWKS-EXCLUSIVE': {
    keyword: 'MUST NOT',
    text: 'jwks and jwks_uri both present in one registration request (refused as invalid_client_metadata)',
    source: 'RFC 7591 §2',
  },
  'R7591-PRIVATE-KEY-JWT-KEYS': {
    keyword: 'SHOULD',
    text: 'A private_key_jwt client registers its public keys (jwks or jwks_uri); without them the registration is invalid_client_metadata',
    source: 'RFC 7591 §2; RFC 7523 §2.2',
  },
  'R7591-JWKS-URI-HTTPS': {
    keyword: 'SHOULD',
    text: 'A registered jwks_uri uses https; an http one is invalid_client_metadata',
    source: 'RFC 7591 §2, §5; OAuth 2.1 §1.5',
  },
  'R7591-JWKS-PUBLIC': {
    keyword: 'SHOULD',
    text: 'Registered jwks holds public keys only; private key members (d, p, q, dp, dq, qi, k) are refused',
    source: 'RFC 7591 §2; RFC 7517 §9.2',
  },
  'R7591-SCOPE-POLICY': {
    keyword: 'SHOULD',
    text: 'A requested scope outside what the server allows is refused (invalid_client_metadata) or narrowed in the response, never registered as is',
    source: 'RFC 7591 §2, §3.2.1',
  },
  'AS-DCR-LIMITS': {
    keyword: 'SHOULD',
    text: 'The open registration endpoint bounds request size, list lengths and string lengths; oversized requests are refused with 400 (or 413), never stored or answered 5xx',
    source: 'RFC 7591 §3.2.2, §5',
  },

  'CIBA-EMAIL-LINK-EXPIRY': {
    keyword: 'MUST',
    text:
      'An approval link delivered by email stops working after its configured lifetime (default 3 minutes); ' +
      'opening or submitting it afterwards approves nothing',
    source: 'Seed 004 (Clients: CIBA, custom link expiration); CIBA Core §7.3, §11',
  },
  'OIDC-USERINFO': {
    keyword: 'MUST',
    text:
      "The UserInfo endpoint answers a valid access token with JSON whose sub is the token's End-User, not cached; " +
      'an invalid token gets 401 with WWW-Authenticate: Bearer error="invalid_token"',
    source: 'OIDC Core §5.3.2, §5.3.3; RFC 6750 §3.1',
  },
  'AS-OFFLINE-ACCESS': {
    keyword: 'SHOULD',
    text:
      'An AS that lists offline_access in scopes_supported accepts it in authorization and token requests, issues ' +
      "a refresh token for it, and keeps it out of the access token's scope",
    source: 'MCP 2026-07-28 Authorization §Refresh Tokens; OIDC Core §11; RFC 9068 §2.2.3',
  },
  'BCP-RT-EXPIRY': {
    keyword: 'SHOULD',
    text: 'Refresh tokens expire (e.g. after a period of inactivity) and are then refused',
    source: 'RFC 9700 §4.14.2; OAuth 2.1 §4.3.2',
  },
  'R7517-PUBLIC-ONLY': {
    keyword: 'MUST NOT',
    text: 'A published JWK Set (jwks_uri) contains no private key members (d, p, q, dp, dq, qi, k)',
    source: 'RFC 7517 §9.2; RFC 7518 §6.2.2, §6.3.2, §6.4',
  },
  'R7515-CRIT': {
    keyword: 'MUST',
    text: 'A JWS whose crit header lists an extension the recipient does not understand and process is rejected',
    source: 'RFC 7515 §4.1.11',
  },
  'R9110-SCHEME-CASE': {
    keyword: 'MUST',
    text: 'The auth-scheme of the Authorization header is matched case-insensitively ("bearer" = "Bearer")',
    source: 'RFC 9110 §11.1; RFC 6750 §2.1',
  },
};
