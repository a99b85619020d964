import { decodeJwt } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../harness/clock.ts';
import { Network } from '../../../harness/network/network.ts';
import { createReferenceSystem, type ReferenceSystem } from '../../../reference-server/system.ts';
import { createWorkloadIssuer, type WorkloadIssuer } from '../../idps/workload/index.ts';
import { runWorkloadAgent } from './workload-agent.ts';

const WORKLOAD_ISSUER = 'https://workload.reference.test';

let system: ReferenceSystem;
let workload: WorkloadIssuer;
let network: Network;

beforeEach(async () => {
  const clock = new ManualClock(Date.now());
  system = await createReferenceSystem({ clock, workloadIssuer: WORKLOAD_ISSUER });
  workload = await createWorkloadIssuer({ issuer: WORKLOAD_ISSUER, clock, audience: system.issuer });
  network = new Network();
  system.mount(network);
  network.mount(WORKLOAD_ISSUER, workload.handler);
});

describe('workload agent', () => {
  it('exchanges its platform token by the JWT bearer grant and calls echo', async () => {
    const run = await runWorkloadAgent({
      fetch: network.fetch,
      mcpUrl: system.resource,
      client: system.clients.workload,
      platformToken: (audience) => workload.mint({ claims: { aud: audience } }),
    });
    expect(JSON.stringify(run.toolResult)).toContain('hello from the workload agent');
    expect(decodeJwt(run.accessToken)).toMatchObject({ aud: system.resource, sub: workload.workload.email });
    expect(run.steps).toHaveLength(5);
  });

  it('fails when its platform token comes from a key the issuer never published', async () => {
    await expect(
      runWorkloadAgent({
        fetch: network.fetch,
        mcpUrl: system.resource,
        client: system.clients.workload,
        platformToken: (audience) => workload.mint({ key: 'untrusted', claims: { aud: audience } }),
      }),
    ).rejects.toThrow(/refused the assertion: invalid_grant \(the assertion signature does not verify/);
  });
});
