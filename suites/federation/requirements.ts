import type { AddedRequirement } from '../requirements.ts';

/** Requirements of the federation suite that the shared catalogue lacks, in its style. */
export const FEDERATION_REQUIREMENTS: Record<string, AddedRequirement> = {
  // ── Upstream OpenID provider (seed 004 "custom OAuth provider"): the AS is a relying party ──
  'FED-OIDC-CLAIMS': {
    keyword: 'MUST',
    text: "The user signed in through the upstream OpenID provider is the one the tokens describe: the ID token's email is mapped into the user and the issued tokens",
    source: 'seed 004 Flows; OIDC Core §5.1',
  },
  'FED-OIDC-PKCE': {
    keyword: 'MUST',
    text: 'The authorization request to the upstream provider carries a code_challenge with code_challenge_method=S256',
    source: 'OAuth 2.1 §4.1.1, §7.5.1; RFC 9700 §2.1.1',
  },
  'FED-OIDC-NONCE': {
    keyword: 'SHOULD',
    text: "The authorization request to the upstream provider carries a nonce that binds the ID token to the browser's session",
    source: 'OIDC Core §3.1.2.1, §15.5.2; RFC 9700 §2.1.1',
  },
  'FED-OIDC-STATE': {
    keyword: 'MUST',
    text: "An upstream callback whose state is missing or is not the one this browser's request sent is refused (no code for the client)",
    source: 'RFC 6749 §10.12; OAuth 2.1 §7.10; OIDC Core §3.1.2.7',
  },
  'FED-OIDC-IDT-SIGNATURE': {
    keyword: 'MUST',
    text: "The upstream ID token's signature is verified with the provider's published keys; a token that does not verify is refused",
    source: 'OIDC Core §3.1.3.7 item 6',
  },
  'FED-OIDC-IDT-AUDIENCE': {
    keyword: 'MUST',
    text: "The upstream ID token's aud contains the client ID the AS is registered under at the provider; otherwise it is refused",
    source: 'OIDC Core §3.1.3.7 item 3',
  },
  'FED-OIDC-IDT-ISSUER': {
    keyword: 'MUST',
    text: "The upstream ID token's iss equals the provider's issuer identifier; otherwise it is refused",
    source: 'OIDC Core §3.1.3.7 item 2',
  },
  'FED-OIDC-IDT-EXPIRY': {
    keyword: 'MUST',
    text: 'An upstream ID token whose exp has passed is refused',
    source: 'OIDC Core §3.1.3.7 item 9',
  },
  'FED-OIDC-IDT-NONCE': {
    keyword: 'MUST',
    text: 'When a nonce was sent, the ID token carries a nonce claim equal to it; a missing or different nonce is refused (replay)',
    source: 'OIDC Core §3.1.3.7 item 11, §15.5.2',
  },
  'FED-OIDC-ERROR': {
    keyword: 'MUST',
    text: 'An error answer of the upstream provider (e.g. error=access_denied) ends the flow with that error sent to the client, never a code',
    source: 'OAuth 2.1 §4.1.2.1; RFC 6749 §4.1.2.1',
  },
  'FED-OIDC-CALLBACK-ONCE': {
    keyword: 'MUST',
    text: 'An upstream callback (code and state) is consumed by its first use; presenting it again signs nobody in',
    source: 'OAuth 2.1 §4.1.3, §7.10; RFC 9700 §4.5',
  },
  'FED-OIDC-LINK': {
    keyword: 'MUST',
    text: 'Federated users are linked by the upstream issuer and subject: the same upstream user gets the same local sub every time, another upstream user another sub',
    source: 'OIDC Core §5.7 (iss and sub identify the user); seed 004 Generate JWT',
  },
  'FED-UPSTREAM-FAILURE': {
    keyword: 'MUST',
    text: 'An upstream failure (5xx, timeout) ends the flow cleanly: an error page naming the problem (role="alert") or an error redirect to the client, never a bare 500 or a code',
    source: 'OAuth 2.1 §4.1.2.1 (server_error, temporarily_unavailable); seed 004 Flows',
  },
  // ── Tenant SAML SSO: the AS is a SAML 2.0 service provider (SP-initiated web browser SSO) ──
  'FED-SAML-ATTRIBUTES': {
    keyword: 'MUST',
    text: "The user signed in through the tenant's SAML IdP is the one the tokens describe: the assertion's email is mapped into the user and the issued tokens",
    source: 'seed 004 Flows; SAML Core §2.7.3',
  },
  'FED-SAML-SIGNED': {
    keyword: 'MUST',
    text: 'A Response whose Assertion (or the Response itself) carries no valid XML signature is refused',
    source: 'SAML Profiles §4.1.3.5, §4.1.4.2; SAML Bindings §3.5.5.2',
  },
  'FED-SAML-TRUSTED-KEY': {
    keyword: 'MUST',
    text: "Only signatures by the IdP's configured signing certificate are trusted; a signature by any other key (even one embedded in the message) is refused",
    source: 'SAML Core §5.4; SAML Metadata §2.4.1.1; SAML Profiles §4.1.4.3',
  },
  'FED-SAML-CONDITIONS': {
    keyword: 'MUST',
    text: 'An assertion outside its validity window (Conditions NotBefore/NotOnOrAfter, bearer SubjectConfirmationData NotOnOrAfter) is refused',
    source: 'SAML Core §2.5.1.2; SAML Profiles §4.1.4.2',
  },
  'FED-SAML-AUDIENCE': {
    keyword: 'MUST',
    text: "An assertion whose AudienceRestriction does not name the SP's entity ID is refused",
    source: 'SAML Core §2.5.1.4; SAML Profiles §4.1.4.2',
  },
  'FED-SAML-REPLAY': {
    keyword: 'MUST',
    text: 'A bearer assertion is used once: posting the same Response again (or a copy with the same assertion ID) signs nobody in',
    source: 'SAML Profiles §4.1.4.5',
  },
  'FED-SAML-IN-RESPONSE-TO': {
    keyword: 'MUST',
    text: 'A response is accepted only as the answer to an AuthnRequest this browser sent: unsolicited responses or an InResponseTo naming another request are refused',
    source: 'SAML Profiles §4.1.4.2, §4.1.4.3, §4.1.5',
  },
  'FED-SAML-LINK': {
    keyword: 'MUST',
    text: 'SAML users are linked by IdP and NameID: the same NameID gets the same local sub every time, another NameID another sub',
    source: 'SAML Core §2.2.2, §8.3.7; seed 004 Generate JWT',
  },
  'FED-SAML-SP-METADATA': {
    keyword: 'SHOULD',
    text: 'The SP publishes its metadata: an EntityDescriptor with its entity ID and an SPSSODescriptor with an HTTP-POST AssertionConsumerService at its ACS URL',
    source: 'SAML Metadata §2.3.2, §2.4.4; SAML Profiles §4.1.6',
  },
  'FED-SAML-ACS-POST': {
    keyword: 'SHOULD',
    text: 'The ACS receives Responses by the HTTP-POST binding only; a SAMLResponse in a GET query string (logged and cached by every hop) is refused',
    source: 'SAML Profiles §4.1.2, §4.1.4.5; SAML Bindings §3.5',
  },
};
