/** `good-client <mcp-url>`: the well-behaved mock client, run as the client conformance mode runs any client. */
import { runJourneyFromCommandLine } from './journey-cli.ts';

await runJourneyFromCommandLine();
