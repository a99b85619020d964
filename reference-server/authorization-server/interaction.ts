import type { AuthorizationTransaction, ClientRecord, SessionRecord } from '../store/index.ts';
import type { IssuerContext, ReferenceUser } from './context.ts';
import { SESSION_TTL_MS } from './context.ts';
import { constantTimeEqual, parseCookies, randomToken, serializeCookie } from './http.ts';
import { errorPage } from './pages.ts';

/** One session cookie per issuer; `__Host-` pins it to this exact origin whenever it can be Secure. */
export function sessionCookieName(ctx: IssuerContext): string {
  const suffix = ctx.path ? `_${ctx.path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_/, '')}` : '';
  return `${ctx.secure ? '__Host-' : ''}as_session${suffix}`;
}

export async function currentSession(ctx: IssuerContext, request: Request): Promise<SessionRecord | undefined> {
  const id = parseCookies(request).get(sessionCookieName(ctx));
  if (!id) return undefined;
  const session = await ctx.store.sessions.get(id);
  if (!session || session.issuer !== ctx.issuer || session.expiresAt <= ctx.clock.now()) return undefined;
  return session;
}

export interface StartedSession {
  session: SessionRecord;
  cookie: string;
}

/** A new session (fresh id and CSRF token); signing in starts another, so a planted session id is worthless. */
export async function startSession(ctx: IssuerContext, sub?: string): Promise<StartedSession> {
  const session: SessionRecord = {
    id: randomToken(32),
    issuer: ctx.issuer,
    csrfToken: randomToken(32),
    ...(sub ? { sub } : {}),
    expiresAt: ctx.clock.now() + SESSION_TTL_MS,
  };
  await ctx.store.sessions.save(session);
  const cookie = serializeCookie(sessionCookieName(ctx), session.id, {
    secure: ctx.secure,
    maxAgeSeconds: SESSION_TTL_MS / 1000,
  });
  return { session, cookie };
}

/** A pending authorization request, the browser session that started it, and its client. */
export interface Interaction {
  transaction: AuthorizationTransaction;
  session: SessionRecord;
  client: ClientRecord;
}

/**
 * Loads the transaction named in the request and checks it belongs to this browser's session: a transaction id
 * alone (e.g. from a link an attacker sends) is not enough to sign in or consent.
 */
export async function loadInteraction(
  ctx: IssuerContext,
  request: Request,
  transactionId: string | null | undefined,
): Promise<Interaction | Response> {
  const transaction = transactionId ? await ctx.store.transactions.get(transactionId) : undefined;
  if (!transaction || transaction.issuer !== ctx.issuer || transaction.expiresAt <= ctx.clock.now()) {
    return errorPage('Sign-in request expired', 'This sign-in request is unknown or has expired (after 10 minutes).');
  }
  const session = await currentSession(ctx, request);
  if (!session || session.id !== transaction.sessionId) {
    return errorPage(
      'Session not found',
      'This browser does not hold the session that started this sign-in (are cookies enabled?).',
    );
  }
  const client = await ctx.store.clients.get(transaction.clientId);
  if (!client) return errorPage('Unknown client', 'The application that started this sign-in is no longer registered.');
  return { transaction, session, client };
}

/** Forms echo the session's CSRF token; a cross-site form post cannot know it. */
export function csrfTokenMatches(session: SessionRecord, submitted: string | null): boolean {
  return submitted !== null && constantTimeEqual(session.csrfToken, submitted);
}

export function csrfFailurePage(): Response {
  return errorPage('Request refused', 'The form was not submitted from this sign-in page (CSRF token mismatch).', 403);
}

export function findUserByCredentials(
  users: readonly ReferenceUser[],
  username: string,
  password: string,
): ReferenceUser | undefined {
  const user = users.find((candidate) => candidate.username === username);
  return user && constantTimeEqual(user.password, password) ? user : undefined;
}
