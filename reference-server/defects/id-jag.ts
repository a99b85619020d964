/** Deliberate defects of enterprise-managed authorization: ID-JAGs accepted by the JWT bearer grant. */
export const ID_JAG_DEFECTS = {
  'id-jag-profile-unadvertised': 'metadata omits authorization_grant_profiles_supported although ID-JAGs are accepted',
  'id-jag-public-clients':
    'public clients (no client authentication) redeem ID-JAGs, whatever grant types they registered',
  'id-jag-typ-unchecked': 'the JWT typ is not checked, so any JWT of a trusted IdP passes for an ID-JAG',
  'id-jag-issuer-unchecked': 'an ID-JAG from any issuer is accepted if it verifies with the trusted IdP keys',
  'id-jag-signature-unchecked': 'the ID-JAG signature is not verified (unsigned or foreign-key ID-JAGs pass)',
  'id-jag-keys-never-refetched': "the IdP's keys are fetched once and never again, so a rotated key is refused",
  'id-jag-expiry-unchecked': 'an expired ID-JAG is accepted',
  'id-jag-iat-unchecked': 'an ID-JAG issued in the future (iat) is accepted',
  'id-jag-audience-unchecked': 'the ID-JAG aud is not checked: one issued for another AS is accepted',
  'id-jag-audience-array-any': 'an aud array with several values is accepted if one of them is this issuer',
  'id-jag-client-id-unchecked': 'the ID-JAG client_id claim is not compared with the authenticated client',
  'id-jag-resource-unchecked': 'an ID-JAG for a resource this AS does not know is accepted, and a token issued for it',
  'id-jag-scope-from-request': 'the requested scope is granted as is, not intersected with the ID-JAG scope',
  'id-jag-replay': 'the same ID-JAG (same jti) can be redeemed twice',
  'id-jag-token-audience-unbound': "the access token's aud is the AS issuer, not the ID-JAG's resource",
  'id-jag-refresh-token-issued': 'a refresh token is issued with the access token for an ID-JAG',
} as const;
