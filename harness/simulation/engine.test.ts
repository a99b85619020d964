import { describe, expect, it } from 'vitest';
import type { Defect } from '../../reference-server/defects.ts';
import { runSimulation } from './engine.ts';
import type { InvariantName } from './invariants.ts';
import { parseScenario, type ScenarioInput } from './scenario.ts';
import type { SimulationResult } from './types.ts';

/** A small population: enough actors to see each fault and invariant, few enough to run in about a second. */
function scenario(overrides: Partial<ScenarioInput> = {}) {
  return parseScenario({
    name: 'test',
    durationS: 900,
    agents: 8,
    bucketS: 60,
    mix: { 'interactive-user': 1 },
    arrival: { kind: 'rate', perSecond: 0.1 },
    behaviour: {
      toolCallsPerSession: { min: 4, max: 4 },
      thinkTimeS: { min: 20, max: 40 },
      refreshAfterS: 60,
      federatedShare: 0,
      refreshReuseShare: 0,
      retryAfterS: 30,
      maxConsecutiveFailures: 20,
    },
    ...overrides,
  });
}

async function run(overrides: Partial<ScenarioInput>, defects: Defect[] = [], seed = 7) {
  return runSimulation({ scenario: scenario(overrides), defects, seed });
}

function invariant(result: SimulationResult, name: InvariantName) {
  return result.invariants.find((figures) => figures.invariant === name)!;
}

/** What must repeat for a seed: everything but the measured latencies and the run's own cost. */
function repeatable(result: SimulationResult) {
  return {
    actors: result.actors,
    totals: result.totals,
    steps: result.steps.map(({ latencyMs, ...rest }) => ({ ...rest, count: latencyMs.count })),
    buckets: result.timeline.buckets.map(({ p95Ms, ...rest }) => rest),
    invariants: result.invariants.map((figures) => [figures.invariant, figures.checked, figures.violations.length]),
  };
}

const mixed: Partial<ScenarioInput> = {
  mix: { 'interactive-user': 2, 'm2m-agent': 1, workload: 1, 'delegating-service': 1, 'ciba-agent': 1 },
  behaviour: { refreshAfterS: 60, federatedShare: 0.5, refreshReuseShare: 0.3, sessions: 2 },
};

describe('a simulation of the embedded reference system', () => {
  it('runs every kind of actor, keeps every invariant, and repeats itself exactly for a seed', async () => {
    const first = await run(mixed);
    expect(first.verdict).toBe('PASS');
    expect(Object.values(first.actors).reduce((sum, count) => sum + count, 0)).toBe(8);
    expect(first.totals.journeysCompleted).toBe(8);
    expect(first.steps.every((step) => step.successes === step.attempts)).toBe(true);
    expect(invariant(first, 'no-token-after-revocation').checked).toBeGreaterThan(0);
    expect(invariant(first, 'no-5xx').checked).toBe(first.totals.requests);
    const again = await run(mixed);
    expect(repeatable(again)).toEqual(repeatable(first));
    const otherSeed = await run(mixed, [], 8);
    expect(repeatable(otherSeed)).not.toEqual(repeatable(first));
  });
});

describe("interactive users' client identities", () => {
  const everyIdentity: Partial<ScenarioInput> = {
    agents: 12,
    behaviour: { federatedShare: 0, refreshReuseShare: 0, clientIdentity: { dcr: 1, cimd: 1, preRegistered: 1 } },
  };

  it('gets client_ids by registration, metadata document and pre-registration, each through to a tool call', async () => {
    const result = await run(everyIdentity);
    expect(result.verdict).toBe('PASS');
    expect(Object.values(result.clientIdentities).every((count) => count > 0)).toBe(true);
    const step = (name: string) => result.steps.find((figures) => figures.step === name);
    expect(step('registration')?.attempts).toBe(result.clientIdentities.dcr);
    expect(step('client-id-document')?.successes).toBe(result.clientIdentities.cimd);
    expect(step('tool-call')?.successes).toBeGreaterThan(0);
    expect(result.totals.journeysCompleted).toBe(12);
  });

  it('fails the metadata-document clients, and only them, when the AS does not advertise CIMD', async () => {
    const result = await run(everyIdentity, ['cimd-metadata-flag-missing']);
    const documents = result.steps.find((figures) => figures.step === 'client-id-document')!;
    expect(documents.successes).toBe(0);
    expect(documents.errors['cimd-not-supported']).toBeGreaterThan(0);
    expect(result.steps.find((figures) => figures.step === 'registration')?.errors).toEqual({});
  });
});

describe('each fault shows in the figures of its window', () => {
  it('idp-outage: consent-flow sign-ins fail during the outage and recover after', async () => {
    const result = await run({
      behaviour: { federatedShare: 1, refreshAfterS: 60, retryAfterS: 30, maxConsecutiveFailures: 20 },
      faults: [{ kind: 'idp-outage', startS: 100, endS: 400 }],
    });
    const [outage] = result.faults;
    expect(outage!.failuresDuring['interactive-user/authorize']).toBeGreaterThan(0);
    expect(outage!.successRateDuring).toBeLessThan(outage!.successRateBefore!);
    expect(outage).toMatchObject({ recovery: 'recovered', recoveredAfterS: expect.any(Number) });
    expect(invariant(result, 'no-5xx').violations).toEqual([]);
  });

  it('connector-500: the homegrown connector failing makes sign-ins fail, as OAuth errors', async () => {
    const result = await run({
      behaviour: { federatedShare: 1, refreshAfterS: 60, retryAfterS: 30, maxConsecutiveFailures: 20 },
      faults: [{ kind: 'connector-500', startS: 100, endS: 400 }],
    });
    expect(result.faults[0]!.failuresDuring['interactive-user/authorize']).toBeGreaterThan(0);
    expect(result.verdict).toBe('PASS');
  });

  it('judges recovery: a fault nobody meets leaves the rate unaffected; one lasting to the end leaves it unknown', async () => {
    const unmet = await run({ faults: [{ kind: 'connector-500', startS: 100, endS: 400 }] });
    expect(unmet.faults[0]).toMatchObject({ failuresDuring: {}, recovery: 'unaffected', recoveredAfterS: 0 });
    const toTheEnd = await run({
      behaviour: { federatedShare: 1, refreshAfterS: 60, retryAfterS: 30, maxConsecutiveFailures: 20 },
      faults: [{ kind: 'connector-500', startS: 100, endS: 900 }],
    });
    expect(toTheEnd.faults[0]).toMatchObject({
      successRateAfter: null,
      recovery: 'no-traffic-after',
      recoveredAfterS: null,
    });
  });

  it('idp-latency: workload token requests take the simulated latency', async () => {
    const result = await run({
      mix: { workload: 1 },
      faults: [{ kind: 'idp-latency', startS: 0, endS: 900, latencyMs: 5000 }],
    });
    const token = result.steps.find((step) => step.journey === 'workload' && step.step === 'token')!;
    expect(token.latencyMs.p50).toBeGreaterThanOrEqual(5000);
  });

  it('dropped-connections: steps fail with connection-dropped during the window only', async () => {
    const result = await run({
      faults: [{ kind: 'dropped-connections', startS: 30, endS: 300, rate: 0.5, target: 'mcp' }],
    });
    const errors = result.steps.flatMap((step) => Object.keys(step.errors));
    expect(errors).toContain('connection-dropped');
    expect(result.faults[0]!.successRateDuring).toBeLessThan(result.faults[0]!.successRateBefore!);
  });

  it('expiry-storm: every held token expires at once; the expired tokens are refused', async () => {
    const result = await run({
      behaviour: { refreshAfterS: 800, toolCallsPerSession: { min: 6, max: 6 }, maxConsecutiveFailures: 20 },
      faults: [{ kind: 'expiry-storm', startS: 150, jumpS: 3600 }],
    });
    expect(Object.keys(result.faults[0]!.failuresDuring)).toContain('interactive-user/tool-call');
    expect(invariant(result, 'no-token-after-expiry').checked).toBeGreaterThan(0);
    expect(result.verdict).toBe('PASS');
  });

  it('clock-skew: workloads whose clocks run slow have their assertions refused', async () => {
    const result = await run({
      mix: { workload: 1 },
      faults: [{ kind: 'clock-skew', startS: 0, endS: 900, offsetS: 600, share: 1 }],
    });
    const token = result.steps.find((step) => step.journey === 'workload' && step.step === 'token')!;
    expect(token.errors.invalid_grant).toBeGreaterThan(0);
  });

  it('jwks-rotation keeping the old key: tokens of both keys keep verifying (the MCP server re-reads the JWKS)', async () => {
    const result = await run({ faults: [{ kind: 'jwks-rotation', startS: 100 }] });
    expect(result.faults[0]!.fault).toMatchObject({ kind: 'jwks-rotation', startS: 100, endS: 100 });
    expect(result.totals.refreshes).toBeGreaterThan(0);
    expect(result.steps.filter((step) => step.successes !== step.attempts)).toEqual([]);
    expect(result.verdict).toBe('PASS');
  });

  it('jwks-rotation retiring the old key: its tokens are refused in simulated time, and actors recover', async () => {
    const result = await run({ faults: [{ kind: 'jwks-rotation', startS: 100, retireOld: true }] });
    const [rotation] = result.faults;
    const toolCall = result.steps.find((step) => step.step === 'tool-call')!;
    expect(rotation!.failuresDuring['interactive-user/tool-call']).toBeGreaterThan(0);
    expect(toolCall.errors).toEqual({ invalid_token: expect.any(Number) });
    expect(rotation!.successRateDuring).toBeLessThan(rotation!.successRateBefore!);
    expect(rotation).toMatchObject({ recovery: 'recovered', recoveredAfterS: expect.any(Number) });
    expect(result.totals.journeysCompleted).toBe(8);
  });
});

describe('each invariant can fail', () => {
  it('no-token-after-revocation, when the MCP server ignores revocation', async () => {
    const result = await run({}, ['revocation-unchecked']);
    expect(invariant(result, 'no-token-after-revocation').violations.length).toBeGreaterThan(0);
    expect(result.verdict).toBe('FAIL');
  });

  it('refresh-family-dead-after-reuse, when reuse leaves the family alive', async () => {
    const result = await run({ behaviour: { refreshAfterS: 30, refreshReuseShare: 1 } }, [
      'refresh-reuse-keeps-family',
    ]);
    const violations = invariant(result, 'refresh-family-dead-after-reuse').violations;
    expect(violations.length).toBeGreaterThan(0);
    expect(violations[0]).toMatchObject({ actor: expect.stringMatching(/^interactive-user-/) });
  });

  it('no-lost-consent, when consent is not remembered', async () => {
    const result = await run({ behaviour: { federatedShare: 1, sessions: 2, refreshAfterS: 60 } }, [
      'consent-not-remembered',
    ]);
    expect(invariant(result, 'no-lost-consent').violations.length).toBeGreaterThan(0);
  });

  it('no-token-after-expiry, when expired tokens are accepted', async () => {
    const result = await run({ behaviour: { refreshAfterS: 800 }, faults: [{ kind: 'expiry-storm', startS: 150 }] }, [
      'expiry-unchecked',
      'introspection-ignores-expiry',
    ]);
    expect(invariant(result, 'no-token-after-expiry').violations.length).toBeGreaterThan(0);
  });
});
