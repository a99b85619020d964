import { afterEach, describe, expect, it } from 'vitest';
import { bridgeGlobalFetch } from './msw-bridge.ts';
import { collectExchanges, Network, NetworkError } from './network.ts';
import { serveOnLoopback } from './serve.ts';
import type { RecordedExchange } from './types.ts';

const json = (body: unknown, init: ResponseInit = {}) =>
  new Response(JSON.stringify(body), { ...init, headers: { 'content-type': 'application/json', ...init.headers } });

function networkWithEcho(options: ConstructorParameters<typeof Network>[0] = {}): Network {
  const network = new Network(options);
  network.mount('https://as.example.test', async (request) => {
    const url = new URL(request.url);
    if (url.pathname === '/hop') return new Response(null, { status: 302, headers: { location: '/end' } });
    if (url.pathname === '/loop') return new Response(null, { status: 302, headers: { location: '/loop' } });
    if (url.pathname === '/big') return new Response('x'.repeat(2048));
    if (url.pathname === '/slow') return new Promise<Response>(() => {});
    if (url.pathname === '/endless')
      return new Response(new ReadableStream({ start: (c) => c.enqueue(new Uint8Array(8)) }));
    return json({ path: url.pathname, method: request.method, body: request.body ? await request.text() : null });
  });
  return network;
}

describe('Network', () => {
  it('routes an https origin to its in-memory handler and records the exchange as evidence', async () => {
    const network = networkWithEcho();
    const evidence: RecordedExchange[] = [];
    const response = await collectExchanges(evidence, () =>
      network.fetch('https://as.example.test/token', { method: 'POST', body: 'grant_type=x' }),
    );
    expect(await response.json()).toEqual({ path: '/token', method: 'POST', body: 'grant_type=x' });
    expect(evidence).toHaveLength(1);
    expect(evidence[0]?.request).toMatchObject({
      method: 'POST',
      url: 'https://as.example.test/token',
      body: 'grant_type=x',
    });
    expect(evidence[0]?.response?.status).toBe(200);
  });

  it('keeps internal (system-side) calls out of the evidence', async () => {
    const network = networkWithEcho();
    const evidence: RecordedExchange[] = [];
    await collectExchanges(evidence, () => network.internalFetch('https://as.example.test/jwks'));
    expect(evidence).toEqual([]);
  });

  it('follows redirects hop by hop (each hop recorded), or hands back the 3xx with redirect: manual', async () => {
    const network = networkWithEcho();
    const evidence: RecordedExchange[] = [];
    const followed = await collectExchanges(evidence, () => network.fetch('https://as.example.test/hop'));
    expect(((await followed.json()) as { path: string }).path).toBe('/end');
    expect(evidence.map((exchange) => exchange.response?.status)).toEqual([302, 200]);
    const manual = await network.fetch('https://as.example.test/hop', { redirect: 'manual' });
    expect(manual.status).toBe(302);
    await expect(network.fetch('https://as.example.test/loop')).rejects.toThrow(/too many redirects/);
  });

  it('refuses hosts the target did not declare, naming them', async () => {
    const network = networkWithEcho();
    await expect(network.fetch('https://elsewhere.example/x')).rejects.toThrow(
      /refused to contact https:\/\/elsewhere\.example: host not declared/,
    );
  });

  it('caps response bodies and times out silent handlers', async () => {
    const network = networkWithEcho({ maxResponseBytes: 1024, timeoutMs: 50 });
    await expect(network.fetch('https://as.example.test/big')).rejects.toThrow(/larger than 1024 bytes/);
    await expect(network.fetch('https://as.example.test/slow')).rejects.toThrow(/no answer within 50 ms/);
    await expect(network.fetch('https://as.example.test/endless')).rejects.toThrow(/body did not end in time/);
  });

  it('applies fault hooks: latency, a substituted answer, a dropped connection; removable', async () => {
    const network = networkWithEcho();
    const remove = network.addFault({
      match: (request) => new URL(request.url).pathname === '/token',
      respond: () => json({ error: 'temporarily_unavailable' }, { status: 503 }),
    });
    expect((await network.fetch('https://as.example.test/token')).status).toBe(503);
    remove();
    expect((await network.fetch('https://as.example.test/token')).status).toBe(200);
    network.addFault({ match: () => true, drop: true, latencyMs: 5 });
    await expect(network.fetch('https://as.example.test/token')).rejects.toBeInstanceOf(NetworkError);
  });

  it('reaches declared loopback hosts over the wire, and names the URL when nobody answers', async () => {
    const served = await serveOnLoopback(async () => json({ served: true }));
    try {
      const network = new Network({ allowedHosts: [new URL(served.origin).host], timeoutMs: 2000 });
      expect(await (await network.fetch(`${served.origin}/x`)).json()).toEqual({ served: true });
    } finally {
      await served.close();
    }
    const network = new Network({ allowedHosts: [new URL(served.origin).host], timeoutMs: 2000 });
    await expect(network.fetch(`${served.origin}/x`)).rejects.toThrow(new RegExp(`${served.origin}/x failed`));
  });
});

describe('bridgeGlobalFetch', () => {
  let bridge: { close(): void } | undefined;
  afterEach(() => bridge?.close());

  it('routes the global fetch of third-party code into the in-memory network', async () => {
    const network = networkWithEcho();
    bridge = bridgeGlobalFetch(network);
    const response = await fetch('https://as.example.test/.well-known/oauth-authorization-server');
    expect(((await response.json()) as { path: string }).path).toBe('/.well-known/oauth-authorization-server');
    // Undeclared origins never leave the process: they get a network-error response.
    expect((await fetch('https://not-mounted.example/')).status).toBe(0);
  });
});
