import { describe, expect, it } from 'vitest';
import { createDownstreamObserver, serveDownstreamObserver } from './downstream.ts';
import { serveOnLoopback } from './network/serve.ts';

describe('downstream observer', () => {
  it('answers 200 {"ok":true} and records method, url and Authorization', async () => {
    const observer = createDownstreamObserver('https://downstream.reference.test/api');
    const reply = await observer.handler(
      new Request('https://downstream.reference.test/api?x=1', { headers: { Authorization: 'Bearer exchanged' } }),
    );
    expect(reply.status).toBe(200);
    expect(await reply.json()).toEqual({ ok: true });
    await observer.handler(new Request('https://downstream.reference.test/other', { method: 'POST', body: 'hi' }));
    expect(observer.requests()).toEqual([
      { method: 'GET', url: 'https://downstream.reference.test/api?x=1', authorization: 'Bearer exchanged' },
      { method: 'POST', url: 'https://downstream.reference.test/other' },
    ]);
  });

  it('hands out copies, so callers cannot rewrite what was observed', async () => {
    const observer = createDownstreamObserver('https://downstream.reference.test/api');
    await observer.handler(new Request('https://downstream.reference.test/api'));
    observer.requests().pop();
    expect(observer.requests()).toHaveLength(1);
  });

  it('serves on the loopback port of its URL, then closes', async () => {
    const probe = await serveOnLoopback(async () => new Response());
    await probe.close();
    const url = `http://127.0.0.1:${probe.port}/api`;
    const observer = createDownstreamObserver(url);
    const served = await serveDownstreamObserver(observer);
    try {
      const reply = await fetch(url, { method: 'DELETE', headers: { Authorization: 'Bearer t' } });
      expect(await reply.json()).toEqual({ ok: true });
    } finally {
      await served.close();
    }
    expect(observer.requests()).toEqual([{ method: 'DELETE', url, authorization: 'Bearer t' }]);
  });

  it('refuses a URL that is not on loopback with a port, naming downstream.url', async () => {
    for (const url of ['https://downstream.reference.test/api', 'http://localhost/api', 'not a url']) {
      await expect(serveDownstreamObserver(createDownstreamObserver(url))).rejects.toThrow(/^downstream\.url: /);
    }
  });
});
