import { afterEach, describe, expect, it, vi } from 'vitest';
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
    if (url.pathname === '/keep-body') return new Response(null, { status: 307, headers: { location: '/end' } });
    if (url.pathname === '/see-other') return new Response(null, { status: 303, headers: { location: '/end' } });
    if (url.pathname === '/chunks') return new Response(chunkedStream(['a', 'b', 'c', 'd', 'e']));
    if (url.pathname === '/endless')
      return new Response(new ReadableStream({ start: (c) => c.enqueue(new Uint8Array(8)) }));
    return json({ path: url.pathname, method: request.method, body: request.body ? await request.text() : null });
  });
  return network;
}

function chunkedStream(parts: string[]): ReadableStream<Uint8Array> {
  const pending = [...parts];
  return new ReadableStream({
    pull(controller) {
      const next = pending.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(next));
    },
  });
}

interface Echo {
  path: string;
  method: string;
  body: string | null;
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

  it('forwards and records a streamed request body, read once', async () => {
    const network = networkWithEcho();
    const evidence: RecordedExchange[] = [];
    const response = await collectExchanges(evidence, () =>
      network.fetch('https://as.example.test/upload', {
        method: 'POST',
        body: chunkedStream(['{"a":', '1}']),
        duplex: 'half',
      } as RequestInit),
    );
    expect(await response.json()).toEqual({ path: '/upload', method: 'POST', body: '{"a":1}' });
    expect(evidence[0]?.request.body).toBe('{"a":1}');
  });

  it('records form parameters as sent, with the content type fetch gives them', async () => {
    const network = networkWithEcho();
    const evidence: RecordedExchange[] = [];
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: 'a b' });
    const response = await collectExchanges(evidence, () =>
      network.fetch('https://as.example.test/token', { method: 'POST', body: form }),
    );
    expect(((await response.json()) as Echo).body).toBe('grant_type=client_credentials&scope=a+b');
    expect(evidence[0]?.request.body).toBe('grant_type=client_credentials&scope=a+b');
    expect(evidence[0]?.request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
  });

  it('takes the body of a Request given as input', async () => {
    const network = networkWithEcho();
    const evidence: RecordedExchange[] = [];
    const request = new Request('https://as.example.test/register', { method: 'POST', body: '{"x":1}' });
    const response = await collectExchanges(evidence, () => network.fetch(request));
    expect(((await response.json()) as Echo).body).toBe('{"x":1}');
    expect(evidence[0]?.request.body).toBe('{"x":1}');
  });

  it('resends the body on a 307 hop and drops it on a 303 hop, recording each hop', async () => {
    const network = networkWithEcho();
    const evidence: RecordedExchange[] = [];
    const kept = await collectExchanges(evidence, () =>
      network.fetch('https://as.example.test/keep-body', { method: 'POST', body: 'payload' }),
    );
    expect(await kept.json()).toEqual({ path: '/end', method: 'POST', body: 'payload' });
    const dropped = await network.fetch('https://as.example.test/see-other', { method: 'POST', body: 'payload' });
    expect(await dropped.json()).toEqual({ path: '/end', method: 'GET', body: null });
    expect(evidence.map((exchange) => [exchange.request.url, exchange.request.body])).toEqual([
      ['https://as.example.test/keep-body', 'payload'],
      ['https://as.example.test/end', 'payload'],
    ]);
  });

  it('reads a many-chunk answer whole under one deadline timer for the exchange', async () => {
    const network = networkWithEcho();
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      const response = await network.fetch('https://as.example.test/chunks');
      expect(await response.text()).toBe('abcde');
      expect(timers).toHaveBeenCalledTimes(1);
    } finally {
      timers.mockRestore();
    }
  });

  it('records no evidence and decodes nothing for internal calls, yet still caps them', async () => {
    const network = networkWithEcho({ maxResponseBytes: 1024 });
    const seen: RecordedExchange[] = [];
    network.onExchange((exchange) => seen.push(exchange));
    await expect(network.internalFetch('https://as.example.test/big')).rejects.toThrow(/larger than 1024 bytes/);
    expect(seen).toEqual([]);
  });

  it('passes mounted answers through uncopied when asked to, for unrecorded calls only, still within the deadline', async () => {
    const network = networkWithEcho({ maxResponseBytes: 1024, timeoutMs: 50, passMountedAnswersThrough: true });
    const big = await network.internalFetch('https://as.example.test/big');
    expect((await big.text()).length).toBeGreaterThan(1024);
    await expect(network.internalFetch('https://as.example.test/slow')).rejects.toThrow(/no answer within 50 ms/);
    await expect(network.fetch('https://as.example.test/big')).rejects.toThrow(/larger than 1024 bytes/);
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
