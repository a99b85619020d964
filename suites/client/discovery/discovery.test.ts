import { describe, expect, it } from 'vitest';
import type { ClientRequest, ScenarioServer } from '../../../harness/client-mode/recorder.ts';
import type { ScenarioTraffic } from '../../../harness/client-mode/scenario.ts';
import { EXITED_CLEANLY } from '../made-up-traffic.ts';
import { itFailsTheMatchingChecks, itPassesWithTheGoodClient } from '../test-support.ts';
import { issuerRelativeTraffic, tenantIssuer } from './issuer-view.ts';
import { DISCOVERY_MISBEHAVIOURS } from './misbehaviours.ts';
import { asMetadataProbeOrder, prmDiscoveryOrder } from './probe-order.ts';
import { DISCOVERY_SCENARIOS } from './scenarios.ts';

const AS = 'http://127.0.0.1:1001';
const MCP = 'http://127.0.0.1:1002';

interface Exchange {
  server: ScenarioServer;
  url: string;
  status: number;
  method?: string;
  challenge?: string;
  body?: unknown;
}

/** Recorded traffic made of the exchanges given, in order. */
function trafficOf(exchanges: Exchange[]): ScenarioTraffic {
  const requests = exchanges.map(
    (exchange, index): ClientRequest => ({
      index,
      server: exchange.server,
      method: exchange.method ?? 'GET',
      url: new URL(exchange.url),
      headers: new Headers(),
      body: '',
      status: exchange.status,
      responseHeaders: new Headers(exchange.challenge ? { 'www-authenticate': exchange.challenge } : {}),
      ...(exchange.body !== undefined ? { responseBody: JSON.stringify(exchange.body) } : {}),
      evidence: { request: { method: 'GET', url: exchange.url, headers: {} }, startedAt: '', durationMs: 0 },
    }),
  );
  return {
    mcpUrl: `${MCP}/mcp`,
    issuer: AS,
    foreignOrigin: 'http://127.0.0.1:1003',
    requests,
    process: EXITED_CLEANLY,
  };
}

/** A 401 without a pointer, then the root PRM listing the tenant issuer, then the given AS metadata probes. */
function tenantDiscovery(probes: Exchange[]): ScenarioTraffic {
  return trafficOf([
    { server: 'mcp', url: `${MCP}/mcp`, method: 'POST', status: 401, challenge: 'Bearer scope="mcp:tools"' },
    { server: 'mcp', url: `${MCP}/.well-known/oauth-protected-resource/mcp`, status: 404 },
    {
      server: 'mcp',
      url: `${MCP}/.well-known/oauth-protected-resource`,
      status: 200,
      body: { resource: `${MCP}/mcp`, authorization_servers: [`${AS}/t/tenant1`] },
    },
    ...probes,
  ]);
}

describe('client discovery judges', () => {
  it('accepts the MCP order for a path issuer and flags OpenID Discovery asked before RFC 8414', () => {
    const inOrder = tenantDiscovery([
      { server: 'as', url: `${AS}/.well-known/oauth-authorization-server/t/tenant1`, status: 404 },
      { server: 'as', url: `${AS}/.well-known/openid-configuration/t/tenant1`, status: 404 },
      { server: 'as', url: `${AS}/t/tenant1/.well-known/openid-configuration`, status: 200 },
    ]);
    const skipping = tenantDiscovery([
      { server: 'as', url: `${AS}/t/tenant1/.well-known/openid-configuration`, status: 200 },
    ]);
    expect(asMetadataProbeOrder.judge(inOrder).outcome).toBe('observed');
    expect(asMetadataProbeOrder.judge(skipping).outcome).toBe('violated');
  });

  it('flags a client that stops after the path-inserted PRM URL answered 404', () => {
    const traffic = trafficOf([
      { server: 'mcp', url: `${MCP}/mcp`, method: 'POST', status: 401, challenge: 'Bearer scope="mcp:tools"' },
      { server: 'mcp', url: `${MCP}/.well-known/oauth-protected-resource/mcp`, status: 404 },
    ]);
    expect(prmDiscoveryOrder.judge(traffic).outcome).toBe('violated');
  });

  it("sees a path issuer's requests at the root and leaves out requests outside it", () => {
    const traffic = tenantDiscovery([
      { server: 'as', url: `${AS}/.well-known/oauth-authorization-server`, status: 404 },
      { server: 'as', url: `${AS}/.well-known/oauth-authorization-server/t/tenant1`, status: 200 },
      { server: 'as', url: `${AS}/t/tenant1/authorize?state=x`, status: 302 },
    ]);
    const seen = issuerRelativeTraffic(traffic, tenantIssuer('tenant1'))
      .requests.filter((request) => request.server === 'as')
      .map((request) => `${request.url.pathname}${request.url.search}`);
    expect(seen).toEqual(['/.well-known/oauth-authorization-server', '/authorize?state=x']);
  });
});

describe('client discovery scenarios', () => {
  itPassesWithTheGoodClient(DISCOVERY_SCENARIOS);
  itFailsTheMatchingChecks(DISCOVERY_MISBEHAVIOURS);
});
