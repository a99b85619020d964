import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateTestCa } from '../harness/cimd/test-ca.ts';
import { freeLoopbackPorts } from '../harness/network/serve.ts';
import { runSimulation } from '../harness/simulation/engine.ts';
import { parseScenario } from '../harness/simulation/scenario.ts';
import type { SimulationResult } from '../harness/simulation/types.ts';
import { parseTargetFile } from '../harness/target.ts';
import { type ServedReferenceSystem, serveReferenceSystem } from '../reference-server/serve.ts';
import { REFERENCE_M2M_CLIENT } from '../reference-server/system.ts';

/**
 * `simulate --target` as an operator runs it against the reference system served on loopback (`serve
 * --auto-approve`): only what the target file declares can act, and the simulation reaches nothing but its hosts. The
 * users' client metadata documents are served over https at the target's `cimd.host`, certified by a test CA the AS
 * is told to trust.
 */
describe('a simulation of the served reference system, through a target file', () => {
  let served: ServedReferenceSystem;
  let caDirectory: string;
  let result: SimulationResult;

  beforeAll(async () => {
    const [cimdPort] = await freeLoopbackPorts(1);
    caDirectory = await mkdtemp(join(tmpdir(), 'simulate-ca-'));
    const cimd = { host: `https://127.0.0.1:${cimdPort}`, caFile: join(caDirectory, 'ca.pem') };
    const { ca } = await loadOrCreateTestCa(cimd.caFile);
    served = await serveReferenceSystem({
      port: 0,
      interaction: 'auto-approve',
      cimdAllowHosts: [new URL(cimd.host).host],
      cimdCa: ca.certificatePem,
    });
    const target = parseTargetFile({
      name: 'reference system (served)',
      resource: served.urls.resource,
      issuer: served.urls.issuer,
      allowInsecureHttp: true,
      scopes: { basic: 'mcp:tools' },
      clients: { m2m: REFERENCE_M2M_CLIENT, public: served.clients.public },
      login: { mode: 'auto' },
      cimd,
    });
    const scenario = parseScenario({
      name: 'served',
      durationS: 600,
      agents: 9,
      bucketS: 60,
      mix: { 'interactive-user': 2, 'm2m-agent': 1 },
      arrival: { kind: 'rate', perSecond: 0.1 },
      behaviour: {
        toolCallsPerSession: { min: 2, max: 2 },
        thinkTimeS: { min: 5, max: 10 },
        refreshReuseShare: 0,
        clientIdentity: { dcr: 1, cimd: 1, preRegistered: 1 },
      },
    });
    result = await runSimulation({ scenario, target, seed: 5 });
  });

  afterAll(async () => {
    await served?.close();
    if (caDirectory) await rm(caDirectory, { recursive: true, force: true });
  });

  it('runs interactive users and machine agents over loopback, every step succeeding, every invariant it can see kept', () => {
    expect(result.verdict).toBe('PASS');
    expect(result.target.kind).toBe('target-file');
    expect(result.totals.journeysCompleted).toBe(9);
    expect(result.steps.every((step) => step.successes === step.attempts)).toBe(true);
    expect(result.steps.find((step) => step.step === 'tool-call')?.successes).toBeGreaterThan(0);
    expect(result.invariants.find((figures) => figures.invariant === 'no-5xx')?.checked).toBe(result.totals.requests);
  });

  it('gives users registered, metadata-document and pre-registered clients, the documents fetched over https', () => {
    const { dcr, cimd, preRegistered } = result.clientIdentities;
    expect(dcr + cimd + preRegistered).toBe(result.actors['interactive-user']);
    expect(cimd).toBeGreaterThan(0);
    expect(preRegistered).toBeGreaterThan(0);
    expect(result.steps.find((step) => step.step === 'client-id-document')?.successes).toBe(cimd);
  });
});
