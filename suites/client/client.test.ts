import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runClientConformance, scenarioCheckId } from '../../harness/client-mode/run.ts';
import type { CheckResult } from '../../harness/results.ts';
import type { Flaw } from '../../mocks/clients/misbehaving/flaws.ts';
import { CLIENT_SCENARIOS } from './index.ts';
import { CLIENT_REQUIREMENTS } from './requirements.ts';
import {
  basicDcr,
  issMismatch,
  PRE_REGISTERED_SCENARIOS,
  preRegistration,
  resourceMismatch,
  scopeFromWwwAuthenticate,
  stateMismatch,
  tokenEndpointAuthBasic,
  tokenEndpointAuthNone,
} from './scenarios.ts';

const ALL_SCENARIOS = [...new Set([...CLIENT_SCENARIOS, ...PRE_REGISTERED_SCENARIOS])];

const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const BIN = (name: string) => fileURLToPath(new URL(`../../mocks/clients/bin/${name}.ts`, import.meta.url));
const GOOD_CLIENT = `${TSX} ${BIN('good-client')}`;
const misbehaving = (flaw: Flaw) => `${TSX} ${BIN('misbehaving-client')} ${flaw}`;

const notPassing = (checks: CheckResult[]) =>
  checks.filter((check) => check.status !== 'PASS').map((check) => `${check.status} ${check.id}`);

/** Each misbehaving client, the scenario it runs, and the verdicts it must get (SKIPs aside). */
const MISBEHAVIOURS = [
  [
    'no-pkce',
    basicDcr,
    [
      'FAIL client.auth-basic-dcr.completes',
      'FAIL client.auth-basic-dcr.pkce-challenge-sent',
      'FAIL client.auth-basic-dcr.pkce-s256',
    ],
  ],
  ['drops-resource', basicDcr, ['FAIL client.auth-basic-dcr.resource-in-token']],
  ['token-in-query', basicDcr, ['FAIL client.auth-basic-dcr.no-token-in-query']],
  [
    'ignores-challenge-scope',
    scopeFromWwwAuthenticate,
    ['WARN client.auth-scope-from-www-authenticate.scope-from-challenge'],
  ],
  [
    'secret-in-both',
    tokenEndpointAuthBasic,
    [
      'FAIL client.auth-token-endpoint-auth-basic.completes',
      'FAIL client.auth-token-endpoint-auth-basic.token-auth-basic',
    ],
  ],
  ['ignores-state', stateMismatch, ['WARN client.auth-state-mismatch.rejects-state-mismatch']],
  ['ignores-iss', issMismatch, ['FAIL client.auth-iss-mismatch.rejects-iss-mismatch']],
  ['ignores-resource-mismatch', resourceMismatch, ['FAIL client.auth-resource-mismatch.rejects-resource-mismatch']],
  ['no-state', basicDcr, ['FAIL client.auth-basic-dcr.completes', 'WARN client.auth-basic-dcr.state-sent']],
  [
    'wrong-verifier',
    basicDcr,
    ['FAIL client.auth-basic-dcr.completes', 'FAIL client.auth-basic-dcr.pkce-verifier-matches'],
  ],
  [
    'drops-resource-in-authorization',
    basicDcr,
    ['FAIL client.auth-basic-dcr.completes', 'FAIL client.auth-basic-dcr.resource-in-authorization'],
  ],
  [
    'secret-for-public-client',
    tokenEndpointAuthNone,
    [
      'FAIL client.auth-token-endpoint-auth-none.completes',
      'FAIL client.auth-token-endpoint-auth-none.token-auth-none',
    ],
  ],
  [
    'unauthenticated-notification',
    basicDcr,
    ['FAIL client.auth-basic-dcr.completes', 'FAIL client.auth-basic-dcr.bearer-on-mcp'],
  ],
  [
    'http-redirect-uri',
    basicDcr,
    [
      'FAIL client.auth-basic-dcr.completes',
      'FAIL client.auth-basic-dcr.dcr-before-authorize',
      'FAIL client.auth-basic-dcr.redirect-uri-loopback-or-https',
    ],
  ],
  [
    'skips-as-metadata',
    basicDcr,
    [
      'FAIL client.auth-basic-dcr.completes',
      'FAIL client.auth-basic-dcr.as-metadata',
      'FAIL client.auth-basic-dcr.dcr-before-authorize',
    ],
  ],
  ['ignores-challenge-pointer', basicDcr, ['FAIL client.auth-basic-dcr.prm-from-challenge']],
] as const;

/** Checks shown to fail elsewhere: by the client that ignores its context (below) and in token-auth.test.ts. */
const FAILED_ELSEWHERE = ['client.uses-pre-registered-client', 'client.token-auth-post'];

describe('client conformance with the mock clients', () => {
  it('has a misbehaving client (or a named test) that fails every check', () => {
    const failed = new Set([
      ...MISBEHAVIOURS.flatMap(([, , verdicts]) => verdicts.map((verdict) => verdict.split('.').pop())),
      ...FAILED_ELSEWHERE.map((id) => id.split('.').pop()),
    ]);
    const checks = new Set(
      ALL_SCENARIOS.flatMap((scenario) => scenario.checks.map((check) => check.id.split('.').pop())),
    );
    expect([...checks].filter((name) => !failed.has(name))).toEqual([]);
  });

  it.each(ALL_SCENARIOS.map((scenario) => [scenario.name, scenario] as const))(
    'the good client passes every check of %s',
    async (_name, scenario) => {
      const { result } = await runClientConformance({ command: GOOD_CLIENT, scenarios: [scenario] });
      expect(notPassing(result.checks)).toEqual([]);
      expect(result.summary.PASS).toBe(scenario.checks.length);
    },
  );

  it.each(MISBEHAVIOURS)('the %s client fails the matching check', async (flaw, scenario, expected) => {
    const { result } = await runClientConformance({ command: misbehaving(flaw), scenarios: [scenario] });
    expect(notPassing(result.checks).filter((line) => !line.startsWith('SKIP'))).toEqual(expected);
    // The planted flaw's own check shows the requests that give it away.
    const flagged = expected.map((verdict) => verdict.split(' ')[1]).filter((id) => !id?.endsWith('.completes'));
    const withEvidence = result.checks.filter((check) => flagged.includes(check.id) && check.evidence.length > 0);
    expect(withEvidence.length).toBeGreaterThan(0);
  });

  it('a client that ignores the pre-registered credentials of the context is flagged and cannot finish', async () => {
    const { result } = await runClientConformance({
      command: `env -u MCP_CONFORMANCE_CONTEXT ${GOOD_CLIENT}`,
      scenarios: [preRegistration],
    });
    expect(notPassing(result.checks).filter((line) => !line.startsWith('SKIP'))).toEqual([
      'FAIL client.auth-pre-registration.completes',
      'WARN client.auth-pre-registration.uses-pre-registered-client',
    ]);
  });

  it('reports a hanging client as killed and never stalls the run', async () => {
    const hanging = `${JSON.stringify(process.execPath)} -e "setInterval(() => {}, 1000)"`;
    const { result, scenarios } = await runClientConformance({
      command: hanging,
      scenarios: [basicDcr],
      timeoutMs: 500,
    });
    expect(scenarios[0]?.process.timedOut).toBe(true);
    const completes = result.checks.find((check) => check.id === 'client.auth-basic-dcr.completes');
    expect(completes?.status).toBe('FAIL');
    expect(completes?.message).toMatch(/killed/);
  });

  it('reports a client that floods its output and crashes, keeping 1 MiB', async () => {
    const flooding = `${JSON.stringify(process.execPath)} -e "process.stdout.write('x'.repeat(2 ** 21), () => process.exit(4))"`;
    const { result, scenarios } = await runClientConformance({ command: flooding, scenarios: [basicDcr] });
    expect(scenarios[0]?.process.stdout.droppedBytes).toBe(2 ** 20);
    const completes = result.checks.find((check) => check.id === 'client.auth-basic-dcr.completes');
    expect(completes?.status).toBe('FAIL');
    expect(completes?.message).toMatch(/code 4.*1048576 bytes beyond/);
  });
});

describe('client scenarios', () => {
  it('cite only requirement IDs from the catalogue or the client additions', () => {
    const catalogue = new Set(
      readFileSync(new URL('../catalogue-ids.txt', import.meta.url), 'utf8')
        .split('\n')
        .filter(Boolean),
    );
    const cited = ALL_SCENARIOS.flatMap((scenario) => scenario.checks.flatMap((check) => check.requirements));
    expect(cited.filter((id) => !catalogue.has(id) && !(id in CLIENT_REQUIREMENTS))).toEqual([]);
  });

  it('give every verdict its own id across all scenarios', () => {
    const ids = ALL_SCENARIOS.flatMap((scenario) => scenario.checks.map((check) => scenarioCheckId(scenario, check)));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('give every check an id of the form client.<name>', () => {
    const ids = ALL_SCENARIOS.flatMap((scenario) => scenario.checks.map((check) => check.id));
    for (const id of ids) expect(id).toMatch(/^client\.[a-z0-9-]+$/);
  });
});
