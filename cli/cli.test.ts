import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FILES } from '../reports/index.ts';

const BIN = new URL('./bin.js', import.meta.url).pathname;

interface CliOutcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], timeoutMs = 60_000): Promise<CliOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function stderrLines(outcome: CliOutcome): string[] {
  return outcome.stderr.split('\n').filter((line) => line.trim() !== '');
}

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'cli-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function targetFile(name: string, content: unknown): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const validTarget = {
  name: 'acme',
  resource: 'http://127.0.0.1:8080/mcp',
  issuer: 'http://127.0.0.1:9000',
  allowInsecureHttp: true,
};

describe('list', () => {
  it('lists every suite with its checks and requirement IDs', async () => {
    const outcome = await runCli(['list']);
    expect(outcome.stderr).toBe('');
    expect(outcome.status).toBe(0);
    expect(outcome.stdout).toMatch(/^discovery \(\d+ checks\)$/m);
    expect(outcome.stdout).toMatch(/^ {2}discovery\.\S+ +(MUST|SHOULD|INFO) +[A-Z0-9]+-\S+ +\S/m);
  });

  it('lists the client scenarios with their checks as reported, last or alone with --suite client', async () => {
    const all = await runCli(['list']);
    expect(all.stdout).toMatch(/\n\nclient \(\d+ scenarios\)\n {2}auth\/basic-dcr \(\d+ checks\)\n/);
    const client = await runCli(['list', '--suite', 'client']);
    expect(client.status).toBe(0);
    expect(client.stdout).toMatch(/^client \(\d+ scenarios\)$/m);
    expect(client.stdout).toMatch(/^ {4}client\.auth-basic-dcr\.resource-in-token +MUST +CL-RESOURCE-PARAM +\S/m);
    expect(client.stdout).not.toMatch(/^discovery/m);
    expect((await runCli(['list', '--suite', 'discovery'])).stdout).not.toMatch(/^client/m);
  });

  it('refuses an unknown suite with exit 2', async () => {
    const outcome = await runCli(['list', '--suite', 'nope']);
    expect(outcome.status).toBe(2);
    expect(stderrLines(outcome)).toEqual([expect.stringMatching(/^error: --suite: unknown suite "nope"/)]);
  });
});

describe.concurrent('run: setup problems exit 2 with one line on stderr', () => {
  it.each([
    ['a missing file', 'missing.json', undefined, /missing\.json: cannot read the target file \(ENOENT\)/],
    ['invalid JSON', 'invalid.json', '{"name": ', /invalid\.json: not valid JSON/],
    ['neither resource nor issuer', 'no-endpoints.json', { name: 'acme' }, /^error: resource: /],
    [
      'a bad redirect URI',
      'bad-redirect.json',
      { ...validTarget, clients: { public: { client_id: 'x', redirect_uri: 'callback' } } },
      /^error: clients\.public\.redirect_uri: must be an absolute http\(s\) URL \(got "callback"\)$/,
    ],
    ['an unknown field', 'unknown-field.json', { ...validTarget, colour: 'blue' }, /colour/],
  ])('%s', async (_, name, content, reason) => {
    const path = content === undefined ? join(directory, name) : await targetFile(name, content);
    const outcome = await runCli(['run', '--target', path, '--out', join(directory, `out-${name}`)]);
    expect(outcome.status).toBe(2);
    const lines = stderrLines(outcome);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).toMatch(reason);
  });

  it.each([
    ['an unknown spec', ['--spec', '2024-01-01'], /--spec/],
    ['a negative seed', ['--seed', '-1'], /--seed/],
    ['an unknown suite', ['--suite', 'nope'], /unknown suite "nope"/],
    ['a missing baseline', ['--expected-failures', '/no/such/baseline.yml'], /baseline\.yml: cannot read/],
  ])('%s', async (_, args, reason) => {
    const outcome = await runCli(['run', ...args, '--out', join(directory, 'out-usage')]);
    expect(outcome.status).toBe(2);
    const lines = stderrLines(outcome);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(reason);
  });

  it('an unreachable target names the URL', async () => {
    const port = await closedPort();
    const resource = `http://127.0.0.1:${port}/mcp`;
    const path = await targetFile('unreachable.json', { name: 'down', resource, allowInsecureHttp: true });
    const outcome = await runCli(['run', '--target', path, '--out', join(directory, 'out-unreachable')]);
    expect(outcome.status).toBe(2);
    const lines = stderrLines(outcome);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: target unreachable: /);
    expect(lines[0]).toContain(`127.0.0.1:${port}`);
    expect(existsSync(join(directory, 'out-unreachable'))).toBe(false);
  });
});

describe('client', () => {
  it('refuses an unknown scenario with exit 2 and one line', async () => {
    const outcome = await runCli(['client', '--command', 'true', '--scenario', 'auth/nope']);
    expect(outcome.status).toBe(2);
    expect(stderrLines(outcome)).toHaveLength(1);
    expect(stderrLines(outcome)[0]).toMatch(/^error: .*auth\/nope/);
  });
});

describe('run against the embedded reference system', () => {
  it('passes, prints a summary and writes all five reports', async () => {
    const out = join(directory, 'report');
    const outcome = await runCli(['run', '--out', out], 300_000);
    expect(outcome.stderr).toBe('');
    expect(outcome.stdout).toMatch(/^Total +\d+ +0 +\d+ +\d+ +\d+ +\d+$/m);
    expect(outcome.status).toBe(0);
    for (const { name } of REPORT_FILES) expect(existsSync(join(out, name)), name).toBe(true);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual([
      'tool',
      'target',
      'spec',
      'seed',
      'startedAt',
      'durationMs',
      'summary',
      'checks',
    ]);
    expect(report.spec).toBe('2025-11-25');
    const checks = report.checks as Record<string, unknown>[];
    expect(checks.length).toBeGreaterThan(0);
    expect(Object.keys(checks[0]!)).toEqual([
      'id',
      'suite',
      'title',
      'requirements',
      'level',
      'status',
      'message',
      'evidence',
    ]);
    expect(new Set(checks.map((check) => check.id)).size).toBe(checks.length);
  });

  it('fails a run whose baseline lists a check that passes', async () => {
    const baseline = await targetFile('stale-baseline.yml', 'server:\n  - discovery.as-issuer-matches\n');
    const outcome = await runCli(
      ['run', '--suite', 'discovery', '--expected-failures', baseline, '--out', join(directory, 'stale')],
      300_000,
    );
    expect(outcome.stdout).toContain(
      'Expected failure now passes: remove it from the baseline:\n  discovery.as-issuer-matches',
    );
    expect(outcome.status).toBe(1);
  });
});

describe('serve', () => {
  it('serves the reference system on loopback, prints its URLs and stops cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--auto-approve'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Press Ctrl-C to stop.')) resolve();
      });
      child.on('close', (status) => reject(new Error(`serve exited early (${status}): ${stdout}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await ready;
    const prm = /Protected resource metadata +(http:\/\/127\.0\.0\.1:\d+\S*)/.exec(stdout)?.[1];
    const resource = /MCP server \(protected resource\) +(\S+)/.exec(stdout)?.[1];
    expect(prm).toBeDefined();
    const metadata = (await (await fetch(prm!)).json()) as { resource?: string };
    expect(metadata.resource).toBe(resource);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toContain('Stopped.');
  });

  it('exits 2 with one line when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const outcome = await runCli(['serve', '--port', String(port)]);
      expect(outcome.status).toBe(2);
      const lines = stderrLines(outcome);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: .*EADDRINUSE/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
