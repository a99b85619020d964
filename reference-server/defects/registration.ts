/** Deliberate defects of dynamic client registration beyond the basics (RFC 7591 policy, RFC 7592 management). */
export const REGISTRATION_DEFECTS = {
  'dcr-management-unauthenticated': 'RFC 7592 client configuration can be read without the registration access token',
} as const;
