/**
 * Requirements the suites check that the shared catalogue (../shared/reference/requirements-catalogue.md) lacks,
 * written in its style. Every other requirement ID a check cites must exist in the catalogue.
 */
export const ADDED_REQUIREMENTS: Record<string, { keyword: string; text: string; source: string }> = {
  'R7517-PUBLIC-ONLY': {
    keyword: 'MUST NOT',
    text: 'A published JWK Set (jwks_uri) contains no private key members (d, p, q, dp, dq, qi, k)',
    source: 'RFC 7517 §9.2; RFC 7518 §6.2.2, §6.3.2, §6.4',
  },
};
