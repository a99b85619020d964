import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runClientConformance, scenarioCheckId } from '../../harness/client-mode/run.ts';
import { CLIENT_SCENARIOS } from './index.ts';
import { ALL_MISBEHAVIOURS, BASE_MISBEHAVIOURS } from './misbehaviours.ts';
import { CLIENT_REQUIREMENTS } from './requirements.ts';
import {
  basicDcr,
  PRE_REGISTERED_SCENARIOS,
  preRegistration,
  REFUSAL_SCENARIOS,
  scopeFromWwwAuthenticate,
  tokenEndpointAuthNone,
} from './scenarios.ts';
import { GOOD_CLIENT, itFailsTheMatchingChecks, itPassesWithTheGoodClient, notPassing } from './test-support.ts';

const ALL_SCENARIOS = [...new Set([...CLIENT_SCENARIOS, ...PRE_REGISTERED_SCENARIOS])];
const BASE_SCENARIOS = [
  basicDcr,
  scopeFromWwwAuthenticate,
  tokenEndpointAuthNone,
  ...PRE_REGISTERED_SCENARIOS,
  ...REFUSAL_SCENARIOS,
];

/**
 * Checks shown to fail elsewhere: by the client that ignores its context (below), in token-auth.test.ts, and in
 * lifecycle/lifecycle.test.ts (a rejected token sent again while the renewal is under way).
 */
const FAILED_ELSEWHERE = ['client.uses-pre-registered-client', 'client.token-auth-post'];

describe('client conformance with the mock clients', () => {
  it('has a misbehaving client (or a named test) that fails every check', () => {
    const failed = new Set([
      ...ALL_MISBEHAVIOURS.flatMap(([, , verdicts]) => verdicts.map((verdict) => verdict.split('.').pop())),
      ...FAILED_ELSEWHERE.map((id) => id.split('.').pop()),
    ]);
    const checks = new Set(
      ALL_SCENARIOS.flatMap((scenario) => scenario.checks.map((check) => check.id.split('.').pop())),
    );
    expect([...checks].filter((name) => !failed.has(name))).toEqual([]);
  });

  itPassesWithTheGoodClient(BASE_SCENARIOS);

  itFailsTheMatchingChecks(BASE_MISBEHAVIOURS);

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
