/** `misbehaving-client <flaw> <mcp-url>`: the good client with one planted flaw (mocks/clients/misbehaving/flaws.ts). */
import { FLAWS, isFlaw } from '../misbehaving/flaws.ts';
import { runJourneyFromCommandLine } from './journey-cli.ts';

const flaw = process.argv[2] ?? '';
if (!isFlaw(flaw)) {
  process.stderr.write(`usage: misbehaving-client <${Object.keys(FLAWS).join('|')}> <mcp-server-url>\n`);
  process.exit(2);
}
await runJourneyFromCommandLine(FLAWS[flaw](globalThis.fetch));
