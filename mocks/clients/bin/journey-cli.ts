import type { Fetch } from '../../../harness/network/types.ts';
import { parseConformanceContext, runGoodClientJourney } from '../good-client.ts';

/**
 * The command-line contract of the official conformance suite: the MCP server URL is the last argument;
 * MCP_CONFORMANCE_SCENARIO names the scenario; MCP_CONFORMANCE_CONTEXT may carry credentials, keys or IdP tokens.
 * Exits 0 when the journey succeeded, 1 with the reason otherwise.
 */
export async function runJourneyFromCommandLine(
  fetch: Fetch = globalThis.fetch,
  quirks: readonly string[] = [],
): Promise<never> {
  const mcpUrl = process.argv.at(-1);
  if (!mcpUrl || !URL.canParse(mcpUrl)) {
    process.stderr.write('usage: <client> <mcp-server-url>\n');
    process.exit(2);
  }
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO;
  const label = scenario ?? '(none)';
  try {
    await runGoodClientJourney({
      mcpUrl,
      fetch,
      quirks,
      context: parseConformanceContext(process.env.MCP_CONFORMANCE_CONTEXT),
      ...(scenario !== undefined ? { scenario } : {}),
      allowInsecureRequests: new URL(mcpUrl).protocol === 'http:',
      log: (step) => process.stdout.write(`[${label}] ${step}\n`),
    });
    process.exit(0);
  } catch (error) {
    process.stderr.write(`[${label}] failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
