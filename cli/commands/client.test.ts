import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { scenarioCheckId } from '../../harness/client-mode/run.ts';
import type { Status } from '../../harness/results.ts';
import { sampleCheck, sampleRun } from '../../reports/sample-run.ts';
import { basicDcr, scopeFromWwwAuthenticate } from '../../suites/client/scenarios.ts';
import { judgeEntries, parseExpectedFailures } from '../expected-failures.ts';
import { clientEntryMatcher } from './client.ts';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const CLIENT_BIN = (name: string) => fileURLToPath(new URL(`../../mocks/clients/bin/${name}.ts`, import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'client-cli-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function baseline(name: string, yaml: string): string {
  const path = join(directory, name);
  writeFileSync(path, yaml);
  return path;
}

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
    expect(report.summary).toMatchObject({ FAIL: 0, PASS: basicDcr.checks.length });
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

describe('client --expected-failures', () => {
  const dropsResource = `${TSX} ${CLIENT_BIN('misbehaving-client')} drops-resource`;

  it('exits 2 for a missing baseline, before running the client', () => {
    const outcome = cli(['--command', 'true', '--expected-failures', join(directory, 'missing.yml')]);
    expect(outcome.status).toBe(2);
    expect(outcome.stderr).toMatch(/^error: .*missing\.yml: cannot read the expected-failures file \(ENOENT\)$/);
    expect(outcome.stdout).toBe('');
  });

  it('tolerates a listed failure (client: list of the official format)', () => {
    const file = baseline('listed.yml', 'server:\n  - pkce\nclient:\n  - client.auth-basic-dcr.resource-in-token\n');
    const out = join(directory, 'listed-report');
    const outcome = cli([
      '--command',
      dropsResource,
      '--scenario',
      'auth/basic-dcr',
      '--expected-failures',
      file,
      '--out',
      out,
    ]);
    expect(outcome.stdout).toContain(
      'Expected failures (listed in the baseline):\n  client.auth-basic-dcr.resource-in-token',
    );
    expect(outcome.stdout).toContain('Baseline check passed.');
    expect(outcome.status).toBe(0);
  });

  it('fails when a listed scenario now passes (bare list)', () => {
    const file = baseline('stale.yml', '- auth/basic-dcr\n');
    const outcome = cli([
      '--command',
      `${TSX} ${CLIENT_BIN('good-client')}`,
      '--scenario',
      'auth/basic-dcr',
      '--expected-failures',
      file,
      '--out',
      join(directory, 'stale-report'),
    ]);
    expect(outcome.stdout).toContain('Expected failure now passes: remove it from the baseline:\n  auth/basic-dcr');
    expect(outcome.status).toBe(1);
  });
});

describe('clientEntryMatcher', () => {
  const verdict = (scenario: typeof basicDcr, index: number, status: Status) =>
    sampleCheck({ id: scenarioCheckId(scenario, scenario.checks[index]!), suite: 'client', status });
  const run = sampleRun([
    verdict(basicDcr, 0, 'FAIL'),
    verdict(basicDcr, 1, 'PASS'),
    verdict(scopeFromWwwAuthenticate, 0, 'PASS'),
  ]);
  const judge = (entries: string[]) =>
    judgeEntries(run, entries, clientEntryMatcher([basicDcr, scopeFromWwwAuthenticate], scenarioCheckId));
  const failing = scenarioCheckId(basicDcr, basicDcr.checks[0]!);

  it('fails on an unlisted FAIL', () => {
    expect(judge([])).toMatchObject({ exitCode: 1, unexpectedFailures: [failing] });
  });

  it.each([
    ['the verdict id', failing],
    ['the scenario name', 'auth/basic-dcr'],
    ['the check id of every scenario', basicDcr.checks[0]!.id],
  ])('covers a failure by %s', (_, entry) => {
    expect(judge([entry])).toMatchObject({ expectedFailures: [failing], unexpectedFailures: [] });
  });

  it('judges a client suite entry across its scenarios, and a passing scenario entry as stale', () => {
    expect(judge(['auth'])).toMatchObject({ exitCode: 0, stalePasses: [] });
    expect(judge([failing, 'auth/scope-from-www-authenticate'])).toMatchObject({
      exitCode: 1,
      stalePasses: ['auth/scope-from-www-authenticate'],
    });
  });

  it('leaves unknown entries unjudged', () => {
    expect(judge([failing, 'auth/nope', 'client.nope'])).toMatchObject({
      exitCode: 0,
      notJudged: ['auth/nope', 'client.nope'],
    });
  });

  it('reads a bare list as client entries when asked to', () => {
    expect(parseExpectedFailures(['auth/basic-dcr'], 'baseline.yml', 'client')).toEqual({
      server: [],
      client: ['auth/basic-dcr'],
    });
  });
});
