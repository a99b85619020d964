/** Deliberate defects of the token lifecycle: introspection (RFC 7662), revocation (RFC 7009), userinfo, sessions. */
export const TOKEN_LIFECYCLE_DEFECTS = {
  'introspection-unauthenticated': 'the introspection endpoint answers callers that do not authenticate',
  'introspection-invalid-client-400':
    'wrong introspection credentials are answered 400 invalid_client, without 401 and a WWW-Authenticate challenge',
  'introspection-active-as-string': 'introspection answers "active": "true" (a string) instead of the boolean true',
  'introspection-unknown-token-404':
    'introspecting a token the server never issued answers 404 instead of active:false',
  'introspection-ignores-revocation': 'revoked access tokens are introspected as active',
  'introspection-ignores-expiry': 'expired access tokens are introspected as active',
  'introspection-inactive-leaks-claims': 'an inactive access token is introspected as active:false plus all its claims',
  'introspection-hint-trusted':
    'introspection searches only where token_type_hint points; a wrong hint hides a live token',
  'introspection-refresh-tokens-unsupported': 'refresh tokens are always introspected as inactive',
  'revocation-unauthenticated': "a confidential client's tokens are revoked on its client_id alone, without its secret",
  'revocation-other-client': 'a client can revoke tokens issued to another client',
  'revocation-ignores-access-tokens': 'revoking an access token answers 200 but leaves it active',
  'revocation-unknown-token-400': 'revoking a token the server does not know answers 400 invalid_request',
  'revocation-hint-trusted':
    'revocation searches only where token_type_hint points; a wrong hint leaves the token alive',
  'userinfo-accepts-invalid-tokens':
    'userinfo answers with a user’s claims for bearer tokens that are not active tokens',
  'userinfo-wrong-user': "userinfo answers with another user's claims than the token's",
  'client-session-settings-ignored':
    "a client's custom session settings (token and refresh token lifetimes) are ignored",
  'allowed-tenants-ignored': 'client credentials clients get tokens at tenants outside their allowed tenants',
  'offline-access-refused': 'offline_access, though listed in scopes_supported, is refused as invalid_scope',
  'offline-access-ignored':
    'a grant that asked for offline_access gets no refresh token, even for a refresh_token client',
  'offline-access-in-access-token': 'offline_access stays in the access token scope, as if it were a resource scope',
} as const;
