import { beforeAll, describe, expect, it } from 'vitest';
import { createDownstreamObserver, type DownstreamObserver } from '../../../harness/downstream.ts';
import { Network } from '../../../harness/network/network.ts';
import { createReferenceSystem, type ReferenceSystem } from '../../../reference-server/system.ts';
import { JourneyError, runGoodClientJourney } from '../good-client.ts';
import { runDelegatingService } from './delegating-service.ts';

const DOWNSTREAM = 'https://downstream.reference.test/api';

describe('the delegating service agent (RFC 8693, seed 003)', () => {
  let system: ReferenceSystem;
  let network: Network;
  let observer: DownstreamObserver;
  let userToken: string;

  beforeAll(async () => {
    system = await createReferenceSystem({ downstream: { url: DOWNSTREAM } });
    network = new Network();
    system.mount(network);
    observer = createDownstreamObserver(DOWNSTREAM);
    network.mount(DOWNSTREAM, observer.handler);
    userToken = (await runGoodClientJourney({ mcpUrl: system.resource, fetch: network.fetch })).accessToken;
  });

  const run = (overrides: Partial<Parameters<typeof runDelegatingService>[0]> = {}) =>
    runDelegatingService({
      fetch: network.fetch,
      issuer: system.issuer,
      userToken,
      client: system.clients.exchange,
      downstreamUrl: DOWNSTREAM,
      ...overrides,
    });

  it('exchanges the user’s token as itself and calls the downstream API with the new token only', async () => {
    const result = await run();
    expect(result.issuedTokenType).toBe('urn:ietf:params:oauth:token-type:access_token');
    expect(result.delegation).toEqual({
      sub: 'user-alice',
      aud: DOWNSTREAM,
      actors: [system.clients.exchange.client_id],
    });
    expect(result.downstream.status).toBe(200);
    const received = observer.requests().at(-1)?.authorization;
    expect(received).toBe(`Bearer ${result.accessToken}`);
    expect(received).not.toContain(userToken);
    expect(result.steps).toHaveLength(3);
  });

  it('presents its own client_credentials token as actor token: act names that identity', async () => {
    const actor = { ...system.clients.m2m, resource: system.resource };
    const result = await run({ actor });
    expect(result.delegation).toMatchObject({ sub: 'user-alice', actors: [system.clients.m2m.client_id] });
    expect(result.steps).toHaveLength(4);
  });

  it('stops with a JourneyError when the exchange is refused', async () => {
    await expect(run({ userToken: 'not-a-token' })).rejects.toThrow(JourneyError);
    await expect(run({ downstreamUrl: 'https://unknown.example/api' })).rejects.toThrow(/invalid_target/);
  });
});
