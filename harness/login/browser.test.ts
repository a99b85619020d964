import { Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Network } from '../network/network.ts';
import { type ServedHandler, serveOnLoopback } from '../network/serve.ts';
import type { RecordedExchange } from '../network/types.ts';
import { type BrowserLoginOptions, type BrowserStep, browserLoginDriver, fillTemplate } from './browser.ts';
import { findChromium } from './chromium.ts';
import type { AuthorizationResponse } from './types.ts';

const USER = { username: 'alice', password: 's3cret&pw' };
const STEPS: BrowserStep[] = [
  { fill: '#username', value: '{{username}}' },
  { fill: '#password', value: '{{password}}' },
  { click: 'button[type=submit]' },
];

/** A toy authorization server: a login form, a session cookie, a two-hop redirect back, and an error page. */
function toyAuthorizationServer(counters: { loginPages: number; pings: number }) {
  const app = new Hono();
  app.get('/authorize', (c) => {
    const redirectUri = c.req.query('redirect_uri') ?? '';
    const state = c.req.query('state') ?? '';
    if (getCookie(c, 'session') === 'alice') return c.redirect(withParams(redirectUri, { code: 'remembered', state }));
    counters.loginPages++;
    return c.html(`<!doctype html><form method="post" action="/login">
      <input type="hidden" name="redirect_uri" value="${redirectUri}"><input type="hidden" name="state" value="${state}">
      <input id="username" name="username"><input id="password" name="password" type="password">
      <button type="submit">Sign in</button></form>
      <script>fetch('/ping'); fetch('http://127.0.0.1:9/undeclared').catch(() => {});</script>`);
  });
  app.get('/ping', (c) => {
    counters.pings++;
    return c.json({ ok: true });
  });
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    if (form.username !== USER.username || form.password !== USER.password) {
      return c.html('<h1>Wrong password</h1>', 401);
    }
    setCookie(c, 'session', 'alice', { httpOnly: true, sameSite: 'Lax', path: '/' });
    return c.redirect(
      `/finish?${new URLSearchParams({ redirect_uri: String(form.redirect_uri), state: String(form.state) })}`,
    );
  });
  app.get('/finish', (c) =>
    c.redirect(withParams(c.req.query('redirect_uri') ?? '', { code: 'abc', state: c.req.query('state') ?? '' })),
  );
  app.get('/mismatch', (c) => c.redirect(`${c.req.query('registered')}?error=invalid_request&state=xyz`));
  app.get('/broken', (c) => c.html('<h1>invalid_request</h1><p>redirect_uri is not registered</p>', 400));
  return app;
}

function withParams(base: string, params: Record<string, string>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
}

const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)('browser login driver (needs Chromium: apt-get install chromium)', () => {
  const counters = { loginPages: 0, pings: 0, callbacks: 0 };
  let as: ServedHandler;
  let client: ServedHandler;
  let redirectUri: string;
  let network: Network;

  beforeAll(async () => {
    as = await serveOnLoopback((request) => Promise.resolve(toyAuthorizationServer(counters).fetch(request)));
    client = await serveOnLoopback(async () => {
      counters.callbacks++;
      return new Response('the client was contacted');
    });
    redirectUri = `${client.origin}/callback`;
    network = new Network({ allowedHosts: [new URL(as.origin).host, new URL(client.origin).host] });
  });
  afterAll(async () => {
    await as?.close();
    await client?.close();
  });

  async function withDriver<T>(
    extra: Partial<BrowserLoginOptions>,
    work: (authorize: (path: string) => Promise<AuthorizationResponse>) => Promise<T>,
  ): Promise<T> {
    const driver = await browserLoginDriver({ steps: STEPS, user: USER, network, stepTimeoutMs: 2000, ...extra });
    try {
      return await work((path) => driver.authorize({ url: new URL(path, as.origin), redirectUri }));
    } finally {
      await driver.close();
    }
  }

  const authorizePath = () => `/authorize?${new URLSearchParams({ redirect_uri: redirectUri, state: 'xyz' })}`;

  it('logs in and captures the redirect with the code; the redirect URI is never contacted', async () => {
    const exchanges: RecordedExchange[] = [];
    const reply = await withDriver({ onExchange: (e) => exchanges.push(e) }, (authorize) => authorize(authorizePath()));
    expect(reply.kind).toBe('redirect');
    if (reply.kind !== 'redirect') return;
    expect(reply.url.searchParams.get('code')).toBe('abc');
    expect(reply.url.searchParams.get('state')).toBe('xyz');
    expect(counters.callbacks).toBe(0);

    const login = exchanges.find((e) => e.request.method === 'POST');
    expect(login?.request.body).toContain('username=alice');
    expect(login?.request.body).toContain('password=[redacted]');
    expect(JSON.stringify(exchanges)).not.toContain('s3cret');
    expect(login?.response?.status).toBe(302);
    const finish = exchanges.find((e) => e.request.url.includes('/finish'));
    expect(finish?.response?.headers.location).toContain('code=abc');
    expect(exchanges.some((e) => e.request.url.endsWith('/ping') && e.response?.status === 200)).toBe(true);
    const refused = exchanges.find((e) => e.request.url.includes('/undeclared'));
    expect(refused?.error).toMatch(/not declared/);
    expect(exchanges.some((e) => e.request.url.startsWith(redirectUri))).toBe(false);
  });

  it('reports an error page (400) as no-redirect with its status and text', async () => {
    const reply = await withDriver({}, (authorize) => authorize('/broken'));
    expect(reply).toMatchObject({ kind: 'no-redirect', status: 400, url: `${as.origin}/broken` });
    if (reply.kind === 'no-redirect') expect(reply.body).toContain('redirect_uri is not registered');
  });

  it('ends with no-redirect when the login fails and no redirect comes', async () => {
    const reply = await withDriver(
      { user: { username: 'alice', password: 'wrong' }, stepTimeoutMs: 2000 },
      (authorize) => authorize(authorizePath()),
    );
    expect(reply).toMatchObject({ kind: 'no-redirect', status: 401 });
  });

  it('ends with no-redirect when a required step never finds its selector', async () => {
    const steps = [{ waitFor: '#no-such-field' }, ...STEPS];
    const reply = await withDriver({ steps, stepTimeoutMs: 300 }, (authorize) => authorize(authorizePath()));
    expect(reply).toMatchObject({ kind: 'no-redirect', status: 200 });
    if (reply.kind === 'no-redirect') expect(reply.url).toContain('/authorize');
  });

  it('skips optional steps whose selector does not appear', async () => {
    const steps = [{ click: '#cookie-banner-accept', optional: true }, ...STEPS];
    const reply = await withDriver({ steps }, (authorize) => authorize(authorizePath()));
    expect(reply.kind).toBe('redirect');
  });

  it('keeps the session: a second authorization redirects without running the steps', async () => {
    const before = counters.loginPages;
    const [first, second] = await withDriver({}, async (authorize) => [
      await authorize(authorizePath()),
      await authorize(authorizePath()),
    ]);
    expect(first?.kind === 'redirect' && first.url.searchParams.get('code')).toBe('abc');
    expect(second?.kind === 'redirect' && second.url.searchParams.get('code')).toBe('remembered');
    expect(counters.loginPages - before).toBe(1);
  });

  it("stops at the client's registered redirect URI when the AS sends an error there", async () => {
    const registeredRedirectUri = `${client.origin}/registered`;
    const driver = await browserLoginDriver({ steps: STEPS, user: USER, network });
    try {
      const url = new URL(`/mismatch?${new URLSearchParams({ registered: registeredRedirectUri })}`, as.origin);
      const reply = await driver.authorize({ url, redirectUri, registeredRedirectUri });
      expect(reply.kind === 'redirect' && reply.url.searchParams.get('error')).toBe('invalid_request');
      expect(counters.callbacks).toBe(0);
    } finally {
      await driver.close();
    }
  });

  it('refuses to load an authorization URL on an undeclared origin', async () => {
    const driver = await browserLoginDriver({ steps: STEPS, user: USER, network: new Network() });
    try {
      await expect(driver.authorize({ url: new URL(authorizePath(), as.origin), redirectUri })).rejects.toThrow(
        /could not load the authorization URL/,
      );
    } finally {
      await driver.close();
    }
  });
});

describe('login step templates', () => {
  it('substitutes the user into step values', () => {
    expect(fillTemplate('{{username}} / {{password}}', USER)).toBe('alice / s3cret&pw');
  });

  it('refuses a recipe that needs a user when the target has none', async () => {
    await expect(browserLoginDriver({ steps: STEPS, network: new Network() })).rejects.toThrow(/no "user"/);
  });
});
