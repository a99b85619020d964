import type { Clock } from '../../../harness/clock.ts';
import type { FetchHandler } from '../../../harness/network/types.ts';

/**
 * A homegrown identity system with no OIDC or SAML: a JSON login API that hands out opaque session tokens, and the
 * two calls a flow uses to validate an existing token (GET /userinfo, POST /introspect). The consent flow reaches it
 * through an HTTP connector; faults make it misbehave the way real upstreams do.
 */

export interface HomegrownUser {
  id: string;
  email: string;
  password: string;
  name: string;
  externalId?: string;
  roles?: string[];
}

export type HomegrownRoute = '/login' | '/userinfo' | '/introspect' | '/logout';

export const HOMEGROWN_ROUTES: readonly HomegrownRoute[] = ['/login', '/userinfo', '/introspect', '/logout'];

/**
 * - `timeout`: never answers; the pending request ends (unanswered) when its AbortSignal fires.
 * - `status-500`: 500 `{error: "server_error"}`, before the route does anything.
 * - `malformed-json`: the route's real answer with its body cut in half.
 * - `wrong-content-type`: the route's real answer labelled `text/html`.
 * - `slow`: the route's real answer after `latencyMs` (ends unanswered if aborted while waiting).
 */
export type HomegrownFault = 'timeout' | 'status-500' | 'malformed-json' | 'wrong-content-type' | 'slow';

export interface HomegrownFaults {
  /** Sets the fault of one route; `undefined` clears it. */
  set(route: HomegrownRoute, fault: HomegrownFault | undefined): void;
  get(route: HomegrownRoute): HomegrownFault | undefined;
  clear(): void;
}

/** One call the mock received; `status` is null while unanswered and stays null when it never answered. */
export interface HomegrownRecordedRequest {
  method: string;
  path: string;
  /** Clock milliseconds when the request arrived. */
  at: number;
  status: number | null;
}

export interface HomegrownAuthOptions {
  clock: Clock;
  users?: HomegrownUser[];
  /** Delay of the `slow` fault. Default 1000 ms. */
  latencyMs?: number;
  /** Session lifetime. Default 3600 s. */
  sessionTtlSeconds?: number;
}

export interface HomegrownAuth {
  handler: FetchHandler;
  users: readonly HomegrownUser[];
  faults: HomegrownFaults;
  requests(): HomegrownRecordedRequest[];
  /** Revokes every live session of a user, as an upstream admin or password reset would; returns how many. */
  revokeSessionsOf(userId: string): number;
  /** Opens a session without a login call (a user who is already signed in); throws for an unknown user id. */
  issueSession(userId: string): string;
  /** Adds a user (e.g. a fresh one per check); throws when its id or email is taken. Returns the stored copy. */
  addUser(user: HomegrownUser): HomegrownUser;
  /**
   * Changes a user's attributes as the identity system's admin would (e.g. a new email; id and externalId stay);
   * throws for an unknown id or an email another user has. Live sessions keep working.
   */
  updateUser(id: string, changes: HomegrownUserChanges): HomegrownUser;
}

export type HomegrownUserChanges = Partial<Omit<HomegrownUser, 'id'>>;

export const HOMEGROWN_SESSION_COOKIE = 'corp_session';
export const DEFAULT_SESSION_TTL_SECONDS = 3600;
export const DEFAULT_SLOW_LATENCY_MS = 1000;

export const DEFAULT_HOMEGROWN_USERS: readonly HomegrownUser[] = [
  {
    id: 'corp-user-carol',
    email: 'carol@corp.example',
    password: 'carol-corp-password',
    name: 'Carol Corp',
    externalId: 'EMP-1001',
    roles: ['engineer'],
  },
  {
    id: 'corp-user-dave',
    email: 'dave@corp.example',
    password: 'dave-corp-password',
    name: 'Dave Corp',
    externalId: 'EMP-1002',
    roles: ['support', 'admin'],
  },
];

const REALM = 'corp';
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

// ---------------------------------------------------------------------------------------------------------------
// Responses

interface ApiError {
  status: number;
  error: string;
  description: string;
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { ...NO_STORE, ...headers } });
}

function errorResponse({ status, error, description }: ApiError, headers: Record<string, string> = {}): Response {
  return json({ error, error_description: description }, status, headers);
}

function badRequest(description: string): Response {
  return errorResponse({ status: 400, error: 'invalid_request', description });
}

function methodNotAllowed(allowed: string): Response {
  return errorResponse(
    { status: 405, error: 'method_not_allowed', description: `use ${allowed} for this route` },
    { Allow: allowed },
  );
}

// RFC 6750 §3, §3.1: a missing credential gets a bare challenge; a bad one gets error="invalid_token".
function bearerChallenge(description?: string): Response {
  const challenge = description
    ? `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`
    : `Bearer realm="${REALM}"`;
  const body = {
    error: description ? 'invalid_token' : 'unauthorized',
    error_description: description ?? 'no session',
  };
  return json(body, 401, { 'WWW-Authenticate': challenge });
}

// ---------------------------------------------------------------------------------------------------------------
// Request parsing

type Fields = Record<string, unknown>;

/** A JSON object or a form body as fields; null when the body is neither. */
async function readFields(request: Request): Promise<Fields | null> {
  const text = await request.text().catch(() => null);
  if (text === null) return null;
  const type = request.headers.get('content-type') ?? '';
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(fields: Fields, name: string): string | undefined {
  const value = fields[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function bearerToken(request: Request): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '');
  return match?.[1];
}

function cookieValue(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name && rest.length > 0) return rest.join('=') || undefined;
  }
  return undefined;
}

function presentedToken(request: Request): string | undefined {
  return bearerToken(request) ?? cookieValue(request, HOMEGROWN_SESSION_COOKIE);
}

// ---------------------------------------------------------------------------------------------------------------
// Users and sessions

interface UserView {
  id: string;
  email: string;
  name: string;
  externalId: string | null;
  roles: string[];
}

function userView(user: HomegrownUser): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    externalId: user.externalId ?? null,
    roles: [...(user.roles ?? [])],
  };
}

/** Matches a login identifier: the e-mail (any case) or its local part as a username. */
function findByIdentifier(users: readonly HomegrownUser[], identifier: string): HomegrownUser | undefined {
  const wanted = identifier.trim().toLowerCase();
  return users.find((user) => {
    const email = user.email.toLowerCase();
    return email === wanted || email.split('@')[0] === wanted;
  });
}

interface Session {
  token: string;
  userId: string;
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
}

type SessionLookup = { session: Session; user: HomegrownUser } | { problem: string };

function newSessionToken(): string {
  return `hg_sess_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')}`;
}

class SessionStore {
  readonly #sessions = new Map<string, Session>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly users: readonly HomegrownUser[],
  ) {}

  open(user: HomegrownUser): Session {
    const issuedAt = this.clock.now();
    const session = {
      token: newSessionToken(),
      userId: user.id,
      issuedAt,
      expiresAt: issuedAt + this.ttlMs,
      revoked: false,
    };
    this.#sessions.set(session.token, session);
    return session;
  }

  lookup(token: string): SessionLookup {
    const session = this.#sessions.get(token);
    if (!session) return { problem: 'unknown session token' };
    if (session.revoked) return { problem: 'session revoked' };
    if (this.clock.now() >= session.expiresAt) return { problem: 'session expired' };
    const user = this.users.find((candidate) => candidate.id === session.userId);
    if (!user) return { problem: 'the session user no longer exists' };
    return { session, user };
  }

  revoke(token: string): boolean {
    const session = this.#sessions.get(token);
    if (!session || session.revoked) return false;
    session.revoked = true;
    return true;
  }

  revokeUser(userId: string): number {
    let count = 0;
    for (const session of this.#sessions.values()) {
      if (session.userId === userId && !session.revoked && this.clock.now() < session.expiresAt) {
        session.revoked = true;
        count += 1;
      }
    }
    return count;
  }
}

function sessionCookie(session: Session, clock: Clock): string {
  const maxAge = Math.max(0, Math.floor((session.expiresAt - clock.now()) / 1000));
  return `${HOMEGROWN_SESSION_COOKIE}=${session.token}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax`;
}

const CLEARED_COOKIE = `${HOMEGROWN_SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`;

// ---------------------------------------------------------------------------------------------------------------
// Faults

class FaultTable implements HomegrownFaults {
  readonly #faults = new Map<HomegrownRoute, HomegrownFault>();

  set(route: HomegrownRoute, fault: HomegrownFault | undefined): void {
    if (fault === undefined) this.#faults.delete(route);
    else this.#faults.set(route, fault);
  }

  get(route: HomegrownRoute): HomegrownFault | undefined {
    return this.#faults.get(route);
  }

  clear(): void {
    this.#faults.clear();
  }
}

/** Resolves when the signal fires; holds no timer, so an unanswered request never keeps the process alive. */
function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Waits `ms`; resolves false instead when the signal fires first. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** What a client sees when it gave up before the upstream answered; nobody reads it, it only ends the promise. */
function unanswered(): Response {
  return errorResponse({ status: 504, error: 'timeout', description: 'the request was aborted before an answer' });
}

async function withTruncatedBody(response: Response): Promise<Response> {
  const body = await response.text();
  const cut = body.slice(0, Math.max(1, Math.floor(body.length / 2)));
  return new Response(cut, { status: response.status, headers: response.headers });
}

async function withHtmlContentType(response: Response): Promise<Response> {
  const headers = new Headers(response.headers);
  headers.set('Content-Type', 'text/html; charset=utf-8');
  return new Response(await response.text(), { status: response.status, headers });
}

// ---------------------------------------------------------------------------------------------------------------
// The system

export function createHomegrownAuth(options: HomegrownAuthOptions): HomegrownAuth {
  const { clock } = options;
  const users: HomegrownUser[] = (options.users ?? DEFAULT_HOMEGROWN_USERS).map((user) => ({ ...user }));
  const slowMs = options.latencyMs ?? DEFAULT_SLOW_LATENCY_MS;
  const sessions = new SessionStore(clock, (options.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS) * 1000, users);
  const faults = new FaultTable();
  const recorded: HomegrownRecordedRequest[] = [];

  // Seed 000 "Collecting User Credentials": the credentials screen posts here; the answer is mapped into the flow.
  async function login(request: Request): Promise<Response> {
    if (request.method !== 'POST') return methodNotAllowed('POST');
    const fields = await readFields(request);
    if (!fields) return badRequest('the body must be a JSON object (or a form) with email|username and password');
    const identifier = stringField(fields, 'email') ?? stringField(fields, 'username');
    const password = stringField(fields, 'password');
    if (!identifier || !password) return badRequest('email (or username) and password are required strings');
    const user = findByIdentifier(users, identifier);
    if (!user || user.password !== password) {
      return errorResponse({ status: 401, error: 'invalid_credentials', description: 'wrong email or password' });
    }
    const session = sessions.open(user);
    const body = {
      user: userView(user),
      session_token: session.token,
      expires_in: Math.floor((session.expiresAt - session.issuedAt) / 1000),
    };
    return json(body, 200, { 'Set-Cookie': sessionCookie(session, clock) });
  }

  // Seed 000 "Using an Existing Session Token" via GET /userinfo; RFC 6750 §2.1 Bearer header or the session cookie.
  async function userinfo(request: Request): Promise<Response> {
    if (request.method !== 'GET') return methodNotAllowed('GET');
    const token = presentedToken(request);
    if (!token) return bearerChallenge();
    const found = sessions.lookup(token);
    if ('problem' in found) return bearerChallenge(found.problem);
    return json({ sub: found.user.id, ...userView(found.user) });
  }

  // RFC 7662 §2.1–§2.2: token in the body; any unusable token is just {active:false}, never an error.
  async function introspect(request: Request): Promise<Response> {
    if (request.method !== 'POST') return methodNotAllowed('POST');
    const fields = await readFields(request);
    const token = fields ? stringField(fields, 'token') : undefined;
    if (!token) return badRequest('token is required (form or JSON body)');
    const found = sessions.lookup(token);
    if ('problem' in found) return json({ active: false });
    const { session, user } = found;
    return json({
      active: true,
      token_type: 'session',
      sub: user.id,
      username: user.email,
      email: user.email,
      name: user.name,
      externalId: user.externalId ?? null,
      roles: [...(user.roles ?? [])],
      iat: Math.floor(session.issuedAt / 1000),
      exp: Math.floor(session.expiresAt / 1000),
    });
  }

  // RFC 7009 §2.2 (by analogy): revoking an unknown or dead token still answers 200.
  async function logout(request: Request): Promise<Response> {
    if (request.method !== 'POST') return methodNotAllowed('POST');
    const fields = await readFields(request.clone());
    const token = presentedToken(request) ?? (fields ? stringField(fields, 'token') : undefined);
    if (!token) return badRequest('no session: send it as Bearer, as the cookie, or as token in the body');
    return json({ revoked: sessions.revoke(token) }, 200, { 'Set-Cookie': CLEARED_COOKIE });
  }

  const routes: Record<HomegrownRoute, FetchHandler> = {
    '/login': login,
    '/userinfo': userinfo,
    '/introspect': introspect,
    '/logout': logout,
  };

  async function answer(route: HomegrownRoute, request: Request): Promise<Response | null> {
    const fault = faults.get(route);
    if (fault === 'status-500') {
      return errorResponse({ status: 500, error: 'server_error', description: 'injected fault: status-500' });
    }
    if (fault === 'timeout') {
      await untilAborted(request.signal);
      return null;
    }
    if (fault === 'slow' && !(await pause(slowMs, request.signal))) return null;
    const response = await routes[route](request);
    if (fault === 'malformed-json') return withTruncatedBody(response);
    if (fault === 'wrong-content-type') return withHtmlContentType(response);
    return response;
  }

  async function handler(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    const record: HomegrownRecordedRequest = { method: request.method, path, at: clock.now(), status: null };
    recorded.push(record);
    const response = isRoute(path)
      ? await answer(path, request).catch(() =>
          errorResponse({ status: 500, error: 'server_error', description: 'unexpected failure' }),
        )
      : errorResponse({ status: 404, error: 'not_found', description: `no route ${path}` });
    if (!response) return unanswered();
    record.status = response.status;
    return response;
  }

  function issueSession(userId: string): string {
    const user = users.find((candidate) => candidate.id === userId);
    if (!user) throw new Error(`homegrown-auth: no user with id "${userId}"`);
    return sessions.open(user).token;
  }

  function assertEmailFree(email: string, exceptId?: string): void {
    const wanted = email.trim().toLowerCase();
    const holder = users.find((candidate) => candidate.email.toLowerCase() === wanted);
    if (holder && holder.id !== exceptId) throw new Error(`homegrown-auth: email "${email}" belongs to "${holder.id}"`);
  }

  function addUser(user: HomegrownUser): HomegrownUser {
    if (users.some((candidate) => candidate.id === user.id))
      throw new Error(`homegrown-auth: id "${user.id}" is taken`);
    assertEmailFree(user.email);
    const stored = { ...user, ...(user.roles ? { roles: [...user.roles] } : {}) };
    users.push(stored);
    return { ...stored };
  }

  function updateUser(id: string, changes: HomegrownUserChanges): HomegrownUser {
    const user = users.find((candidate) => candidate.id === id);
    if (!user) throw new Error(`homegrown-auth: no user with id "${id}"`);
    if (changes.email !== undefined) assertEmailFree(changes.email, id);
    Object.assign(user, changes);
    return { ...user };
  }

  return {
    handler,
    users,
    faults,
    requests: () => recorded.map((entry) => ({ ...entry })),
    revokeSessionsOf: (userId) => sessions.revokeUser(userId),
    issueSession,
    addUser,
    updateUser,
  };
}

function isRoute(path: string): path is HomegrownRoute {
  return (HOMEGROWN_ROUTES as readonly string[]).includes(path);
}
