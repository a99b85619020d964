/**
 * Requirements the suites check that the shared catalogue (../shared/reference/requirements-catalogue.md) lacks,
 * written in its style. Every other requirement ID a check cites must exist in the catalogue.
 */
export const ADDED_REQUIREMENTS: Record<string, { keyword: string; text: string; source: string }> = {
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
