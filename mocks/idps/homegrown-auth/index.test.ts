import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../harness/clock.ts';
import {
  createHomegrownAuth,
  DEFAULT_HOMEGROWN_USERS,
  DEFAULT_SESSION_TTL_SECONDS,
  HOMEGROWN_ROUTES,
  HOMEGROWN_SESSION_COOKIE,
  type HomegrownAuth,
  type HomegrownRoute,
} from './index.ts';

const ORIGIN = 'https://auth.corp.test';
const CAROL = DEFAULT_HOMEGROWN_USERS[0]!;
const DAVE = DEFAULT_HOMEGROWN_USERS[1]!;

let clock: ManualClock;
let auth: HomegrownAuth;

beforeEach(() => {
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  auth = createHomegrownAuth({ clock, latencyMs: 1000 });
});

afterEach(() => {
  vi.useRealTimers();
});

function call(path: string, init: RequestInit = {}): Promise<Response> {
  return auth.handler(new Request(`${ORIGIN}${path}`, init));
}

function postJson(path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return call(path, {
    ...init,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
    body: JSON.stringify(body),
  });
}

function postForm(path: string, fields: Record<string, string>): Promise<Response> {
  return call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
}

async function loginAs(email: string, password: string): Promise<string> {
  const response = await postJson('/login', { email, password });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { session_token: string };
  return body.session_token;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function expectError(response: Response, status: number, error: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('content-type')).toContain('application/json');
  expect(((await response.json()) as { error: string }).error).toBe(error);
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await postForm('/introspect', { token });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('POST /login', () => {
  it('accepts the right e-mail and password and returns the user, a session token and an HttpOnly cookie', async () => {
    const response = await postJson('/login', { email: CAROL.email, password: CAROL.password });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { user: unknown; session_token: string; expires_in: number };
    expect(body.user).toEqual({
      id: CAROL.id,
      email: CAROL.email,
      name: CAROL.name,
      externalId: CAROL.externalId,
      roles: CAROL.roles,
    });
    expect(body.session_token).toMatch(/^hg_sess_[\w-]{40,}$/);
    expect(body.expires_in).toBe(DEFAULT_SESSION_TTL_SECONDS);
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`${HOMEGROWN_SESSION_COOKIE}=${body.session_token}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
  });

  it('accepts a username (the e-mail local part, any case) and a form body', async () => {
    const response = await postForm('/login', { username: 'DAVE', password: DAVE.password });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { user: { id: string } }).user.id).toBe(DAVE.id);
  });

  it('gives each login its own session token', async () => {
    const first = await loginAs(CAROL.email, CAROL.password);
    const second = await loginAs(CAROL.email, CAROL.password);
    expect(first).not.toBe(second);
  });

  it('refuses a wrong password or an unknown user with 401 invalid_credentials', async () => {
    await expectError(
      await postJson('/login', { email: CAROL.email, password: DAVE.password }),
      401,
      'invalid_credentials',
    );
    await expectError(
      await postJson('/login', { email: 'eve@corp.example', password: 'x' }),
      401,
      'invalid_credentials',
    );
  });

  it.each([
    ['not JSON', '{"email": '],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['no password', JSON.stringify({ email: CAROL.email })],
    ['no identifier', JSON.stringify({ password: CAROL.password })],
    ['a non-string password', JSON.stringify({ email: CAROL.email, password: 42 })],
    ['an empty body', ''],
  ])('answers 400 invalid_request to %s', async (_label, body) => {
    const response = await call('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await expectError(response, 400, 'invalid_request');
  });

  it('answers 405 with Allow to a GET', async () => {
    const response = await call('/login');
    expect(response.headers.get('allow')).toBe('POST');
    await expectError(response, 405, 'method_not_allowed');
  });

  it('knows custom users', async () => {
    auth = createHomegrownAuth({
      clock,
      users: [{ id: 'u-1', email: 'erin@corp.example', password: 'pw', name: 'Erin' }],
    });
    const response = await postJson('/login', { email: 'erin@corp.example', password: 'pw' });
    const body = (await response.json()) as { user: unknown };
    expect(body.user).toEqual({ id: 'u-1', email: 'erin@corp.example', name: 'Erin', externalId: null, roles: [] });
    await expectError(
      await postJson('/login', { email: CAROL.email, password: CAROL.password }),
      401,
      'invalid_credentials',
    );
  });
});

describe('GET /userinfo', () => {
  it('answers the user for a Bearer session token', async () => {
    const token = await loginAs(CAROL.email, CAROL.password);
    const response = await call('/userinfo', { headers: bearer(token) });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({
      sub: CAROL.id,
      id: CAROL.id,
      email: CAROL.email,
      roles: CAROL.roles,
    });
  });

  it('answers the user for the session cookie', async () => {
    const token = await loginAs(DAVE.email, DAVE.password);
    const response = await call('/userinfo', {
      headers: { cookie: `theme=dark; ${HOMEGROWN_SESSION_COOKIE}=${token}` },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { email: string }).email).toBe(DAVE.email);
  });

  it('answers 401 with a bare Bearer challenge when no session is presented', async () => {
    const response = await call('/userinfo');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="corp"');
  });

  it.each([
    ['an unknown token', 'hg_sess_nope'],
    ['a token with a space', 'two words'],
  ])('answers 401 invalid_token to %s', async (_label, token) => {
    const response = await call('/userinfo', { headers: bearer(token) });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate') ?? '').toMatch(/^Bearer /);
  });

  it('answers 401 invalid_token to a Basic header and an unknown cookie', async () => {
    const basic = await call('/userinfo', { headers: { authorization: 'Basic Y2Fyb2w6eA==' } });
    expect(basic.status).toBe(401);
    const cookie = await call('/userinfo', { headers: { cookie: `${HOMEGROWN_SESSION_COOKIE}=forged` } });
    expect(cookie.status).toBe(401);
    expect(cookie.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('answers 405 to a POST', async () => {
    await expectError(await call('/userinfo', { method: 'POST' }), 405, 'method_not_allowed');
  });
});

describe('POST /introspect', () => {
  it('describes a live session, RFC 7662 style, from a form body', async () => {
    const token = await loginAs(CAROL.email, CAROL.password);
    const issuedAt = Math.floor(clock.now() / 1000);
    expect(await introspect(token)).toMatchObject({
      active: true,
      sub: CAROL.id,
      email: CAROL.email,
      username: CAROL.email,
      externalId: CAROL.externalId,
      iat: issuedAt,
      exp: issuedAt + DEFAULT_SESSION_TTL_SECONDS,
    });
  });

  it('accepts a JSON body', async () => {
    const token = await loginAs(DAVE.email, DAVE.password);
    const response = await postJson('/introspect', { token });
    expect(await response.json()).toMatchObject({ active: true, sub: DAVE.id });
  });

  it('answers exactly {active:false} to an unknown token', async () => {
    expect(await introspect('hg_sess_unknown')).toEqual({ active: false });
  });

  it.each([
    ['no token', JSON.stringify({})],
    ['a non-string token', JSON.stringify({ token: 7 })],
    ['broken JSON', '{'],
  ])('answers 400 invalid_request to %s', async (_label, body) => {
    const response = await call('/introspect', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await expectError(response, 400, 'invalid_request');
  });
});

describe('POST /logout', () => {
  it('revokes the Bearer session and clears the cookie', async () => {
    const token = await loginAs(CAROL.email, CAROL.password);
    const response = await call('/logout', { method: 'POST', headers: bearer(token) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ revoked: true });
    expect(response.headers.get('set-cookie')).toContain(`${HOMEGROWN_SESSION_COOKIE}=; Path=/; Max-Age=0`);
    expect(await introspect(token)).toEqual({ active: false });
    const userinfo = await call('/userinfo', { headers: bearer(token) });
    expect(userinfo.headers.get('www-authenticate')).toContain('session revoked');
  });

  it('revokes a session given by cookie or in the body, and only that one', async () => {
    const byCookie = await loginAs(CAROL.email, CAROL.password);
    const byBody = await loginAs(CAROL.email, CAROL.password);
    const other = await loginAs(CAROL.email, CAROL.password);
    await call('/logout', { method: 'POST', headers: { cookie: `${HOMEGROWN_SESSION_COOKIE}=${byCookie}` } });
    await postJson('/logout', { token: byBody });
    expect((await introspect(byCookie)).active).toBe(false);
    expect((await introspect(byBody)).active).toBe(false);
    expect((await introspect(other)).active).toBe(true);
  });

  it('answers 200 {revoked:false} to an unknown token and 400 when no token is given', async () => {
    const unknown = await call('/logout', { method: 'POST', headers: bearer('hg_sess_unknown') });
    expect(await unknown.json()).toEqual({ revoked: false });
    await expectError(await call('/logout', { method: 'POST' }), 400, 'invalid_request');
  });
});

describe('sessions', () => {
  it('expire after one hour on the injected clock', async () => {
    const token = await loginAs(CAROL.email, CAROL.password);
    clock.advance(DEFAULT_SESSION_TTL_SECONDS * 1000 - 1);
    expect((await introspect(token)).active).toBe(true);
    clock.advance(1);
    expect(await introspect(token)).toEqual({ active: false });
    const response = await call('/userinfo', { headers: bearer(token) });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('session expired');
  });

  it('take their lifetime from sessionTtlSeconds', async () => {
    auth = createHomegrownAuth({ clock, sessionTtlSeconds: 60 });
    const token = await loginAs(CAROL.email, CAROL.password);
    expect((await introspect(token)).exp).toBe(Math.floor(clock.now() / 1000) + 60);
    clock.advance(60_000);
    expect((await introspect(token)).active).toBe(false);
  });

  it('are all revoked by revokeSessionsOf, leaving other users signed in', async () => {
    const carolA = await loginAs(CAROL.email, CAROL.password);
    const carolB = auth.issueSession(CAROL.id);
    const dave = await loginAs(DAVE.email, DAVE.password);
    expect(auth.revokeSessionsOf(CAROL.id)).toBe(2);
    expect((await introspect(carolA)).active).toBe(false);
    expect((await introspect(carolB)).active).toBe(false);
    expect((await introspect(dave)).active).toBe(true);
    expect(auth.revokeSessionsOf(CAROL.id)).toBe(0);
  });

  it('can be opened without a login call, and issueSession refuses an unknown user', async () => {
    const token = auth.issueSession(DAVE.id);
    expect(await introspect(token)).toMatchObject({ active: true, sub: DAVE.id });
    expect(() => auth.issueSession('nobody')).toThrow(/no user with id "nobody"/);
  });
});

describe('requests()', () => {
  it('records method, path, clock time and status of every call, including unknown paths', async () => {
    await postJson('/login', { email: CAROL.email, password: 'wrong' });
    clock.advance(5000);
    await call('/nowhere');
    expect(auth.requests()).toEqual([
      { method: 'POST', path: '/login', at: Date.UTC(2026, 0, 1), status: 401 },
      { method: 'GET', path: '/nowhere', at: Date.UTC(2026, 0, 1) + 5000, status: 404 },
    ]);
  });

  it('hands out copies', async () => {
    await call('/userinfo');
    auth.requests()[0]!.status = 999;
    expect(auth.requests()[0]!.status).toBe(401);
  });
});

describe('faults', () => {
  async function validRequest(route: HomegrownRoute, signal?: AbortSignal): Promise<Response> {
    const token = auth.issueSession(CAROL.id);
    const init: RequestInit = signal ? { signal } : {};
    switch (route) {
      case '/login':
        return postJson('/login', { email: CAROL.email, password: CAROL.password }, init);
      case '/userinfo':
        return call('/userinfo', { ...init, headers: bearer(token) });
      case '/introspect':
        return postJson('/introspect', { token }, init);
      case '/logout':
        return call('/logout', { ...init, method: 'POST', headers: bearer(token) });
    }
  }

  /** Settled or not, without waiting on real time. */
  async function isSettled(promise: Promise<unknown>): Promise<boolean> {
    const pending = Symbol('pending');
    return (await Promise.race([promise, Promise.resolve(pending)])) !== pending;
  }

  it.each(HOMEGROWN_ROUTES)('status-500 on %s answers 500 server_error', async (route) => {
    auth.faults.set(route, 'status-500');
    await expectError(await validRequest(route), 500, 'server_error');
  });

  it('status-500 on /login opens no session', async () => {
    auth.faults.set('/login', 'status-500');
    await postJson('/login', { email: CAROL.email, password: CAROL.password });
    auth.faults.set('/login', undefined);
    expect(auth.revokeSessionsOf(CAROL.id)).toBe(0);
  });

  it.each(HOMEGROWN_ROUTES)('malformed-json on %s keeps the status and breaks the JSON', async (route) => {
    auth.faults.set(route, 'malformed-json');
    const response = await validRequest(route);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const text = await response.text();
    expect(text.length).toBeGreaterThan(0);
    expect(() => JSON.parse(text)).toThrow();
  });

  it.each(HOMEGROWN_ROUTES)('wrong-content-type on %s labels the JSON answer text/html', async (route) => {
    auth.faults.set(route, 'wrong-content-type');
    const response = await validRequest(route);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(JSON.parse(await response.text())).toBeTypeOf('object');
  });

  it.each(HOMEGROWN_ROUTES)('timeout on %s never answers, and lets go when the request is aborted', async (route) => {
    vi.useFakeTimers();
    auth.faults.set(route, 'timeout');
    const controller = new AbortController();
    const pending = validRequest(route, controller.signal);
    await vi.advanceTimersByTimeAsync(24 * 3600 * 1000);
    expect(await isSettled(pending)).toBe(false);
    expect(auth.requests().at(-1)).toMatchObject({ path: route, status: null });
    controller.abort();
    await pending;
    expect(auth.requests().at(-1)).toMatchObject({ path: route, status: null });
  });

  it('timeout with an already aborted signal lets go at once', async () => {
    auth.faults.set('/userinfo', 'timeout');
    await validRequest('/userinfo', AbortSignal.abort());
    expect(auth.requests().at(-1)?.status).toBeNull();
  });

  it.each(HOMEGROWN_ROUTES)('slow on %s answers normally after latencyMs', async (route) => {
    vi.useFakeTimers();
    auth.faults.set(route, 'slow');
    const pending = validRequest(route);
    await vi.advanceTimersByTimeAsync(999);
    expect(await isSettled(pending)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.json()).toBeTypeOf('object');
  });

  it('slow lets go, unanswered, when aborted while waiting', async () => {
    vi.useFakeTimers();
    auth.faults.set('/login', 'slow');
    const controller = new AbortController();
    const pending = validRequest('/login', controller.signal);
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    await pending;
    expect(auth.requests().at(-1)?.status).toBeNull();
    expect(auth.revokeSessionsOf(CAROL.id)).toBe(1);
  });

  it('apply to one route only, and clear with undefined or clear()', async () => {
    auth.faults.set('/userinfo', 'status-500');
    expect(auth.faults.get('/userinfo')).toBe('status-500');
    expect((await validRequest('/introspect')).status).toBe(200);
    auth.faults.set('/userinfo', undefined);
    expect((await validRequest('/userinfo')).status).toBe(200);
    auth.faults.set('/logout', 'status-500');
    auth.faults.clear();
    expect((await validRequest('/logout')).status).toBe(200);
  });
});

describe('bad input never yields a 500 without the status-500 fault', () => {
  const hostile: Array<[string, RequestInit]> = [
    ['a huge garbage body', { method: 'POST', body: '\u0000'.repeat(10_000) }],
    [
      'a form body of nonsense',
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '%%%&&&==' },
    ],
    ['a JSON number', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '12' }],
    [
      'a nested object',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token":{"a":1},"email":[]}' },
    ],
    ['a broken cookie', { method: 'POST', headers: { cookie: ';;=;corp_session;corp_session=' } }],
    ['an empty Bearer', { method: 'POST', headers: { authorization: 'Bearer ' } }],
    ['a GET with a broken cookie', { headers: { cookie: ';;=;corp_session;corp_session=' } }],
    ['a GET with an empty Bearer', { headers: { authorization: 'Bearer ' } }],
    ['PUT', { method: 'PUT', body: 'x' }],
    ['DELETE', { method: 'DELETE' }],
  ];
  for (const route of [...HOMEGROWN_ROUTES, '/', '/login/extra']) {
    it.each(hostile)(`${route} with %s`, async (_label, init) => {
      const response = await call(route, init);
      expect(response.status).toBeGreaterThanOrEqual(200);
      expect(response.status).toBeLessThan(500);
      expect(response.headers.get('cache-control')).toBe('no-store');
      await response.json();
    });
  }
});

describe('users added and changed at run time', () => {
  const ERIN = {
    id: 'corp-user-erin',
    email: 'erin@corp.example',
    password: 'erin-corp-password',
    name: 'Erin Corp',
    externalId: 'EMP-2001',
    roles: ['sales'],
  };

  it('signs in a user added after creation', async () => {
    auth.addUser(ERIN);
    const token = await loginAs(ERIN.email, ERIN.password);
    const body = (await (await call('/userinfo', { headers: bearer(token) })).json()) as { roles: string[] };
    expect(body.roles).toEqual(['sales']);
  });

  it('refuses a second user with a taken id or email', () => {
    expect(() => auth.addUser({ ...ERIN, id: CAROL.id })).toThrow(/taken/);
    expect(() => auth.addUser({ ...ERIN, email: CAROL.email.toUpperCase() })).toThrow(/belongs to/);
  });

  it('changes the email and keeps id, external ID and live sessions', async () => {
    const token = await loginAs(CAROL.email, CAROL.password);
    const changed = auth.updateUser(CAROL.id, { email: 'carol.new@corp.example' });
    expect(changed).toMatchObject({ id: CAROL.id, externalId: CAROL.externalId, email: 'carol.new@corp.example' });
    const info = (await (await call('/userinfo', { headers: bearer(token) })).json()) as { email: string };
    expect(info.email).toBe('carol.new@corp.example');
    expect((await postJson('/login', { email: CAROL.email, password: CAROL.password })).status).toBe(401);
    expect((await postJson('/login', { email: changed.email, password: CAROL.password })).status).toBe(200);
  });

  it('refuses to change an unknown user or to take another user email', () => {
    expect(() => auth.updateUser('nobody', { name: 'x' })).toThrow(/no user/);
    expect(() => auth.updateUser(CAROL.id, { email: DAVE.email })).toThrow(/belongs to/);
  });
});
