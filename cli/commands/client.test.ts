import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const CLIENT_BIN = (name: string) => fileURLToPath(new URL(`../../mocks/clients/bin/${name}.ts`, import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'client-cli-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function cli(args: string[]) {
  const outcome = spawnSync(process.execPath, [BIN, 'client', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: outcome.status, stdout: outcome.stdout, stderr: outcome.stderr.trim() };
}

describe('mcp-auth-conformance client', () => {
  it('exits 2 with one line for an unknown scenario, before running anything', () => {
    const outcome = cli(['--command', 'true', '--scenario', 'auth/nope']);
    expect(outcome.status).toBe(2);
    expect(outcome.stderr).toMatch(/^error: --scenario: unknown scenario "auth\/nope" \(known: auth\/basic-dcr, /);
  });

  it('exits 2 without --command', () => {
    const outcome = cli(['--suite', 'auth']);
    expect(outcome).toMatchObject({
      status: 2,
      stderr: 'error: --command: the command that starts the client is required',
    });
  });

  it('exits 0 for the good client and writes the reports', () => {
    const out = join(directory, 'good');
    const outcome = cli([
      '--command',
      `${TSX} ${CLIENT_BIN('good-client')}`,
      '--scenario',
      'auth/basic-dcr',
      '--out',
      out,
    ]);
    expect(outcome.stdout).toMatch(/^auth\/basic-dcr: client exited 0/m);
    expect(outcome.status).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
      summary: { FAIL: number; PASS: number };
    };
    expect(report.summary).toMatchObject({ FAIL: 0, PASS: 13 });
    expect(existsSync(join(out, 'checks.json'))).toBe(true);
  });

  it('exits 1 when a misbehaving client fails a check', () => {
    const out = join(directory, 'bad');
    const command = `${TSX} ${CLIENT_BIN('misbehaving-client')} drops-resource`;
    const outcome = cli(['--command', command, '--scenario', 'auth/basic-dcr', '--out', out]);
    expect(outcome.stdout).toMatch(/FAIL +client\.auth-basic-dcr\.resource-in-token/);
    expect(outcome.status).toBe(1);
  });
});
