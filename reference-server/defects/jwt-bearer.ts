/** Deliberate defects of the JWT bearer grant (RFC 7523 §2.1) with per-client trusted issuers (seed 004). */
export const JWT_BEARER_DEFECTS = {
  'jwt-bearer-untrusted-issuer':
    "assertions from an issuer the client does not trust are accepted (keys found via the JWT's own iss)",
  'jwt-bearer-issuer-trust-shared':
    'issuer trust is not per client: an issuer any client trusts is accepted for every jwt-bearer client',
  'jwt-bearer-signature-unchecked': 'the assertion signature is not verified (any key, or a forged one, passes)',
  'jwt-bearer-alg-none-accepted': 'unsigned assertions (alg "none") are accepted',
  'jwt-bearer-expiry-unchecked': 'expired assertions are accepted',
  'jwt-bearer-audience-unchecked': 'assertions made for another audience are accepted',
  'jwt-bearer-required-claims-optional':
    'assertions without sub or exp are accepted (the issuer stands in for sub; no exp means no expiry)',
  'jwt-bearer-nbf-ignored': 'assertions whose nbf is still in the future are accepted',
  'jwt-bearer-jti-replay': 'the same assertion (same iss and jti) can be redeemed again',
  'jwt-bearer-userinfo-sub-unchecked':
    "a userinfo answer about another subject is used for the assertion's subject (OIDC Core §5.3.2)",
  'jwt-bearer-wrong-error-code': 'invalid assertions are answered invalid_request instead of invalid_grant',
  'jwt-bearer-audience-unbound': 'JWT bearer tokens carry aud = the issuer instead of the requested resource',
  'jwt-bearer-refresh-token-issued': 'the JWT bearer grant also issues a refresh token',
  'jwt-bearer-assertion-count-unchecked': 'a request with several assertions is served with the first one',
  'jwt-bearer-malformed-assertion-500': 'an assertion that is not a JWT makes the token endpoint answer 500',
} as const;
