/**
 * Console sign-in: the admin token, typed into a form, opens a session held in an HttpOnly, SameSite=Strict cookie
 * scoped to the console's path (Secure over TLS). Every POST form echoes the session's CSRF token; the sign-in form
 * itself is protected by a double-submitted token in a short-lived cookie.
 */
import type { IssuerContext } from '../authorization-server/context.ts';
import { constantTimeEqual, parseCookies, randomToken } from '../authorization-server/http.ts';
import type { SessionRecord } from '../store/index.ts';

export const CONSOLE_SESSION_TTL_MS = 60 * 60_000;
const SIGN_IN_TTL_SECONDS = 10 * 60;
const SESSION_COOKIE = 'console_session';
const SIGN_IN_COOKIE = 'console_sign_in';

export function consolePath(ctx: IssuerContext): string {
  return `${ctx.path}/console`;
}

/** Console sessions live in the session store under their own issuer label, so the AS never takes one for its own. */
function sessionIssuer(ctx: IssuerContext): string {
  return `console ${ctx.issuer}`;
}

function cookie(ctx: IssuerContext, name: string, value: string, maxAgeSeconds: number): string {
  const attributes = [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${consolePath(ctx)}`,
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAgeSeconds}`,
  ];
  if (ctx.secure) attributes.push('Secure');
  return attributes.join('; ');
}

export async function consoleSession(ctx: IssuerContext, request: Request): Promise<SessionRecord | undefined> {
  const id = parseCookies(request).get(SESSION_COOKIE);
  if (!id) return undefined;
  const session = await ctx.store.sessions.get(id);
  if (!session || session.issuer !== sessionIssuer(ctx) || session.expiresAt <= ctx.clock.now()) return undefined;
  return session;
}

/** RFC 6750-style comparison of the typed admin token; no token configured means nobody signs in. */
export function isAdminToken(ctx: IssuerContext, presented: string): boolean {
  return Boolean(ctx.adminToken) && presented !== '' && constantTimeEqual(presented, ctx.adminToken ?? '');
}

/** A fresh session (new id and CSRF token) and the cookies that set it and clear the sign-in token. */
export async function openSession(ctx: IssuerContext): Promise<string[]> {
  const session: SessionRecord = {
    id: randomToken(32),
    issuer: sessionIssuer(ctx),
    csrfToken: randomToken(32),
    sub: 'admin',
    expiresAt: ctx.clock.now() + CONSOLE_SESSION_TTL_MS,
  };
  await ctx.store.sessions.save(session);
  return [cookie(ctx, SESSION_COOKIE, session.id, CONSOLE_SESSION_TTL_MS / 1000), cookie(ctx, SIGN_IN_COOKIE, '', 0)];
}

export async function closeSession(ctx: IssuerContext, session: SessionRecord): Promise<string> {
  await ctx.store.sessions.delete(session.id);
  return cookie(ctx, SESSION_COOKIE, '', 0);
}

/** The sign-in form's CSRF token and the cookie that carries its twin. */
export function signInToken(ctx: IssuerContext): { token: string; cookie: string } {
  const token = randomToken(24);
  return { token, cookie: cookie(ctx, SIGN_IN_COOKIE, token, SIGN_IN_TTL_SECONDS) };
}

export function signInTokenMatches(request: Request, submitted: string | null): boolean {
  const expected = parseCookies(request).get(SIGN_IN_COOKIE);
  return Boolean(expected) && submitted !== null && constantTimeEqual(expected ?? '', submitted);
}

export function csrfMatches(session: SessionRecord, submitted: string | null): boolean {
  return submitted !== null && constantTimeEqual(session.csrfToken, submitted);
}
