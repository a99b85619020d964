import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult, Status } from '../harness/results.ts';
import { sampleCheck, sampleRun } from '../reports/sample-run.ts';
import { ExpectedFailuresError, judgeRun, loadExpectedFailures, parseExpectedFailures } from './expected-failures.ts';

function check(id: string, status: Status, suite = id.split('.')[0]!): CheckResult {
  return sampleCheck({ id, status, suite });
}

describe('judgeRun', () => {
  const run = sampleRun([
    check('pkce.rejects-plain', 'FAIL'),
    check('pkce.rejects-missing', 'FAIL'),
    check('discovery.prm', 'PASS'),
    check('discovery.scopes', 'WARN'),
    check('registration.cimd', 'SKIP'),
  ]);

  it('fails on any FAIL without a baseline', () => {
    expect(judgeRun(run)).toMatchObject({
      exitCode: 1,
      unexpectedFailures: ['pkce.rejects-plain', 'pkce.rejects-missing'],
      stalePasses: [],
    });
    expect(judgeRun(sampleRun([check('discovery.prm', 'PASS'), check('discovery.scopes', 'WARN')])).exitCode).toBe(0);
  });

  it('tolerates listed failures', () => {
    const judgement = judgeRun(run, { server: ['pkce.rejects-plain', 'pkce:pkce.rejects-missing'], client: [] });
    expect(judgement).toMatchObject({
      exitCode: 0,
      unexpectedFailures: [],
      stalePasses: [],
      expectedFailures: ['pkce.rejects-plain', 'pkce.rejects-missing'],
    });
  });

  it('accepts a whole suite as one entry', () => {
    expect(judgeRun(run, { server: ['pkce'], client: [] }).exitCode).toBe(0);
    expect(judgeRun(run, { server: ['pkce', 'discovery'], client: [] })).toMatchObject({
      exitCode: 1,
      stalePasses: ['discovery'],
    });
  });

  it('fails when a listed check passes or only warns: the baseline is stale', () => {
    const judgement = judgeRun(run, {
      server: ['pkce', 'discovery.prm', 'discovery.scopes'],
      client: [],
    });
    expect(judgement).toMatchObject({
      exitCode: 1,
      unexpectedFailures: [],
      stalePasses: ['discovery.prm', 'discovery.scopes'],
    });
  });

  it('does not judge entries for skipped or absent checks', () => {
    const judgement = judgeRun(run, { server: ['pkce', 'registration.cimd', 'no.such-check'], client: [] });
    expect(judgement).toMatchObject({ exitCode: 0, notJudged: ['registration.cimd', 'no.such-check'] });
  });

  it('ignores the client section for server runs', () => {
    expect(judgeRun(run, { server: [], client: ['pkce'] }).exitCode).toBe(1);
  });
});

describe('parseExpectedFailures', () => {
  it('reads the official format, a bare list and an empty file', () => {
    expect(parseExpectedFailures({ server: ['a.b'], client: ['c'] })).toEqual({ server: ['a.b'], client: ['c'] });
    expect(parseExpectedFailures({ client: ['c'] })).toEqual({ server: [], client: ['c'] });
    expect(parseExpectedFailures(['a.b', 'pkce'])).toEqual({ server: ['a.b', 'pkce'], client: [] });
    expect(parseExpectedFailures(null)).toEqual({ server: [], client: [] });
  });

  it.each([
    ['a scalar', 'pkce', /expected a "server:"\/"client:" mapping/],
    ['an unknown section', { servers: ['x'] }, /servers: unknown section/],
    ['a section that is not a list', { server: 'pkce' }, /server: must be a list/],
    ['an entry with a space after the colon', { server: [{ pkce: 'pkce.x' }] }, /server\[0\].*remove the space/],
    ['an empty entry', { server: [''] }, /server\[0\]: must be a check id/],
  ])('rejects %s', (_, document, reason) => {
    expect(() => parseExpectedFailures(document, 'baseline.yml')).toThrow(ExpectedFailuresError);
    expect(() => parseExpectedFailures(document, 'baseline.yml')).toThrow(reason);
  });
});

describe('loadExpectedFailures', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'baseline-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('loads YAML from disk', async () => {
    const path = join(directory, 'ok.yml');
    await writeFile(path, 'server:\n  - pkce.rejects-plain # known bug\n  - discovery\nclient: []\n');
    expect(await loadExpectedFailures(path)).toEqual({ server: ['pkce.rejects-plain', 'discovery'], client: [] });
  });

  it('names the file when it is missing or not YAML', async () => {
    await expect(loadExpectedFailures(join(directory, 'missing.yml'))).rejects.toThrow(
      /missing\.yml: cannot read .*ENOENT/,
    );
    const path = join(directory, 'bad.yml');
    await writeFile(path, 'server: [unclosed\n');
    await expect(loadExpectedFailures(path)).rejects.toThrow(/bad\.yml: not valid YAML/);
  });
});
