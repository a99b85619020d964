import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diagnose, OFFICIAL_SUITE_SYMPTOMS, OUR_SUITE_SYMPTOMS } from './diagnoses.ts';
import { EXAMPLE_MATRIX } from './example-matrix.ts';
import { markdownTable } from './markdown.ts';
import {
  clientFailureLine,
  parseOfficialAuthScenarios,
  scenarioFromResultDir,
  summarizeScenario,
} from './official-results.ts';
import { checksOfScenario, judgeBroken, type OurCheck, scenarioPrefix } from './our-results.ts';

const ourCheck = (id: string, status: OurCheck['status'], requirements: string[]): OurCheck => ({
  id,
  status,
  requirements,
  level: 'MUST',
  message: 'm',
  evidence: [],
});

describe('reading the official suite output', () => {
  it('recovers the scenario name from a result folder', () => {
    expect(scenarioFromResultDir('auth/metadata-default-2026-11-22T07-16-24-315Z')).toBe('auth/metadata-default');
    expect(scenarioFromResultDir('initialize-2026-01-01T00-00-00-000Z')).toBe('initialize');
  });

  it('counts verdicts and fails a scenario with one FAILURE', () => {
    const result = summarizeScenario('auth/x', [
      { id: 'a', status: 'SUCCESS' },
      { id: 'b', status: 'FAILURE' },
      { id: 'c', status: 'INFO' },
    ]);
    expect([result.passed, result.failed, result.verdict]).toEqual([1, 1, 'FAIL']);
    expect(summarizeScenario('auth/y', [{ id: 'w', status: 'WARNING' }]).verdict).toBe('WARN');
  });

  it("finds the client's failure line", () => {
    expect(clientFailureLine('[auth/a] step\n[auth/a] failed: boom\n')).toBe('[auth/a] failed: boom');
    expect(clientFailureLine('all good\n')).toBeUndefined();
  });

  it('lists only the auth client scenarios of `conformance list`', () => {
    const listing =
      'Server scenarios:\n  - auth/not-a-client [x]\n\nClient scenarios (c):\n  - initialize [a]\n  - auth/basic-cimd [b]\n\nOther:\n  - auth/z\n';
    expect(parseOfficialAuthScenarios(listing)).toEqual(['auth/basic-cimd']);
  });
});

describe('judging a broken example in our report', () => {
  const checks = [
    ourCheck('client.auth-basic-dcr.completes', 'FAIL', ['CL-RUN-COMPLETES']),
    ourCheck('client.auth-basic-dcr.pkce-s256', 'FAIL', ['CL-PKCE-S256']),
  ];

  it('is caught when a check citing the requirement fails', () => {
    expect(judgeBroken(checks, ['CL-PKCE-S256'])).toBe('caught');
  });

  it('is caught elsewhere when only unrelated checks fail', () => {
    expect(judgeBroken(checks, ['CL-STATE'])).toBe('caught elsewhere');
  });

  it('is missed when everything passes', () => {
    expect(judgeBroken([ourCheck('client.a.b', 'PASS', ['CL-PKCE'])], ['CL-PKCE'])).toBe('missed');
  });

  it('selects the checks of one scenario by its verdict-id prefix', () => {
    expect(scenarioPrefix('auth/Basic-DCR')).toBe('client.auth-basic-dcr.');
    expect(checksOfScenario([...checks, ourCheck('client.auth-other.x', 'PASS', [])], 'auth/basic-dcr')).toHaveLength(
      2,
    );
  });
});

describe('diagnoses', () => {
  it('recognises the Basic credentials the official mock does not form-decode', () => {
    const found = diagnose(OFFICIAL_SUITE_SYMPTOMS, 'auth/pre-registration', "got 'pre%2Dregistered%2Dclient'");
    expect(found?.name).toBe('basic-auth-form-encoding');
  });

  it('keeps a scenario-bound symptom to its scenarios', () => {
    expect(diagnose(OFFICIAL_SUITE_SYMPTOMS, 'auth/other', 'anything')).toBeUndefined();
    expect(diagnose(OFFICIAL_SUITE_SYMPTOMS, 'auth/dpop', 'x')?.name).toBe('dpop-not-implemented');
  });

  it('recognises an official client that sends no state', () => {
    const message = 'no state parameter; the client cannot tell its own authorization responses from forged ones';
    expect(diagnose(OUR_SUITE_SYMPTOMS, 'auth/basic-dcr', message)?.name).toBe('no-state');
  });
});

describe('the example matrix', () => {
  it('names requirements for every broken example', () => {
    for (const row of EXAMPLE_MATRIX) {
      if (row.kind === 'broken') expect(row.ours.requirements.length, row.file).toBeGreaterThan(0);
    }
  });

  it('cites only requirement IDs of the catalogue', () => {
    const catalogue = new Set(
      readFileSync(new URL('../suites/catalogue-ids.txt', import.meta.url), 'utf8').split('\n'),
    );
    const cited = EXAMPLE_MATRIX.flatMap((row) => (row.kind === 'broken' ? row.ours.requirements : []));
    expect(cited.filter((id) => !catalogue.has(id))).toEqual([]);
  });
});

describe('markdown', () => {
  it('escapes pipes and newlines inside cells', () => {
    expect(markdownTable(['a'], [['x|y\nz']])).toBe('| a |\n| --- |\n| x\\|y z |');
  });
});
