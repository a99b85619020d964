/** Deliberate defects of CIBA poll mode (OpenID CIBA Core 1.0) with email approval links (seed 004). */
export const CIBA_DEFECTS = {
  'ciba-metadata-incomplete': 'metadata omits backchannel_token_delivery_modes_supported',
  'ciba-request-unauthenticated':
    'backchannel requests are accepted with a bare client_id, without client authentication',
  'ciba-openid-not-required': 'backchannel requests whose scope lacks openid are accepted',
  'ciba-several-hints-accepted': 'a backchannel request with several hints is accepted (login_hint wins)',
  'ciba-unknown-user-accepted': 'a login_hint naming no user is accepted (the mail goes to the hint itself)',
  'ciba-binding-message-unchecked': 'any binding_message is accepted: markup, control characters, any length',
  'ciba-auth-req-id-guessable': 'auth_req_id is six random characters (32 bits), not at least 128 bits',
  'ciba-tokens-before-approval': 'polling a request the user has not approved yet issues tokens',
  'ciba-slow-down-never-sent': 'polling faster than the interval answers authorization_pending, never slow_down',
  'ciba-interval-not-increased': 'after slow_down the poll interval stays the same instead of growing by 5 s',
  'ciba-unknown-auth-req-id-pending': 'an unknown auth_req_id answers authorization_pending instead of invalid_grant',
  'ciba-auth-req-id-not-bound-to-client': "any authenticated client may redeem another client's auth_req_id",
  'ciba-request-never-expires': 'the backchannel request never expires (no expired_token)',
  'ciba-link-never-expires': 'the emailed approval link still works after it expired',
  'ciba-link-get-approves': 'merely opening the approval link (GET, as mail scanners do) approves the request',
  'ciba-approval-link-reusable': 'the approval link can be used again to change the decision',
  'ciba-binding-message-hidden': 'the approval page does not show the binding message',
  'ciba-denied-issues-tokens': 'a request the user denied still issues tokens',
  'ciba-auth-req-id-reusable': 'an auth_req_id can be redeemed again after tokens were issued for it',
  'ciba-no-id-token': 'the CIBA token response carries no id_token',
} as const;
