import { readFile, writeFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ClientRunResult, runClientConformance } from '../../harness/client-mode/run.ts';
import type { RunResult } from '../../harness/results.ts';
import { renderMarkdown } from '../../reports/markdown.ts';
import { redact } from '../../reports/redact.ts';
import { CLIENT_SCENARIOS } from '../../suites/client/index.ts';
import { REFUSAL_SCENARIOS } from '../../suites/client/scenarios.ts';

/**
 * The v1 MCP TypeScript SDK's client (`Client`, `StreamableHTTPClientTransport`, `auth()` behind an in-memory
 * `OAuthClientProvider`; mocks/clients/bin/sdk-client.ts) run through client mode over every scenario. Its known
 * deviations are listed (and explained in reports/examples/mcp-sdk-client.analysis.md); anything else that FAILs or
 * WARNs is either a new deviation or a bug of ours. `UPDATE_EXAMPLES=1` rewrites the committed example report.
 */
const KNOWN_DEVIATIONS: Record<string, string> = {
  'client.auth-iss-mismatch.rejects-iss-mismatch':
    'auth() never compares the authorization response iss with the issuer (RFC 9207 §2.4): a mixed-up code is redeemed',
};

const EXAMPLE = 'mcp-sdk-client';
/** Run from the repository root (vitest's working directory), as a user would type it. */
const COMMAND = 'npx tsx mocks/clients/bin/sdk-client.ts';
/** The scenario servers' ports change every run; the client's own redirect URI port does not. */
const SERVER_PORT = /127\.0\.0\.1:(?!5555\b)\d+/g;

describe('the v1 MCP SDK client through client mode (needs @modelcontextprotocol/sdk)', () => {
  let run: ClientRunResult;

  beforeAll(async () => {
    run = await runClientConformance({ command: COMMAND, scenarios: CLIENT_SCENARIOS });
  }, 300_000);

  it('finishes every scenario within the timeout: exits 0, or gives up where the servers lie', () => {
    const refusals = new Set(REFUSAL_SCENARIOS.map((scenario) => scenario.name));
    const unfinished = run.scenarios
      .filter(({ scenario, process }) => process.timedOut || (process.exitCode !== 0 && !refusals.has(scenario.name)))
      .map((scenario) => `${scenario.scenario.name}: ${scenario.process.stderr.text.trim()}`);
    expect(unfinished).toEqual([]);
  });

  it('FAILs or WARNs only on its known deviations', () => {
    const flagged = run.result.checks
      .filter((check) => check.status === 'FAIL' || check.status === 'WARN')
      .map((check) => check.id);
    expect(flagged.sort()).toEqual(Object.keys(KNOWN_DEVIATIONS).sort());
  });

  it('skips only with a reason', () => {
    for (const check of run.result.checks.filter((entry) => entry.status === 'SKIP')) {
      expect(check.message, check.id).toMatch(/\w{3,}/);
    }
  });

  it.runIf(process.env.UPDATE_EXAMPLES === '1')(`rewrites reports/examples/${EXAMPLE}.md`, async () => {
    const examples = new URL('../../reports/examples/', import.meta.url);
    const analysis = await readFile(new URL(`${EXAMPLE}.analysis.md`, examples), 'utf8');
    const summary = renderMarkdown(redact(stableForExample(run.result)));
    await writeFile(new URL(`${EXAMPLE}.md`, examples), `${summary.trimEnd()}\n\n${analysis}`);
  });
});

/** Each scenario serves on fresh ports; the example names them all PORT. */
function stableForExample(result: RunResult): RunResult {
  return JSON.parse(JSON.stringify(result).replace(SERVER_PORT, '127.0.0.1:PORT')) as RunResult;
}
