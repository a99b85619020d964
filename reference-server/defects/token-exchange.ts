/** Deliberate defects of RFC 8693 token exchange: delegation, impersonation, may_act, targeting. */
export const TOKEN_EXCHANGE_DEFECTS = {
  'exchange-act-missing': 'exchanged tokens carry no act claim (the acting client is not named)',
} as const;
