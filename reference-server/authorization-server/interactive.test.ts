import { describe, expect, it } from 'vitest';
import {
  authorizationParams,
  authorizeUrl,
  CookieJar,
  createTestServer,
  get,
  hiddenInput,
  ISSUER,
  postForm,
  redeem,
  redirectedTo,
  type TestServer,
} from './test-support.ts';

async function interactiveServer(issuer = ISSUER): Promise<TestServer> {
  return createTestServer({ interaction: 'interactive', issuer });
}

interface Browser {
  jar: CookieJar;
  open(url: string): Promise<Response>;
  submit(url: string, fields: Record<string, string>): Promise<Response>;
}

function browser(server: TestServer): Browser {
  const jar = new CookieJar();
  const remember = (response: Response) => {
    jar.store(response);
    return response;
  };
  return {
    jar,
    open: async (url) => remember(await get(server.handler, url, jar.header())),
    submit: async (url, fields) => remember(await postForm(server.handler, url, fields, jar.header())),
  };
}

async function startAuthorization(user: Browser, issuer = ISSUER) {
  const { params, pkce } = await authorizationParams();
  const response = await user.open(authorizeUrl(params, issuer));
  expect(response.status).toBe(302);
  return { next: redirectedTo(response)!, pkce };
}

function expectPageSecurityHeaders(response: Response): void {
  expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(response.headers.get('x-frame-options')).toBe('DENY');
}

describe('interactive login → consent → redirect', () => {
  it('signs in, consents, and redirects with a code that redeems', async () => {
    const server = await interactiveServer();
    const user = browser(server);
    const { next: login, pkce } = await startAuthorization(user);
    expect(login.pathname).toBe('/login');

    const loginPage = await user.open(login.href);
    expect(loginPage.status).toBe(200);
    expectPageSecurityHeaders(loginPage);
    const loginHtml = await loginPage.text();
    expect(loginHtml).toContain('<input id="username" name="username"');
    expect(loginHtml).toContain('<input id="password" name="password" type="password"');
    expect(loginHtml).toContain('<button type="submit">Sign in</button>');
    expect(loginHtml).toContain('Public Test Client');

    const signedIn = await user.submit(`${ISSUER}/login`, {
      txn: hiddenInput(loginHtml, 'txn'),
      csrf_token: hiddenInput(loginHtml, 'csrf_token'),
      username: 'alice',
      password: 'alice-password',
    });
    expect(signedIn.status).toBe(303);
    const consent = redirectedTo(signedIn)!;
    expect(consent.pathname).toBe('/consent');

    const consentPage = await user.open(consent.href);
    expectPageSecurityHeaders(consentPage);
    const consentHtml = await consentPage.text();
    expect(consentHtml).toContain('Public Test Client');
    expect(consentHtml).toContain('127.0.0.1:5555');
    expect(consentHtml).toContain('mcp:tools');
    expect(consentHtml).toContain('https://mcp.reference.test/mcp');
    expect(consentHtml).toContain('<button type="submit" name="decision" value="approve">Allow</button>');
    expect(consentHtml).toContain('value="deny"');

    const approved = await user.submit(`${ISSUER}/consent`, {
      txn: hiddenInput(consentHtml, 'txn'),
      csrf_token: hiddenInput(consentHtml, 'csrf_token'),
      decision: 'approve',
    });
    expect(approved.status).toBe(303);
    const callback = redirectedTo(approved)!;
    expect(callback.searchParams.get('state')).toBe('state-123');
    expect(callback.searchParams.get('iss')).toBe(ISSUER);
    const code = callback.searchParams.get('code')!;
    const response = await redeem(server, {
      code,
      verifier: pkce.verifier,
      redirectUri: 'http://127.0.0.1:5555/callback',
    });
    expect(response.status).toBe(200);
  });

  it('sets an HttpOnly, SameSite=Lax session cookie, Secure with __Host- on https', async () => {
    const server = await interactiveServer();
    const response = await get(server.handler, authorizeUrl((await authorizationParams()).params));
    const cookie = response.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^__Host-as_session=/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/');
    expect(cookie).toContain('Secure');
  });

  it('leaves Secure off on a plain-http loopback issuer', async () => {
    const server = await interactiveServer('http://127.0.0.1:9000');
    const response = await get(server.handler, authorizeUrl((await authorizationParams()).params, server.issuer));
    const cookie = response.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^as_session=/);
    expect(cookie).not.toContain('Secure');
    expect(redirectedTo(response)?.origin).toBe('http://127.0.0.1:9000');
  });

  it('shows the login page again with an error after a wrong password', async () => {
    const server = await interactiveServer();
    const user = browser(server);
    const { next } = await startAuthorization(user);
    const html = await (await user.open(next.href)).text();
    const again = await user.submit(`${ISSUER}/login`, {
      txn: hiddenInput(html, 'txn'),
      csrf_token: hiddenInput(html, 'csrf_token'),
      username: 'alice',
      password: 'wrong',
    });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('Wrong username or password');
  });

  it('refuses a login form without the CSRF token', async () => {
    const server = await interactiveServer();
    const user = browser(server);
    const { next } = await startAuthorization(user);
    const html = await (await user.open(next.href)).text();
    const response = await user.submit(`${ISSUER}/login`, {
      txn: hiddenInput(html, 'txn'),
      csrf_token: 'forged',
      username: 'alice',
      password: 'alice-password',
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('location')).toBeNull();
  });

  it('refuses a transaction from another browser', async () => {
    const server = await interactiveServer();
    const victim = browser(server);
    const { next } = await startAuthorization(victim);
    const attacker = browser(server);
    const response = await attacker.open(next.href);
    expect(response.status).toBe(400);
  });

  it('redirects access_denied when the user denies, and remembers the login', async () => {
    const server = await interactiveServer();
    const user = browser(server);
    const { next } = await startAuthorization(user);
    const loginHtml = await (await user.open(next.href)).text();
    await user.submit(`${ISSUER}/login`, {
      txn: hiddenInput(loginHtml, 'txn'),
      csrf_token: hiddenInput(loginHtml, 'csrf_token'),
      username: 'bob',
      password: 'bob-password',
    });
    const second = await startAuthorization(user);
    expect(second.next.pathname).toBe('/consent');
    const consentHtml = await (await user.open(second.next.href)).text();
    expect(consentHtml).toContain('Bob');
    const denied = await user.submit(`${ISSUER}/consent`, {
      txn: hiddenInput(consentHtml, 'txn'),
      csrf_token: hiddenInput(consentHtml, 'csrf_token'),
      decision: 'deny',
    });
    expect(denied.status).toBe(303);
    const callback = redirectedTo(denied)!;
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('state-123');
    expect(callback.searchParams.get('iss')).toBe(ISSUER);
  });

  it('expires pending transactions after 10 minutes', async () => {
    const server = await interactiveServer();
    const user = browser(server);
    const { next } = await startAuthorization(user);
    server.clock.advance(10 * 60_000 + 1);
    const response = await user.open(next.href);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('expired');
  });

  it('runs the same flow under a tenant issuer', async () => {
    const server = await interactiveServer();
    const tenant = `${ISSUER}/t/acme`;
    const user = browser(server);
    const { next } = await startAuthorization(user, tenant);
    expect(next.pathname).toBe('/t/acme/login');
    const html = await (await user.open(next.href)).text();
    const signedIn = await user.submit(`${tenant}/login`, {
      txn: hiddenInput(html, 'txn'),
      csrf_token: hiddenInput(html, 'csrf_token'),
      username: 'alice',
      password: 'alice-password',
    });
    expect(redirectedTo(signedIn)?.pathname).toBe('/t/acme/consent');
  });
});
