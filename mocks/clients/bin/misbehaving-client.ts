/** `misbehaving-client <flaw> <mcp-url>`: the good client with one planted flaw (mocks/clients/misbehaving/flaws.ts). */
import { FLAWS, type FlawDefinition, isFlaw } from '../misbehaving/flaws.ts';
import { runJourneyFromCommandLine } from './journey-cli.ts';

const flaw = process.argv[2] ?? '';
if (!isFlaw(flaw)) {
  process.stderr.write(`usage: misbehaving-client <${Object.keys(FLAWS).join('|')}> <mcp-server-url>\n`);
  process.exit(2);
}
await runWithFlaw(FLAWS[flaw]);

function runWithFlaw(definition: FlawDefinition): Promise<never> {
  return typeof definition === 'function'
    ? runJourneyFromCommandLine(definition(globalThis.fetch))
    : runJourneyFromCommandLine(globalThis.fetch, [definition.quirk]);
}
