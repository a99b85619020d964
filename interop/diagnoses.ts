/** Whose behaviour a non-PASS verdict comes from. */
export type Attribution =
  | 'our client'
  | 'official expectation differs'
  | 'not implemented by our client yet'
  | 'official client'
  | 'our scenario setup';

export interface Diagnosis {
  attribution: Attribution;
  explanation: string;
}

/** A known cause, recognised from what the run printed or recorded (the client's failure line, check ids, evidence). */
export interface Symptom extends Diagnosis {
  name: string;
  matches: RegExp;
  /** Only for these scenarios (all when absent). */
  scenarios?: readonly string[];
}

export function diagnose(symptoms: readonly Symptom[], scenario: string, observed: string): Symptom | undefined {
  return symptoms.find(
    (symptom) =>
      (symptom.scenarios === undefined || symptom.scenarios.includes(scenario)) && symptom.matches.test(observed),
  );
}

export const UNDIAGNOSED: Diagnosis = {
  attribution: 'our client',
  explanation: 'no known cause matched; read the raw checks and the client output in the JSON next to this report',
};

/** Causes seen when our good client runs through the official suite (`interop:official-suite`). */
export const OFFICIAL_SUITE_SYMPTOMS: readonly Symptom[] = [
  {
    name: 'registration-without-expiry',
    matches: /client_secret_expires_at/,
    attribution: 'official expectation differs',
    explanation:
      'The official mock AS answers every registration with `client_secret: "test-client-secret"` (even for ' +
      '`token_endpoint_auth_method: "none"`) and no `client_secret_expires_at`. RFC 7591 §3.2.1 makes ' +
      '`client_secret_expires_at` REQUIRED whenever a secret is issued, so our client (oauth4webapi) refuses the ' +
      'registration response and stops before authorizing; every later check of the scenario is missing. A lenient ' +
      'client would carry on; the suite does not test this RFC 7591 rule.',
  },
  {
    name: 'basic-auth-form-encoding',
    matches: /pre%2Dregistered%2Dclient|got '[^']*%[0-9A-F]{2}/,
    attribution: 'official expectation differs',
    explanation:
      'RFC 6749 §2.3.1 has the client form-urlencode client_id and client_secret before Basic authentication, and ' +
      'the server decode them. Our client encodes `-` as `%2D` (valid percent-encoding); the official mock compares ' +
      'the undecoded user-id with the expected client_id and reports a mismatch. A server that decodes per §2.3.1 ' +
      '(our reference AS does) accepts it.',
  },
  {
    name: 'as-metadata-fallbacks',
    matches: /not a conform Authorization Server Metadata response/,
    scenarios: ['auth/metadata-var1', 'auth/metadata-var3', 'auth/2025-03-26-oauth-metadata-backcompat'],
    attribution: 'not implemented by our client yet',
    explanation:
      'The AS metadata is only at an OpenID Connect Discovery location (var1: `/.well-known/openid-configuration`; ' +
      'var3: path-appended `/tenant1/.well-known/openid-configuration`) and our client stops after the RFC 8414 URL ' +
      'answers 404. MCP 2025-11-25 (Authorization Server Metadata Discovery) requires trying the RFC 8414 and OIDC ' +
      'URLs in order (CL-AS-META-BOTH, CL-AS-META-ORDER-PATH). Our fault; the discovery-variant work covers it.',
  },
  {
    name: 'prm-well-known-fallback',
    matches: /not a conform Resource Server Metadata response/,
    attribution: 'not implemented by our client yet',
    explanation:
      'The 401 carries no `resource_metadata`, and the metadata is only at the root well-known URI; our client does ' +
      'not fall back from the path-inserted URI to the root one (RFC 9728 §3.1, MCP CL-PRM-WELLKNOWN-ORDER). Our ' +
      'fault; the discovery-variant work covers it.',
  },
  {
    name: 'fixed-tool-name',
    matches: /Tool echo not found/,
    attribution: 'our client',
    explanation:
      'Every authorization check passed; afterwards our client calls the tool `echo`, which our reference MCP server ' +
      'offers but the official mock server does not (it offers `test-tool`), so the client exits 1. The suite summary ' +
      'does not count the exit code. Fix: call a tool from `tools/list` (or stop after `tools/list`).',
  },
  {
    name: 'root-prm-resource',
    matches: /"resource" property does not match the expected value/,
    attribution: 'our client',
    explanation:
      'With no `resource_metadata` in the challenge, our client finds the metadata at the root well-known URI and ' +
      'then refuses it because its `resource` differs from the MCP URL (RFC 9728 §3.3, CL-PRM-RESOURCE-MATCH). ' +
      'The official scenario expects a client to accept it. Which resource a root-fallback document must name is ' +
      'not settled by RFC 9728 (it only defines the path-inserted URI); to be decided with the discovery work.',
  },
  {
    name: 'client-credentials-basic-rejected',
    matches: /Invalid client credentials/,
    scenarios: ['auth/client-credentials-basic'],
    attribution: 'official expectation differs',
    explanation:
      'The official mock AS refuses our client_secret_basic header. Probably the RFC 6749 §2.3.1 form-encoding ' +
      'difference described for auth/pre-registration (our client percent-encodes `-`; the mock compares ' +
      'undecoded values); not confirmed from the raw traffic.',
  },
  {
    name: 'id-jag-profile-required',
    matches: /does not list urn:ietf:params:oauth:grant-profile:id-jag/,
    attribution: 'our client',
    explanation:
      'Our client refuses an AS whose metadata does not list the ID-JAG grant profile. ID-JAG §7.2 makes that ' +
      'listing a SHOULD for the AS, so a client should still try the jwt-bearer grant; the official mock AS omits it.',
  },
  {
    name: 'workload-identity-not-implemented',
    matches: /offers neither a client ID metadata document/,
    scenarios: ['auth/wif-jwt-bearer'],
    attribution: 'not implemented by our client yet',
    explanation: 'Workload identity federation (SEP-1933 jwt-bearer with a workload JWT) is not in our good client.',
  },
  {
    name: 'endpoint-fallback-2025-03-26',
    matches: /./,
    scenarios: ['auth/2025-03-26-oauth-endpoint-fallback'],
    attribution: 'not implemented by our client yet',
    explanation:
      'MCP 2025-03-26 clients fall back to the default endpoints `/authorize`, `/token`, `/register` at the MCP ' +
      "server's origin when no metadata exists. Later revisions dropped that rule; our client targets 2025-11-25.",
  },
];

/** Shown for FAIL/WARN checks that only follow from the scenario's first failure. */
export const CASCADE_NOTE = 'follows from the failure above (the client stopped before this step)';

/** Causes seen when the official example clients run through our client mode (`interop:official-examples`). */
export const OUR_SUITE_SYMPTOMS: readonly Symptom[] = [
  {
    name: 'placeholder-cimd-url',
    matches: /client_id=https%3A%2F%2Fconformance-test\.local/,
    attribution: 'our scenario setup',
    explanation:
      'Our reference AS advertises `client_id_metadata_document_supported: true`, so the official client uses its ' +
      'placeholder CIMD URL `https://conformance-test.local/client-metadata.json` as client_id. That document does ' +
      'not exist; our strict AS cannot fetch it and refuses the authorization request (the official mock AS accepts ' +
      'any client_id). To give the official clients a fair run, scenarios that test DCR should not advertise CIMD ' +
      '(as the official DCR scenarios do not), and a CIMD scenario should serve that document (or accept the URL).',
  },
  {
    name: 'unregistered-redirect-uri',
    matches: /Invalid redirect URI/,
    attribution: 'our scenario setup',
    explanation:
      'The official clients always use `http://localhost:3000/callback`; the official context for pre-registered ' +
      'clients carries only client_id and client_secret, so the redirect URI is assumed. Our pre-registered client ' +
      'has another redirect URI registered, and our AS (rightly, RFC 6749 §3.1.2.3) refuses the request. Registering ' +
      '`http://localhost:3000/callback` for the pre-registered client would match the official contract.',
  },
  {
    name: 'unknown-scenario',
    matches: /Unknown scenario/,
    attribution: 'official client',
    explanation:
      'everything-client.ts has no handler for this scenario name (it exists only in our suite) and exits 1 at once.',
  },
];
