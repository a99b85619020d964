/** Deliberate defects of the JWT bearer grant (RFC 7523 §2.1) with per-client trusted issuers (seed 004). */
export const JWT_BEARER_DEFECTS = {
  'jwt-bearer-untrusted-issuer':
    "assertions from an issuer the client does not trust are accepted (keys found via the JWT's own iss)",
} as const;
