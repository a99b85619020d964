/** Deliberate defects of the token lifecycle: introspection (RFC 7662), revocation (RFC 7009), userinfo, sessions. */
export const TOKEN_LIFECYCLE_DEFECTS = {
  'introspection-unauthenticated': 'the introspection endpoint answers callers that do not authenticate',
} as const;
