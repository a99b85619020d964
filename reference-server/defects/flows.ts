/** Deliberate defects of consent flows: homegrown credentials over HTTP connectors, Generate JWT, consent, MFA (seeds 000, 001, 004). */
export const FLOW_DEFECTS = {
  'invalid-credentials-accepted':
    "a connector's 401 for wrong credentials is treated as success: the user is matched by the typed username and a code issued",
  'login-error-hidden': 'after wrong credentials the credentials screen is shown again without any error message',
  'password-echoed': 'the re-rendered credentials screen carries the typed password back in its value attribute',
  'flow-custom-claims-dropped': "the flow's custom claims are not put into the issued tokens",
  'flow-email-from-form': "the token's email is the typed username, not the email the connector returned",
  'generate-jwt-single-user': 'Generate JWT always resolves to the first user in the directory, whoever signed in',
  'connector-timeout-ignored':
    'a connector that times out counts as an empty 200 answer: the flow goes on and signs a user in',
  'connector-5xx-treated-as-success':
    'a connector answering 5xx counts as success: the flow goes on and signs a user in',
  'connector-malformed-json-accepted':
    'a connector answer that is not valid JSON counts as an empty object: the flow goes on and signs a user in',
  'connector-content-type-unchecked': 'a connector answer labelled text/html is parsed as JSON anyway',
  'connector-failure-creates-user': 'a user is created before the connector answers, and kept when it fails',
  'sign-in-creates-user': 'Generate JWT (sign-in) creates a user that does not exist instead of refusing',
  'sign-in-refuses-existing-user': 'Generate JWT (sign-in) never finds existing users',
  'sign-up-reuses-user': 'Generate JWT (sign-up) returns the existing user with that email instead of creating one',
  'sign-up-or-in-email-only': 'Generate JWT (sign-up-or-in) matches by email only, ignoring the external ID',
  'generate-jwt-without-login-id':
    'a flow whose Generate JWT has no form.email or form.externalId runs anyway and signs in an anonymous user',
  'session-token-ignored': 'an existing session token (cookie) is never read: the credentials screen is always shown',
  'session-token-not-validated':
    'the existing session token is trusted without asking the identity system: a revoked session still signs in',
  'flow-consent-skipped': 'the consent step never asks: every scope is approved at once',
  'consent-not-remembered': 'consent is asked again on every authorization, even for scopes already granted',
  'consent-remembered-per-user-only': "a user's consent to one client is taken as consent for every client",
  'consent-remembered-any-scope': 'a remembered consent covers scopes the user never granted',
  'consent-deny-issues-code': 'declining consent still issues an authorization code',
  'skip-consent-ignored': 'clients set to skip consent are still asked for it',
  'mfa-not-enforced': 'the MFA step is skipped: the elevated scope is granted after the password alone',
  'mfa-always': 'MFA is demanded for every scope, not only the elevated one',
  'mfa-any-code-accepted': 'any six digits pass the TOTP step',
  'totp-replay-accepted': 'a TOTP code that was already used is accepted again within its time step',
  'mfa-amr-missing': 'tokens issued after MFA carry no amr "otp" and no acr',
  'flow-csrf-unchecked': 'flow screens accept form posts without the CSRF token',
  'flow-307-after-credentials': 'the credentials post is answered with 307, which re-sends the password',
  'flow-transaction-unbound':
    'a flow can be continued from another browser (the transaction is not bound to the session)',
  'flow-drops-state': 'the redirect that ends a flow omits state',
} as const;

/** Deliberate defects of identity federation: an upstream OpenID provider and tenant SAML SSO (seed 004). */
export const FEDERATION_DEFECTS = {
  'oidc-claims-not-mapped': "the upstream ID token's email is not mapped into the user and tokens",
  'oidc-upstream-no-pkce': 'the authorization request to the upstream carries no code_challenge',
  'oidc-upstream-no-nonce': 'the authorization request to the upstream carries no nonce',
  'oidc-state-unchecked': "the upstream's callback is accepted whatever its state",
  'oidc-id-token-signature-unchecked': "the upstream ID token's signature is not verified",
  'oidc-id-token-audience-unchecked': "the upstream ID token's aud is not checked against our client ID",
  'oidc-id-token-issuer-unchecked': "the upstream ID token's iss is not checked",
  'oidc-id-token-expiry-unchecked': "the upstream ID token's exp is not checked",
  'oidc-nonce-unchecked': "the upstream ID token's nonce is not compared with the one sent",
  'oidc-missing-nonce-accepted': 'an upstream ID token without nonce is accepted',
  'oidc-upstream-error-ignored':
    'an upstream error answer (error=access_denied) is not passed on: the flow fails with a server error page and the client never learns',
  'oidc-callback-replayable': 'the upstream callback can be replayed: the same code and state sign in again',
  'oidc-user-not-linked': 'every federated OIDC login creates a new user instead of linking the upstream subject',
  'upstream-error-unhandled': 'an upstream failure (5xx) ends in a bare 500 with the exception text, no error page',
  'saml-attributes-not-mapped': "the SAML assertion's email is not mapped into the user and tokens",
  'saml-signature-unchecked': 'unsigned SAML responses are accepted',
  'saml-signing-cert-unchecked': "SAML signatures by any key are accepted, not only the IdP's certificate",
  'saml-conditions-unchecked': "the assertion's NotBefore/NotOnOrAfter are not checked",
  'saml-audience-unchecked': "the assertion's AudienceRestriction is not checked against our entity ID",
  'saml-replay-accepted': 'the same SAML response can be posted again and signs in again',
  'saml-in-response-to-unchecked':
    'responses to no AuthnRequest of this browser (unsolicited or foreign InResponseTo) are accepted',
  'saml-user-not-linked': 'every SAML login creates a new user instead of linking the NameID',
  'saml-sp-metadata-missing': 'the server publishes no SAML SP metadata',
  'saml-acs-accepts-get': 'the ACS accepts a SAMLResponse in the query string (GET), not only by HTTP-POST',
} as const;
