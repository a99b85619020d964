import type { Fetch } from '../../../harness/network/types.ts';
import { credentialsFromContext, runGoodClientJourney } from '../good-client.ts';

/**
 * The command-line contract of the official conformance suite: the MCP server URL is the last argument;
 * MCP_CONFORMANCE_SCENARIO names the scenario; MCP_CONFORMANCE_CONTEXT may carry pre-registered credentials. Exits 0 when the journey succeeded, 1 with the reason otherwise.
 */
export async function runJourneyFromCommandLine(fetch: Fetch = globalThis.fetch): Promise<never> {
  const mcpUrl = process.argv.at(-1);
  if (!mcpUrl || !URL.canParse(mcpUrl)) {
    process.stderr.write('usage: <client> <mcp-server-url>\n');
    process.exit(2);
  }
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '(none)';
  const preRegistered = credentialsFromContext(process.env.MCP_CONFORMANCE_CONTEXT);
  try {
    await runGoodClientJourney({
      mcpUrl,
      fetch,
      ...(preRegistered ? { preRegistered } : {}),
      allowInsecureRequests: new URL(mcpUrl).protocol === 'http:',
      log: (step) => process.stdout.write(`[${scenario}] ${step}\n`),
    });
    process.exit(0);
  } catch (error) {
    process.stderr.write(`[${scenario}] failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
