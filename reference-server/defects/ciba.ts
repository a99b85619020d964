/** Deliberate defects of CIBA poll mode (OpenID CIBA Core 1.0) with email approval links (seed 004). */
export const CIBA_DEFECTS = {
  'ciba-link-never-expires': 'the emailed approval link still works after it expired',
} as const;
