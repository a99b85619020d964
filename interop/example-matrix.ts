import type { SpecVersion } from '../harness/results.ts';

/** An official example client that should pass our scenarios. */
export interface GoodExample {
  kind: 'good';
  file: string;
  /** Our scenarios to run it on; `undefined` = our whole `auth` suite. */
  scenarios?: readonly string[];
  note: string;
}

/** An official example client with a planted defect, and where our suite should catch it. */
export interface BrokenExample {
  kind: 'broken';
  file: string;
  /** The official scenario and the official checks its own tests expect to fail. */
  official: { scenario: string; failingChecks: readonly string[] };
  /** Our scenario of the same name (or the closest one) and the requirement IDs the defect violates. */
  ours: { scenario: string; requirements: readonly string[]; spec?: SpecVersion };
  defect: string;
}

export type ExampleRow = GoodExample | BrokenExample;

/**
 * The pairs come from the official repository's own negative tests (src/scenarios/client/auth/index.test.ts), which
 * name, for each broken example, the scenario and the checks that must fail.
 */
export const EXAMPLE_MATRIX: readonly ExampleRow[] = [
  {
    kind: 'good',
    file: 'everything-client.ts',
    note: 'the official reference client: dispatches on MCP_CONFORMANCE_SCENARIO, reads pre-registration context',
  },
  {
    kind: 'good',
    file: 'auth-test.ts',
    note: 'the official well-behaved auth client (DCR or its CIMD URL; ignores the context)',
  },
  {
    kind: 'good',
    file: 'auth-test-iss-validation.ts',
    scenarios: ['auth/iss-mismatch', 'auth/iss-supported', 'auth/iss-not-advertised'],
    note: 'the official RFC 9207 iss-validating client',
  },
  {
    kind: 'broken',
    file: 'auth-test-no-pkce.ts',
    official: {
      scenario: 'auth/metadata-default',
      failingChecks: [
        'pkce-code-challenge-sent',
        'pkce-s256-method-used',
        'pkce-code-verifier-sent',
        'pkce-verifier-matches-challenge',
      ],
    },
    ours: { scenario: 'auth/basic-dcr', requirements: ['CL-PKCE', 'CL-PKCE-S256'] },
    defect: 'sends no code_challenge and no code_verifier',
  },
  {
    kind: 'broken',
    file: 'auth-test-bad-prm.ts',
    official: { scenario: 'auth/metadata-default', failingChecks: ['prm-priority-order'] },
    ours: { scenario: 'auth/basic-dcr', requirements: ['CL-PRM-HEADER-FIRST', 'CL-PRM-USE'] },
    defect: 'ignores resource_metadata from WWW-Authenticate and fetches the root PRM URL',
  },
  {
    kind: 'broken',
    file: 'auth-test-ignore-scope.ts',
    official: { scenario: 'auth/scope-from-www-authenticate', failingChecks: ['scope-from-www-authenticate'] },
    ours: {
      scenario: 'auth/scope-from-www-authenticate',
      requirements: ['CL-SCOPE-PRIORITY', 'CL-SCOPE-CHALLENGE-AUTHORITATIVE'],
    },
    defect: 'drops the scope named in the 401 challenge',
  },
  {
    kind: 'broken',
    file: 'auth-test-partial-scopes.ts',
    official: { scenario: 'auth/scope-from-scopes-supported', failingChecks: ['scope-from-scopes-supported'] },
    ours: { scenario: 'auth/scope-from-scopes-supported', requirements: ['CL-SCOPE-PRIORITY'] },
    defect: 'asks for one hard-coded scope instead of all of scopes_supported',
  },
  {
    kind: 'broken',
    file: 'auth-test-partial-scopes.ts',
    official: { scenario: 'auth/scope-omitted-when-undefined', failingChecks: ['scope-omitted-when-undefined'] },
    ours: {
      scenario: 'auth/scope-omitted-when-undefined',
      requirements: ['CL-SCOPE-PRIORITY', 'CL-SCOPE-ABSENT-FALLBACK'],
    },
    defect: 'sends a scope although neither the challenge nor scopes_supported names one',
  },
  {
    kind: 'broken',
    file: 'auth-test-ignore-403.ts',
    official: {
      scenario: 'auth/scope-step-up',
      failingChecks: ['scope-step-up-escalation', 'sep-2350-scope-union-on-reauth'],
    },
    ours: { scenario: 'auth/scope-step-up', requirements: ['CL-STEPUP', 'CL-STEPUP-USER'] },
    defect: 'reacts to 401 only; ignores a 403 insufficient_scope step-up challenge',
  },
  {
    kind: 'broken',
    file: 'auth-test-echo-scope.ts',
    official: { scenario: 'auth/scope-step-up (2026-07-28)', failingChecks: ['sep-2350-scope-union-on-reauth'] },
    ours: {
      scenario: 'auth/scope-step-up',
      requirements: ['CL-STEPUP-UNION', 'CL-SCOPE-REAUTH-KEEP'],
      spec: '2026-07-28',
    },
    defect: 're-authorizes with only the challenged scope, not the union with the scopes already granted',
  },
  {
    kind: 'broken',
    file: 'auth-test-no-retry-limit.ts',
    official: { scenario: 'auth/scope-retry-limit', failingChecks: ['scope-retry-limit'] },
    ours: { scenario: 'auth/scope-retry-limit', requirements: ['CL-STEPUP-RETRY-LIMIT'] },
    defect: 'repeats the step-up authorization without limit',
  },
  {
    kind: 'broken',
    file: 'auth-test-no-cimd.ts',
    official: { scenario: 'auth/basic-cimd', failingChecks: ['cimd-client-id-used'] },
    ours: { scenario: 'auth/basic-cimd', requirements: ['CL-REG-PRIORITY', 'CL-CIMD-SUPPORT', 'CL-CIMD-CHECK-AS'] },
    defect: 'registers by DCR although the AS supports client ID metadata documents',
  },
  {
    kind: 'broken',
    file: 'auth-test-attempts-dcr.ts',
    official: { scenario: 'auth/pre-registration', failingChecks: ['(client cannot complete)'] },
    ours: { scenario: 'auth/pre-registration', requirements: ['CL-PREREG', 'CL-REG-PRIORITY', 'CL-REG-OBTAIN'] },
    defect: 'ignores the pre-registered credentials of the context and tries DCR',
  },
  {
    kind: 'broken',
    file: 'auth-test-reuse-credentials.ts',
    official: {
      scenario: 'auth/authorization-server-migration',
      failingChecks: [
        'sep-2352-reregister-on-as-change',
        'sep-2352-no-reuse-on-as-change',
        'sep-2352-no-cross-as-credential-reuse',
      ],
    },
    ours: {
      scenario: 'auth/authorization-server-migration',
      requirements: ['CL-AS-BINDING-NO-REUSE', 'CL-AS-SEPARATE-STATE', 'CL-AS-BINDING-KEY'],
    },
    defect: "presents the previous AS's client_id at the new AS after the PRM changes",
  },
  {
    kind: 'broken',
    file: 'auth-test-no-application-type.ts',
    official: { scenario: 'auth/metadata-default (2026-07-28)', failingChecks: ['sep-837-application-type-present'] },
    ours: { scenario: 'auth/basic-dcr', requirements: ['CL-DCR-APPTYPE'], spec: '2026-07-28' },
    defect: 'registers without application_type',
  },
  {
    kind: 'broken',
    file: 'auth-test.ts',
    official: { scenario: 'auth/iss-wrong-issuer', failingChecks: ['sep-2468-client-compare-iss-supported'] },
    ours: { scenario: 'auth/iss-mismatch', requirements: ['R9207-CL-COMPARE', 'CL-ISS-VALIDATE'] },
    defect: 'the well-behaved auth client does not validate iss (the official tests use it as the negative here)',
  },
  {
    kind: 'broken',
    file: 'auth-test.ts',
    official: { scenario: 'auth/iss-supported-missing', failingChecks: ['sep-2468-client-reject-missing-iss'] },
    ours: { scenario: 'auth/iss-supported-missing', requirements: ['R9207-CL-MISSING', 'CL-ISS-VALIDATE'] },
    defect: 'redeems a code whose response lacks iss although the AS advertises iss support',
  },
  {
    kind: 'broken',
    file: 'auth-test.ts',
    official: {
      scenario: 'auth/metadata-issuer-mismatch',
      failingChecks: ['sep-2468-client-validate-metadata-issuer'],
    },
    ours: { scenario: 'auth/metadata-issuer-mismatch', requirements: ['CL-AS-META-ISSUER-MATCH'] },
    defect: 'uses AS metadata whose issuer differs from the issuer it was fetched for',
  },
  {
    kind: 'broken',
    file: 'auth-test-iss-normalize.ts',
    official: { scenario: 'auth/iss-normalized', failingChecks: ['sep-2468-client-no-normalization'] },
    ours: { scenario: 'auth/iss-normalized', requirements: ['CL-ISS-NO-NORMALIZE', 'R9207-CL-COMPARE'] },
    defect: 'normalizes URLs before comparing iss, so a trailing-slash variant passes',
  },
  {
    kind: 'broken',
    file: 'auth-test-dpop-bearer.ts',
    official: { scenario: 'auth/dpop', failingChecks: ['sep-1932-client-dpop-auth-scheme'] },
    ours: { scenario: 'auth/dpop', requirements: ['DPOP-PROOF'] },
    defect: 'presents a DPoP-bound token with the Bearer scheme',
  },
  {
    kind: 'broken',
    file: 'auth-test-wif-wrong-audience.ts',
    official: { scenario: 'auth/wif-jwt-bearer', failingChecks: ['wif-assertion-audience'] },
    ours: { scenario: 'auth/wif-jwt-bearer', requirements: ['WIF-JWT'] },
    defect: 'presents a workload JWT with the wrong audience',
  },
];
