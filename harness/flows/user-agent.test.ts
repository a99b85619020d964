import { describe, expect, it } from 'vitest';
import { Network, NetworkError } from '../network/network.ts';
import { type PageStop, type Stop, UserAgent, type UserAgentOptions } from './user-agent.ts';

const AS = 'https://as.flow.test';
const IDP = 'https://idp.flow.test';
const REDIRECT_URI = 'http://127.0.0.1:5555/callback';

type Route = (request: Request) => Response | Promise<Response>;

/** One origin's routes by "METHOD /path"; every request is logged. */
function site(routes: Record<string, Route>, log: string[]) {
  return async (request: Request) => {
    const url = new URL(request.url);
    const key = `${request.method} ${url.pathname}`;
    log.push(`${key}${request.method === 'POST' ? ` ${await request.clone().text()}` : ''}`);
    const route = routes[key];
    return route ? route(request) : new Response('not found', { status: 404 });
  };
}

const html = (body: string, status = 200, headers: Record<string, string> = {}) =>
  new Response(`<!doctype html><html><head><style>body{color:red}</style></head><body>${body}</body></html>`, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', ...headers },
  });

const redirect = (location: string, status = 302, headers: Record<string, string> = {}) =>
  new Response(null, { status, headers: { location, ...headers } });

function agentOn(routes: Record<string, Record<string, Route>>, options: Partial<UserAgentOptions> = {}) {
  const network = new Network();
  const log: string[] = [];
  for (const [origin, table] of Object.entries(routes)) network.mount(origin, site(table, log));
  return { agent: new UserAgent(network.fetch, { stopAt: [REDIRECT_URI], ...options }), log };
}

function asPage(stop: Stop): PageStop {
  if (stop.kind !== 'page') throw new Error(`expected a page, got a redirect to ${stop.url.href}`);
  return stop;
}

const LOGIN_FORM = `
  <form method="post" action="/flow">
    <input type="hidden" name="txn" value="t-1">
    <input type="hidden" name="csrf_token" value="c-1">
    <label>User <input name="username"></label>
    <input type="password" name="password">
    <button name="decision" value="approve">Allow</button>
    <button type="submit" name="decision" value="deny">Deny</button>
  </form>`;

describe('UserAgent', () => {
  it('reads forms: hidden values, inputs, named buttons and the action resolved against the page', async () => {
    const { agent } = agentOn({ [AS]: { 'GET /flow': () => html(LOGIN_FORM) } });
    const page = asPage(await agent.open(`${AS}/flow?txn=t-1`));
    const [form] = page.forms;
    expect(form?.action.href).toBe(`${AS}/flow`);
    expect(form?.method).toBe('POST');
    expect(form?.values).toEqual({ txn: 't-1', csrf_token: 'c-1', username: '', password: '' });
    expect(form?.inputs.map((input) => `${input.name}:${input.type}`)).toEqual([
      'txn:hidden',
      'csrf_token:hidden',
      'username:text',
      'password:password',
    ]);
    expect(form?.buttons).toEqual([
      { name: 'decision', value: 'approve' },
      { name: 'decision', value: 'deny' },
    ]);
  });

  it('keeps style and script out of the page text, and finds the first non-empty alert', async () => {
    const body = '<div role="alert"> </div><p>Sign in</p><p role="alert">Wrong   password</p><script>x()</script>';
    const { agent } = agentOn({ [AS]: { 'GET /flow': () => html(body, 400) } });
    const page = asPage(await agent.open(`${AS}/flow`));
    expect(page.status).toBe(400);
    expect(page.text).toBe('Sign in Wrong password');
    expect(page.alert).toBe('Wrong password');
  });

  it('submits the form with its own values, the filled ones on top, a pressed button, and omitted inputs left out', async () => {
    const { agent, log } = agentOn({
      [AS]: { 'GET /flow': () => html(LOGIN_FORM), 'POST /flow': () => html('<p>next</p>') },
    });
    const page = asPage(await agent.open(`${AS}/flow`));
    await agent.submit(page, { username: 'carol', password: 'pw' }, { button: { name: 'decision', value: 'deny' } });
    await agent.submit(page, { username: 'carol' }, { omit: ['csrf_token', 'password'] });
    expect(log.filter((line) => line.startsWith('POST'))).toEqual([
      'POST /flow txn=t-1&csrf_token=c-1&username=carol&password=pw&decision=deny',
      'POST /flow txn=t-1&username=carol',
    ]);
  });

  it('keeps cookies per host, sends them back only there, and deletes them on Max-Age=0', async () => {
    const { agent, log } = agentOn({
      [AS]: {
        'GET /start': () => redirect(`${IDP}/login`, 302, { 'set-cookie': 'as_session=s1; Path=/; HttpOnly' }),
        'GET /echo': (request) => html(`<p>${request.headers.get('cookie') ?? 'none'}</p>`),
        'GET /logout': () => html('<p>bye</p>', 200, { 'set-cookie': 'as_session=; Max-Age=0' }),
      },
      [IDP]: { 'GET /login': (request) => html(`<p>${request.headers.get('cookie') ?? 'none'}</p>`) },
    });
    expect(asPage(await agent.open(`${AS}/start`)).text).toBe('none');
    expect(asPage(await agent.open(`${AS}/echo`)).text).toBe('as_session=s1');
    await agent.open(`${AS}/logout`);
    expect(asPage(await agent.open(`${AS}/echo`)).text).toBe('none');
    expect(log).toContain('GET /login');
  });

  it('sets cookies by hand, and another() is a browser without them', async () => {
    const { agent } = agentOn({
      [AS]: { 'GET /echo': (request) => html(`<p>${request.headers.get('cookie') ?? 'none'}</p>`) },
    });
    agent.setCookie(AS, 'corp_session', 'tok');
    expect(asPage(await agent.open(`${AS}/echo`)).text).toBe('corp_session=tok');
    expect(asPage(await agent.another().open(`${AS}/echo`)).text).toBe('none');
  });

  it('turns a POST into a GET after 302/303 and repeats it after 307', async () => {
    const { agent, log } = agentOn({
      [AS]: {
        'POST /see-other': () => redirect('/landing', 303),
        'POST /temporary': () => redirect('/landing', 307),
        'GET /landing': () => html('<p>got</p>'),
        'POST /landing': () => html('<p>posted</p>'),
      },
    });
    const fields = new URLSearchParams({ password: 'pw' });
    expect(asPage(await agent.send(new URL(`${AS}/see-other`), 'POST', fields)).text).toBe('got');
    const repeated = asPage(await agent.send(new URL(`${AS}/temporary`), 'POST', fields));
    expect(repeated.text).toBe('posted');
    expect(repeated.hops.map((hop) => `${hop.method} ${hop.status}`)).toEqual(['POST 307', 'POST 200']);
    expect(log).toContain('POST /landing password=pw');
  });

  it('stops at the redirect URI without contacting it, with the response parameters', async () => {
    const { agent, log } = agentOn({
      [AS]: { 'GET /authorize': () => redirect(`${REDIRECT_URI}?code=c&state=s&iss=${encodeURIComponent(AS)}`) },
    });
    const stop = await agent.open(`${AS}/authorize`);
    expect(stop.kind).toBe('redirect');
    if (stop.kind !== 'redirect') return;
    expect(Object.fromEntries(stop.params)).toEqual({ code: 'c', state: 's', iss: AS });
    expect(stop.hops).toEqual([{ method: 'GET', url: `${AS}/authorize`, status: 302, location: expect.any(String) }]);
    expect(log).toEqual(['GET /authorize']);
  });

  it('lets onRedirect stop at a hop or send the browser elsewhere', async () => {
    const routes = {
      [AS]: { 'GET /go': () => redirect(`${IDP}/login?x=1`), 'GET /tampered': () => html('<p>tampered</p>') },
      [IDP]: { 'GET /login': () => html('<p>idp</p>') },
    };
    const stopping = agentOn(routes, { onRedirect: (url) => (url.origin === IDP ? 'stop' : url) });
    const stopped = await stopping.agent.open(`${AS}/go`);
    expect(stopped.kind === 'redirect' && stopped.url.href).toBe(`${IDP}/login?x=1`);
    expect(stopping.log).toEqual(['GET /go']);
    const rewriting = agentOn(routes, { onRedirect: () => new URL(`${AS}/tampered`) });
    expect(asPage(await rewriting.agent.open(`${AS}/go`)).text).toBe('tampered');
  });

  it('submits a SAML auto-post form as a browser would, unless told not to', async () => {
    const autoPost = `<form method="post" action="${AS}/acs"><input type="hidden" name="SAMLResponse" value="PHNhbWw+">
      <input type="hidden" name="RelayState" value="r1"></form>`;
    const routes = {
      [IDP]: { 'GET /sso': () => html(autoPost) },
      [AS]: { 'POST /acs': () => html('<p>signed in</p>') },
    };
    const following = agentOn(routes);
    expect(asPage(await following.agent.open(`${IDP}/sso`)).text).toBe('signed in');
    expect(following.log).toContain('POST /acs SAMLResponse=PHNhbWw%2B&RelayState=r1');
    const holding = agentOn(routes, { followAutoPost: false });
    const page = asPage(await holding.agent.open(`${IDP}/sso`));
    expect(page.forms[0]?.values.SAMLResponse).toBe('PHNhbWw+');
    expect(holding.log).toEqual(['GET /sso']);
  });

  it('gives up on a redirect loop with a NetworkError', async () => {
    const { agent } = agentOn({ [AS]: { 'GET /loop': () => redirect('/loop') } });
    await expect(agent.open(`${AS}/loop`)).rejects.toBeInstanceOf(NetworkError);
  });

  it('refuses to submit a page without a form', async () => {
    const { agent } = agentOn({ [AS]: { 'GET /plain': () => html('<p>no form</p>') } });
    const page = asPage(await agent.open(`${AS}/plain`));
    expect(() => agent.submit(page, {})).toThrow(NetworkError);
  });
});
