import { beforeAll, describe, expect, it } from 'vitest';
import { type ClientRunResult, runClientConformance } from '../../harness/client-mode/run.ts';
import type { ClientScenario } from '../../harness/client-mode/scenario.ts';
import { endsOrRefuses } from '../../suites/client/refusal.ts';
import { REFUSAL_SCENARIOS } from '../../suites/client/scenarios.ts';
import { bundledClientCommand } from '../support/client-bundles.ts';

/**
 * The v1 MCP TypeScript SDK's client (mocks/clients/bin/sdk-client.ts) through client mode. Its known deviations are
 * listed here and explained in reports/examples/mcp-sdk-client.analysis.md; anything else that FAILs or WARNs is
 * either a new deviation or a bug of ours. The scenario groups run in separate test files, side by side.
 */
export const KNOWN_DEVIATIONS: Record<string, string> = {
  'client.auth-iss-mismatch.rejects-iss-mismatch':
    'auth() never compares the authorization response iss with the issuer (RFC 9207 §2.4): a mixed-up code is redeemed',
  'client.auth-iss-supported-missing.rejects-missing-iss':
    'auth() redeems a code whose response lacks the iss the AS metadata promises (RFC 9207 §2.4)',
  'client.auth-iss-unexpected.rejects-unadvertised-iss-mismatch':
    'auth() redeems a code whose iss names another AS, even without the metadata flag (MCP "Authorization Response Validation")',
  'client.auth-iss-normalized.rejects-normalized-iss': 'no iss comparison at all, so not a simple-string one either',
  'client.auth-iss-normalized.rejects-iss-mismatch': 'the same missing iss comparison, seen by the generic check',
  'client.auth-metadata-issuer-mismatch.as-metadata-issuer-validated':
    'auth() uses AS metadata whose issuer differs from the URL it was fetched for (RFC 8414 §3.3; a comment in auth.js says so)',
  'client.auth-2025-03-26-oauth-metadata-backcompat.resource-in-authorization':
    'without protected resource metadata selectResourceURL() returns undefined, so no resource is sent (RFC 8707)',
  'client.auth-2025-03-26-oauth-metadata-backcompat.resource-in-token': 'the same: no resource in the token request',
  'client.auth-2025-03-26-oauth-endpoint-fallback.resource-in-authorization':
    'without protected resource metadata selectResourceURL() returns undefined, so no resource is sent (RFC 8707)',
  'client.auth-2025-03-26-oauth-endpoint-fallback.resource-in-token': 'the same: no resource in the token request',
  'client.auth-scope-step-up.completes':
    'on 403 insufficient_scope auth() refreshes (a refresh cannot widen scope), retries once and gives up',
  'client.auth-scope-step-up.step-up-on-insufficient-scope':
    'the challenged scope never reaches an authorization request',
  'client.auth-refresh-on-expiry.drops-rejected-token':
    'the SSE GET and the POST run auth() side by side: the request in flight carries the rejected token',
  'client.auth-invalid-token-recovery.drops-rejected-token':
    'the SSE GET and the POST run auth() side by side: the request in flight carries the rejected token',
  'client.auth-client-credentials-jwt.completes':
    'the first 401 after a fresh token trips the transport loop guard (_hasCompletedAuthFlow): no second token',
  'client.auth-client-credentials-jwt.bearer-on-mcp': 'the same: the replaced token is never fetched',
};

/**
 * Verdicts that depend on which of two concurrent requests reaches the AS first: after the same 401, the SSE GET and
 * the POST each run auth() and each refresh with the same refresh token. When the second refresh arrives after the
 * rotation, the AS treats it as a replay and revokes the grant; then the client authorizes again (or fails).
 */
const TIMING_DEPENDENT = new Set(
  ['auth-refresh-on-expiry', 'auth-refresh-token-rotation', 'auth-invalid-token-recovery'].flatMap((scenario) =>
    ['completes', 'recovers-from-invalid-token', 'refreshes-on-expiry', 'refresh-token-used-once'].map(
      (check) => `client.${scenario}.${check}`,
    ),
  ),
);

/** As a user would type it from the repository root (the example report names this command). */
export const SDK_CLIENT_COMMAND = 'npx tsx mocks/clients/bin/sdk-client.ts';

/** The same client from its bundle (built by the tests' global setup), which starts several times faster. */
const SDK_CLIENT_BUNDLE = bundledClientCommand('sdk-client');

/** Where a non-zero exit is the expected refusal rather than a failure to finish. */
function mayRefuse(scenario: ClientScenario): boolean {
  const completes = `${checkPrefix(scenario)}completes`;
  return (
    REFUSAL_SCENARIOS.includes(scenario) ||
    scenario.checks.includes(endsOrRefuses) ||
    completes in KNOWN_DEVIATIONS ||
    TIMING_DEPENDENT.has(completes)
  );
}

/** The check ids of one scenario start with this (`auth/basic-dcr` → `client.auth-basic-dcr.`). */
function checkPrefix(scenario: ClientScenario): string {
  return `client.${scenario.name.replaceAll('/', '-')}.`;
}

/** The SDK client over `scenarios`: finishes each, FAILs or WARNs only on its known deviations, skips with reasons. */
export function describeSdkClientRun(group: string, scenarios: readonly ClientScenario[]): void {
  describe(`the v1 MCP SDK client through the ${group} scenarios (needs @modelcontextprotocol/sdk)`, () => {
    let run: ClientRunResult;

    beforeAll(async () => {
      run = await runClientConformance({ command: SDK_CLIENT_BUNDLE, scenarios });
    }, 300_000);

    it('finishes every scenario within the timeout: exits 0, or gives up where the servers lie', () => {
      const unfinished = run.scenarios
        .filter(({ scenario, process }) => process.timedOut || (process.exitCode !== 0 && !mayRefuse(scenario)))
        .map((scenario) => `${scenario.scenario.name}: ${scenario.process.stderr.text.trim()}`);
      expect(unfinished).toEqual([]);
    });

    it('FAILs or WARNs only on its known deviations', () => {
      const prefixes = scenarios.map(checkPrefix);
      const expected = Object.keys(KNOWN_DEVIATIONS).filter((id) => prefixes.some((prefix) => id.startsWith(prefix)));
      const flagged = run.result.checks
        .filter((check) => check.status === 'FAIL' || check.status === 'WARN')
        .map((check) => check.id)
        .filter((id) => !TIMING_DEPENDENT.has(id));
      expect(flagged.sort()).toEqual(expected.sort());
    });

    it('skips only with a reason', () => {
      for (const check of run.result.checks.filter((entry) => entry.status === 'SKIP')) {
        expect(check.message, check.id).toMatch(/\w{3,}/);
      }
    });
  });
}
