/** The clock skew tolerated between this server and an upstream (ID token exp, SAML NotBefore/NotOnOrAfter). */
export const CLOCK_SKEW_MS = 60_000;
