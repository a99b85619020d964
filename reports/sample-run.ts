import type { RecordedExchange } from '../harness/network/types.ts';
import type { CheckResult, RunResult } from '../harness/results.ts';
import { summarize } from '../harness/results.ts';

/** A signed-looking JWT (header `{"alg":"ES256","typ":"at+jwt"}`) for redaction tests and sample reports. */
export const SAMPLE_JWT =
  'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGljZSIsImF1ZCI6Imh0dHBzOi8vbWNwLnJlZmVyZW5jZS50ZXN0L21jcCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';

export function sampleExchange(overrides: Partial<RecordedExchange> = {}): RecordedExchange {
  return {
    request: {
      method: 'POST',
      url: 'https://as.reference.test/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Basic Y2xpZW50LWlkOmNsaWVudC1zZWNyZXQtdmFsdWU=',
      },
      body: 'grant_type=authorization_code&code=abc123&code_verifier=verifier-verifier-verifier-verifier-verifier-1',
    },
    response: {
      status: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify({ access_token: SAMPLE_JWT, token_type: 'Bearer', refresh_token: 'rt-0123456789abcdef' }),
    },
    startedAt: '2026-01-02T03:04:05.000Z',
    durationMs: 3,
    ...overrides,
  };
}

export function sampleCheck(overrides: Partial<CheckResult> = {}): CheckResult {
  return {
    id: 'pkce.rejects-plain',
    suite: 'pkce',
    title: 'The authorization endpoint refuses code_challenge_method=plain',
    requirements: ['AS-PKCE-S256', 'R7636-S256'],
    level: 'MUST',
    status: 'PASS',
    message: 'plain was refused with invalid_request',
    evidence: [sampleExchange()],
    durationMs: 4,
    ...overrides,
  };
}

/** A small run with one check of every status. */
export function sampleRun(checks: CheckResult[] = sampleChecks()): RunResult {
  return {
    tool: { name: 'mcp-auth-conformance', version: '0.1.0' },
    target: { name: 'reference', resource: 'https://mcp.reference.test/mcp', issuer: 'https://as.reference.test' },
    spec: '2025-11-25',
    seed: 1,
    startedAt: '2026-01-02T03:04:05.000Z',
    durationMs: 1234,
    summary: summarize(checks),
    checks,
  };
}

function sampleChecks(): CheckResult[] {
  return [
    sampleCheck(),
    sampleCheck({
      id: 'pkce.rejects-missing-challenge',
      status: 'FAIL',
      message: 'AS-PKCE-REQUIRED: an authorization request without code_challenge was accepted.\nRequire S256 PKCE.',
    }),
    sampleCheck({
      id: 'discovery.prm.scopes',
      suite: 'discovery',
      title: 'PRM lists scopes_supported',
      requirements: ['R9728-SCOPES'],
      level: 'SHOULD',
      status: 'WARN',
      message: 'scopes_supported is missing',
      evidence: [],
    }),
    sampleCheck({
      id: 'registration.cimd',
      suite: 'registration',
      title: 'CIMD client ids are accepted',
      status: 'SKIP',
      message: 'the target does not advertise client_id_metadata_document_supported',
      evidence: [],
    }),
    sampleCheck({
      id: 'discovery.as.oidc',
      suite: 'discovery',
      title: 'OpenID discovery is served',
      level: 'INFO',
      status: 'INFO',
      message: 'served at /.well-known/openid-configuration',
      evidence: [],
    }),
  ];
}
