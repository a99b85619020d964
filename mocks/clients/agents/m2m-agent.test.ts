import { describe, expect, it } from 'vitest';
import { Network } from '../../../harness/network/network.ts';
import { createReferenceSystem } from '../../../reference-server/system.ts';
import { runM2mAgent } from './m2m-agent.ts';

async function mountedSystem() {
  const system = await createReferenceSystem();
  const network = new Network();
  system.mount(network);
  return { system, network };
}

function mcpPost(network: Network, url: string, token: string): Promise<Response> {
  return network.fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
}

describe('m2m agent (client credentials, RFC 7009)', () => {
  it('discovers the AS, calls echo with a client credentials token, then revokes it', async () => {
    const { system, network } = await mountedSystem();
    const exchanges: string[] = [];
    network.onExchange((exchange) => exchanges.push(`${exchange.request.method} ${exchange.request.url}`));
    const run = await runM2mAgent({
      issuer: system.issuer,
      mcpUrl: system.resource,
      clientId: system.clients.m2m.client_id,
      clientSecret: system.clients.m2m.client_secret,
      fetch: network.fetch,
    });
    expect(run.toolResult).toMatchObject({ content: [{ type: 'text', text: 'hello from the m2m agent' }] });
    expect(run.steps).toHaveLength(4);
    expect(exchanges[0]).toBe('GET https://as.reference.test/.well-known/oauth-authorization-server');
    expect(exchanges).toContain('POST https://as.reference.test/token');
    expect(exchanges.at(-1)).toBe('POST https://as.reference.test/revoke');
    const afterRevocation = await mcpPost(network, system.resource, run.accessToken);
    expect(afterRevocation.status).toBe(401);
  });

  it('stops at the token endpoint when its secret is wrong', async () => {
    const { system, network } = await mountedSystem();
    const run = runM2mAgent({
      issuer: system.issuer,
      mcpUrl: system.resource,
      clientId: system.clients.m2m.client_id,
      clientSecret: 'wrong',
      fetch: network.fetch,
    });
    await expect(run).rejects.toMatchObject({ status: 401 });
  });
});
