import { describe, expect, it } from 'vitest';
import { runClientProcess } from './process.ts';

const node = (script: string) => `${JSON.stringify(process.execPath)} -e ${JSON.stringify(script)}`;

describe('runClientProcess', () => {
  it('appends the URL as the last argument, passes the environment, and records the exit code', async () => {
    const outcome = await runClientProcess({
      command: node('console.log(process.argv.at(-1), process.env.MCP_CONFORMANCE_SCENARIO); process.exit(3)'),
      mcpUrl: "http://127.0.0.1:1/mcp?x='y'",
      env: { MCP_CONFORMANCE_SCENARIO: 'auth/basic-dcr' },
    });
    expect(outcome.stdout.text).toBe("http://127.0.0.1:1/mcp?x='y' auth/basic-dcr\n");
    expect(outcome).toMatchObject({ exitCode: 3, signal: null, timedOut: false });
  });

  it('kills a hanging client and the processes it started at the timeout', async () => {
    const outcome = await runClientProcess({
      command: `${node('setInterval(() => {}, 1000)')} & ${node('setInterval(() => {}, 1000)')}`,
      mcpUrl: 'http://127.0.0.1:1/mcp',
      timeoutMs: 500,
    });
    expect(outcome.timedOut).toBe(true);
    expect(outcome.exitCode).toBeNull();
    expect(outcome.signal).toBe('SIGKILL');
  });

  it('keeps at most the limit of a flood of output and counts the rest', async () => {
    const outcome = await runClientProcess({
      command: node("process.stdout.write('x'.repeat(3 * 1024 * 1024)); process.stderr.write('done')"),
      mcpUrl: 'http://127.0.0.1:1/mcp',
      outputLimitBytes: 1024 * 1024,
    });
    expect(outcome.stdout.text.length).toBe(1024 * 1024);
    expect(outcome.stdout.droppedBytes).toBe(2 * 1024 * 1024);
    expect(outcome.stderr).toEqual({ text: 'done', droppedBytes: 0 });
    expect(outcome.exitCode).toBe(0);
  });

  it('reports a command that does not exist as a failed exit', async () => {
    const outcome = await runClientProcess({ command: 'no-such-client-command-xyz', mcpUrl: 'http://127.0.0.1:1/mcp' });
    expect(outcome.exitCode).toBe(127);
    expect(outcome.stderr.text).toContain('not found');
  });
});
