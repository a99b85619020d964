import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../harness/clock.ts';
import { bridgeGlobalFetch } from '../harness/network/msw-bridge.ts';
import { Network } from '../harness/network/network.ts';
import { runGoodClientJourney } from '../mocks/clients/good-client.ts';
import type { Defect } from './defects.ts';
import { createTestIssuer } from './resource-server/test-issuer.ts';
import { mcpRequest, openSession, toolCall } from './resource-server/test-mcp.ts';
import { createReferenceSystem, type ReferenceSystem } from './system.ts';

const ECHOED = { content: [{ type: 'text', text: 'hello from the good client' }] };

describe('reference system in memory', () => {
  let bridge: { close(): void } | undefined;
  afterEach(() => {
    bridge?.close();
    bridge = undefined;
  });

  it('serves the good client journey through the global fetch (msw)', async () => {
    const system = await createReferenceSystem();
    const network = new Network();
    system.mount(network);
    bridge = bridgeGlobalFetch(network);
    const journey = await runGoodClientJourney({ mcpUrl: system.resource });
    expect(journey.toolResult).toMatchObject(ECHOED);
    expect(journey.steps).toHaveLength(7);
  });

  it('serves the good client journey through network.fetch, recording every exchange', async () => {
    const system = await createReferenceSystem();
    const network = new Network();
    system.mount(network);
    const urls: string[] = [];
    network.onExchange((exchange) => urls.push(`${exchange.request.method} ${exchange.request.url}`));
    const journey = await runGoodClientJourney({ mcpUrl: system.resource, fetch: network.fetch });
    expect(journey.toolResult).toMatchObject(ECHOED);
    expect(urls[0]).toBe('POST https://mcp.reference.test/mcp');
    expect(urls).toContain('GET https://mcp.reference.test/.well-known/oauth-protected-resource/mcp');
    expect(urls).toContain('GET https://as.reference.test/.well-known/oauth-authorization-server');
    expect(urls).toContain('POST https://as.reference.test/register');
    expect(urls).toContain('POST https://as.reference.test/token');
    expect(urls.some((url) => url.startsWith('GET https://as.reference.test/jwks'))).toBe(false);
  });

  it('refuses a token issued for the alternate resource', async () => {
    const system = await createReferenceSystem();
    const network = new Network();
    system.mount(network);
    const journey = await runGoodClientJourney({ mcpUrl: system.alternateResource, fetch: network.fetch });
    const response = await postAs(network, system.resource, journey.accessToken);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('serves the good client journey with opaque access tokens (introspection)', async () => {
    const system = await createReferenceSystem({ accessTokenFormat: 'opaque' });
    const network = new Network();
    system.mount(network);
    const journey = await runGoodClientJourney({ mcpUrl: system.resource, fetch: network.fetch });
    expect(journey.accessToken.split('.')).toHaveLength(1);
    expect(journey.toolResult).toMatchObject(ECHOED);
    expect((await postAs(network, system.alternateResource, journey.accessToken)).status).toBe(401);
  });

  it('refuses a revoked token (introspection), which it accepted before', async () => {
    const system = await createReferenceSystem();
    const network = new Network();
    system.mount(network);
    const journey = await runGoodClientJourney({ mcpUrl: system.resource, fetch: network.fetch });
    const listTools = () => postAs(network, system.resource, journey.accessToken);
    expect((await listTools()).status).toBe(200);
    const { jti } = decodeJwt(journey.accessToken);
    await system.authorizationServer.store.tokens.revoke(String(jti), Math.floor(system.clock.now() / 1000));
    const refused = await listTools();
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });
});

/** An MCP initialize with the token: the request every session starts with, authorized like any other. */
function postAs(network: Network, url: string, token: string): Promise<Response> {
  return network.fetch(mcpRequest(url, { token }));
}

async function signedInSystem(defects: Defect[], clock = new ManualClock(Date.UTC(2030, 0, 1))) {
  const system = await createReferenceSystem({ defects, clock });
  const network = new Network();
  system.mount(network);
  const journey = await runGoodClientJourney({ mcpUrl: system.resource, fetch: network.fetch });
  return { system, network, clock, token: journey.accessToken };
}

function unsignedCopy(token: string, system: ReferenceSystem): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = { ...decodeJwt(token), sub: 'mallory', aud: system.resource };
  return `${encode({ alg: 'none', typ: 'at+jwt' })}.${encode(claims)}.`;
}

describe('resource-server defects stay observable in the wired system (introspection does not mask them)', () => {
  it.each([[[]], [['expiry-unchecked']]] as Defect[][][])('an expired token with defects %j', async (defects) => {
    const { system, network, clock, token } = await signedInSystem(defects);
    clock.advance(3_600_000);
    const status = (await postAs(network, system.resource, token)).status;
    expect(status).toBe(defects.length ? 200 : 401);
  });

  it.each([[[]], [['signature-unchecked']]] as Defect[][][])(
    'an unsigned forged token with defects %j',
    async (defects) => {
      const { system, network, token } = await signedInSystem(defects);
      const status = (await postAs(network, system.resource, unsignedCopy(token, system))).status;
      expect(status).toBe(defects.length ? 200 : 401);
    },
  );
});

describe('further trusted issuers and the downstream API', () => {
  const LAB = 'https://token-lab.reference.test';
  const DOWNSTREAM = 'https://downstream.reference.test/api';
  const START = Date.UTC(2030, 0, 1);

  async function wiredSystem(defects: Defect[] = []) {
    const clock = new ManualClock(START);
    const system = await createReferenceSystem({
      clock,
      defects,
      extraTrustedIssuers: [{ issuer: LAB, requiredClaims: { acr: 'urn:mcp-auth-conformance:loa:2' } }],
      downstream: { url: DOWNSTREAM },
    });
    const network = new Network();
    system.mount(network);
    const lab = await createTestIssuer(LAB, system.resource);
    network.mount(LAB, lab.handler);
    const downstreamSaw: string[] = [];
    network.mount(new URL(DOWNSTREAM).origin, async (request) => {
      downstreamSaw.push(request.headers.get('authorization') ?? '');
      return Response.json({ ok: true });
    });
    return { system, network, lab, downstreamSaw, nowSeconds: Math.floor(START / 1000) };
  }

  it('accepts a token of the further issuer only with the claim its rule requires', async () => {
    const { system, network, lab, nowSeconds } = await wiredSystem();
    const withAcr = await lab.mint({ nowSeconds, claims: { acr: 'urn:mcp-auth-conformance:loa:2' } });
    expect((await postAs(network, system.resource, withAcr)).status).toBe(200);
    expect((await postAs(network, system.resource, await lab.mint({ nowSeconds }))).status).toBe(401);
  });

  it.each([
    [[], 'exchanged'],
    [['token-passthrough'], 'passthrough'],
  ] as [Defect[], string][])('downstream_report with defects %j', async (defects, credential) => {
    const { system, network, downstreamSaw } = await wiredSystem(defects);
    const { accessToken } = await runGoodClientJourney({ mcpUrl: system.resource, fetch: network.fetch });
    const opened = await openSession(network.fetch, system.resource, accessToken);
    if (!('sessionId' in opened)) throw new Error(`no session (${opened.refusal.status})`);
    const reply = await network.fetch(
      mcpRequest(system.resource, {
        token: accessToken,
        sessionId: opened.sessionId,
        body: toolCall('downstream_report'),
      }),
    );
    expect(await reply.json()).toMatchObject({ result: { structuredContent: { credential, status: 200 } } });
    expect(downstreamSaw).toHaveLength(1);
    const forwarded = (downstreamSaw[0] ?? '').replace(/^Bearer /, '');
    if (credential === 'passthrough') {
      expect(forwarded).toBe(accessToken);
      return;
    }
    expect(forwarded).not.toBe(accessToken);
    const claims = decodeJwt(forwarded);
    expect(claims).toMatchObject({
      aud: DOWNSTREAM,
      sub: decodeJwt(accessToken).sub,
      act: { sub: 'reference-mcp-server' },
    });
  });
});

describe('identity systems behind the reference consent flows', () => {
  it('serves its own homegrown API, upstream OpenID provider and SAML IdP when none are given', async () => {
    const system = await createReferenceSystem({ tenants: ['acme'] });
    expect(system.idps.homegrown).toBeDefined();
    expect(system.idps.upstreamOidc?.issuer).toBe('https://idp.upstream.test');
    expect(system.idps.saml?.entityId).toBe('https://idp.tenant.test/metadata');
    for (const origin of ['https://auth.homegrown.test', 'https://idp.upstream.test', 'https://idp.tenant.test']) {
      expect(system.handlers.has(origin)).toBe(true);
    }
    const clients = await system.authorizationServer.store.clients.list();
    const flowClient = clients.find((client) => client.client_id === system.flowClients.skipConsent);
    expect(flowClient).toMatchObject({ flow_id: 'consent', skip_consent: true, token_endpoint_auth_method: 'none' });
    expect(clients.map((client) => client.client_id)).toEqual(
      expect.arrayContaining(Object.values(system.flowClients)),
    );
  });

  it('uses the identity systems it is given, and brings none of its own', async () => {
    const system = await createReferenceSystem({ byoa: { homegrownAuth: 'https://corp.example' }, federation: {} });
    expect(system.idps).toEqual({});
    expect(system.handlers.has('https://auth.homegrown.test')).toBe(false);
    const clients = (await system.authorizationServer.store.clients.list()).map((client) => client.client_id);
    expect(clients).toContain(system.flowClients.signUpOrIn);
    expect(clients).not.toContain(system.flowClients.oidc);
  });
});
