/** Deliberate defects of enterprise-managed authorization: ID-JAGs accepted by the JWT bearer grant. */
export const ID_JAG_DEFECTS = {
  'id-jag-replay': 'the same ID-JAG (same jti) can be redeemed twice',
} as const;
