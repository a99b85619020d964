import type { Suite } from '../suite.ts';
import { OIDC_CHECKS, OIDC_NEGATIVES, oidcNonceCompared, oidcNonceRequired } from './oidc.ts';
import { SAML_CHECKS, SAML_NEGATIVES, samlMapsAssertionEmail } from './saml.ts';

/** Federation (seed 004): an upstream OpenID provider ("custom OAuth provider") and tenant SAML SSO. */
export const federationSuite: Suite = {
  name: 'federation',
  checks: [...OIDC_CHECKS, ...SAML_CHECKS],
  negatives: { ...OIDC_NEGATIVES, ...SAML_NEGATIVES },
  collateral: {
    // Without a nonce in the request there is nothing to compare the ID token's nonce with.
    'oidc-upstream-no-nonce': [oidcNonceCompared.id, oidcNonceRequired.id],
    // The SAML user resolves to whoever the directory holds first (the OIDC checks' user): another email.
    'generate-jwt-single-user': [samlMapsAssertionEmail.id],
  },
};
