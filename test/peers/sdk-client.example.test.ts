import { readFile, writeFile } from 'node:fs/promises';
import { describe, it } from 'vitest';
import { runClientConformance } from '../../harness/client-mode/run.ts';
import type { RunResult } from '../../harness/results.ts';
import { renderMarkdown } from '../../reports/markdown.ts';
import { redact } from '../../reports/redact.ts';
import { CLIENT_SCENARIOS } from '../../suites/client/index.ts';
import { SDK_CLIENT_COMMAND } from './sdk-client.support.ts';

const EXAMPLE = 'mcp-sdk-client';
/** The scenario servers' ports change every run; the client's own redirect URI port does not. */
const SERVER_PORT = /127\.0\.0\.1:(?!5555\b)\d+/g;

/** `UPDATE_EXAMPLES=1` reruns the SDK client over every scenario and rewrites the committed example report. */
describe.runIf(process.env.UPDATE_EXAMPLES === '1')('the v1 MCP SDK client example report', () => {
  it(`rewrites reports/examples/${EXAMPLE}.md`, async () => {
    const { result } = await runClientConformance({ command: SDK_CLIENT_COMMAND, scenarios: CLIENT_SCENARIOS });
    const examples = new URL('../../reports/examples/', import.meta.url);
    const analysis = await readFile(new URL(`${EXAMPLE}.analysis.md`, examples), 'utf8');
    const summary = renderMarkdown(redact(stableForExample(result)));
    await writeFile(new URL(`${EXAMPLE}.md`, examples), `${summary.trimEnd()}\n\n${analysis}`);
  }, 600_000);
});

/** Each scenario serves on fresh ports; the example names them all PORT. */
function stableForExample(result: RunResult): RunResult {
  return JSON.parse(JSON.stringify(result).replace(SERVER_PORT, '127.0.0.1:PORT')) as RunResult;
}
