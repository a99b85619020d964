import type { AddedRequirement } from '../requirements.ts';

/** Requirements of the byoa suite that the shared catalogue lacks, in its style. */
export const BYOA_REQUIREMENTS: Record<string, AddedRequirement> = {
  // ── Homegrown credentials: screen → HTTP connector → map response → Generate JWT (seeds 000, 001) ──
  'BYOA-CONNECTOR-CLAIMS': {
    keyword: 'MUST',
    text: "The tokens describe the user the identity system answered with: email and the flow's custom claims (e.g. roles) come from the connector response, not from what the user typed",
    source: 'seed 000 Collecting User Credentials ("map the response"); seed 001 How It Works items 1, 3',
  },
  'BYOA-SUB-PER-USER': {
    keyword: 'MUST',
    text: 'One identity-system user is one AS user: sub is the same on every login of that user and differs between users',
    source:
      'seed 001 Generate JWT ("creates or signs in an existing user … based on that login ID"); RFC 9068 §2.2 sub',
  },
  'BYOA-CREDENTIALS-REFUSED': {
    keyword: 'MUST',
    text: 'Credentials the identity system refuses lead to no authorization code',
    source: 'seed 000 Collecting User Credentials ("validate the credentials"); OAuth 2.1 §4.1.1',
  },
  'BYOA-LOGIN-ERROR-VISIBLE': {
    keyword: 'MUST',
    text: 'A refused login shows the user an error (an element with role="alert"), or ends with an error redirect to the client',
    source: 'project page conventions (README); WCAG 2.2 SC 3.3.1 Error Identification',
  },
  'BYOA-NO-PASSWORD-ECHO': {
    keyword: 'MUST NOT',
    text: 'The answer to a failed login carries the typed password back (in a value attribute, the page or a redirect URL)',
    source: 'OWASP ASVS 4.0.3 V8.3 (sensitive data in responses); OAuth 2.1 §7.5 (credentials stay with the AS)',
  },
  'BYOA-CONNECTOR-FAILURE': {
    keyword: 'MUST',
    text: 'A connector call that times out, answers 5xx, or answers a body that is not JSON (or not labelled JSON) ends the flow in an error page (role="alert") or an error redirect, never a code',
    source: 'seed 000 Collecting User Credentials; seed 004 Flows (HTTP connector); RFC 6749 §4.1.2.1 server_error',
  },
  'BYOA-CONNECTOR-NO-USER': {
    keyword: 'MUST NOT',
    text: 'A flow whose connector call failed creates a user (a later sign-in-only flow does not find one)',
    source: 'seed 001 How It Works item 1 (identity is set from the validated response before Generate JWT)',
  },
  // ── Generate JWT (seed 001) ──
  'BYOA-SIGN-IN-EXISTING-ONLY': {
    keyword: 'MUST',
    text: 'Generate JWT (sign-in) signs in a user who exists (matched by login ID) and refuses one who does not',
    source: 'seed 001 Available Flow Actions: Sign In with 3rd Party IdP',
  },
  'BYOA-SIGN-UP-NEW': {
    keyword: 'MUST',
    text: 'Generate JWT (sign-up) creates a new user every time',
    source: 'seed 001 Available Flow Actions: Sign Up with 3rd Party IdP ("always creates a new user")',
  },
  'BYOA-SIGN-UP-OR-IN-MATCH': {
    keyword: 'MUST',
    text: 'Generate JWT (sign-up-or-in) signs in the existing user matched by email or by external ID, and creates one only when none matches',
    source: 'seed 001 Available Flow Actions: Sign Up or In with 3rd Party IdP ("matched by email or external ID")',
  },
  'BYOA-LOGIN-ID-REQUIRED': {
    keyword: 'MUST',
    text: 'Generate JWT needs form.email or form.externalId set before it; a flow without either ends in an error, signing nobody in',
    source: 'seed 000 Collecting User Credentials; seed 001 How It Works item 1',
  },
  // ── An existing session token (seed 000) ──
  'BYOA-SESSION-TOKEN': {
    keyword: 'MUST',
    text: "A flow that reads the identity system's session cookie signs its user in without a credentials screen",
    source: 'seed 000 Using an Existing Session Token',
  },
  'BYOA-SESSION-VALIDATED': {
    keyword: 'MUST',
    text: 'The session token is validated at the identity system (GET /userinfo or POST /introspect) on every use; a revoked session signs nobody in',
    source: 'seed 000 Using an Existing Session Token ("validate the token by calling your API"); RFC 7662 §2.2',
  },
  // ── Consent (seed 004 Flows, Clients hub "skip consent") ──
  'BYOA-CONSENT-ASKED': {
    keyword: 'MUST',
    text: 'A flow with a consent step asks a first-time user, naming each requested scope, before any code is issued',
    source: 'seed 004 Flows (consent); OAuth 2.1 §4.1.1 (the AS obtains the authorization decision)',
  },
  'BYOA-CONSENT-REMEMBERED': {
    keyword: 'MUST',
    text: 'A consent is remembered for the user and client and covers exactly the scopes granted: not asked again for them, asked again for a new scope',
    source: 'seed 004 Flows (consent remembered per user and client); RFC 9700 §2.3 (least privilege)',
  },
  'BYOA-CONSENT-PER-CLIENT': {
    keyword: 'MUST',
    text: "A user's consent to one client is not consent for another client",
    source: 'seed 004 Flows; MCP Security Best Practices "Confused Deputy Problem" (consent per client)',
  },
  'BYOA-CONSENT-DENY': {
    keyword: 'MUST',
    text: 'Declining consent redirects to the client with error=access_denied and no code',
    source: 'OAuth 2.1 §4.1.2.1; RFC 6749 §4.1.2.1',
  },
  'BYOA-SKIP-CONSENT': {
    keyword: 'MUST',
    text: 'A client configured to skip consent is not shown the consent step',
    source: 'seed 004 Clients hub (flow selection, skip consent)',
  },
  // ── MFA step-up ──
  'BYOA-MFA-ELEVATED': {
    keyword: 'MUST',
    text: 'A flow with TOTP step-up grants the elevated scope only after a valid one-time code',
    source: 'seed 004 Flows (MFA step-up); NIST SP 800-63B §4.2 (AAL2: two factors)',
  },
  'BYOA-MFA-BASIC': {
    keyword: 'SHOULD NOT',
    text: 'Step-up is demanded for the basic scope (only the elevated scope needs it)',
    source: 'seed 004 Flows (MFA step-up for the elevated scope)',
  },
  'BYOA-TOTP-VERIFY': {
    keyword: 'MUST',
    text: "A one-time code that is not the authenticator's for the current time step (or an allowed neighbour) is refused",
    source: 'RFC 6238 §4, §5.2',
  },
  'BYOA-TOTP-ONCE': {
    keyword: 'MUST NOT',
    text: 'A TOTP code is accepted a second time after it was validated once',
    source: 'RFC 6238 §5.2 ("The verifier MUST NOT accept the second attempt of the same OTP")',
  },
  'BYOA-MFA-AMR': {
    keyword: 'MUST',
    text: 'Tokens issued after MFA say so: amr contains "otp" and acr names the assurance level reached',
    source: 'RFC 8176 §2 (otp); OIDC Core §2 (acr, amr)',
  },
  // ── The flow's pages ──
  'BYOA-FLOW-CSRF': {
    keyword: 'MUST',
    text: "Flow form posts carry a CSRF token bound to the browser's flow; posts without it, or with another value, are refused",
    source: "RFC 9700 §4.7 (CSRF), applied to the AS's own forms; project page conventions (csrf_token)",
  },
  'BYOA-FLOW-BOUND': {
    keyword: 'MUST',
    text: 'A flow continues only in the browser that started it (its transaction is bound to that browser, e.g. by a cookie)',
    source: 'RFC 9700 §4.7, §2.1 (bind the transaction to the user agent)',
  },
};
