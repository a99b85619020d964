/**
 * The audit log of one issuer: recording what happened (sign-ins, consents, issuance, exchange, revocation, users)
 * and reading it back for administrators, filtered. Events never hold a token or a password, only identifiers.
 */
import type { ActivityEvent, AuditEvent, AuditEventKind } from '../store/index.ts';
import type { IssuerContext } from './context.ts';
import { OAuthError } from './errors.ts';
import { randomToken } from './http.ts';

export type ActivityInput = Omit<ActivityEvent, 'id' | 'issuer' | 'at'>;

/** Seed 004: appends one event to the audit log (sign-ins, consents, issuance, revocation, users). */
export async function recordActivity(ctx: IssuerContext, event: ActivityInput): Promise<void> {
  await ctx.store.audit.append({ ...event, id: randomToken(16), issuer: ctx.issuer, at: ctx.clock.now() });
}

/** Every kind of audit event, with how people reading the log call it. */
export const AUDIT_EVENT_LABELS: Readonly<Record<AuditEventKind, string>> = {
  login: 'Sign-in',
  'login-failed': 'Sign-in refused',
  'consent-granted': 'Consent granted',
  'consent-denied': 'Consent denied',
  'user-created': 'User created',
  'user-updated': 'User updated',
  'token-issued': 'Token issued',
  'token-revoked': 'Token revoked',
  'token-exchange': 'Token exchange',
  'mfa-enrolled': 'MFA enrolled',
  'mfa-failed': 'MFA refused',
};

export const AUDIT_EVENT_KINDS = Object.keys(AUDIT_EVENT_LABELS) as AuditEventKind[];

export const AUDIT_DEFAULT_LIMIT = 500;
export const AUDIT_MAX_LIMIT = 5000;

/** Which events to read: every criterion given must hold; the newest `limit` of them are returned, oldest first. */
export interface AuditQuery {
  kinds: AuditEventKind[];
  sub?: string;
  clientId?: string;
  /** A token's `jti`: the events that issued, exchanged from, or revoked it. */
  jti?: string;
  /** Epoch milliseconds: events at or after it. */
  since?: number;
  limit: number;
}

function isEventKind(value: string): value is AuditEventKind {
  return (AUDIT_EVENT_KINDS as string[]).includes(value);
}

function nonNegativeInteger(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d{1,16}$/.test(raw)) throw new OAuthError('invalid_request', `${name} must be a non-negative integer`);
  return Number(raw);
}

function optionalText(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name);
  return value === null || value === '' ? undefined : value;
}

/** Reads an AuditQuery from query parameters (`kind` repeatable, `sub`, `client_id`, `jti`, `since`, `limit`). */
export function parseAuditQuery(params: URLSearchParams): AuditQuery {
  const kinds = params.getAll('kind').filter((kind) => kind !== '');
  const unknown = kinds.filter((kind) => !isEventKind(kind));
  if (unknown.length > 0) {
    throw new OAuthError(
      'invalid_request',
      `unknown kind ${unknown.join(', ')}; one of ${AUDIT_EVENT_KINDS.join(', ')}`,
    );
  }
  const limit = nonNegativeInteger(params, 'limit') ?? AUDIT_DEFAULT_LIMIT;
  if (limit < 1 || limit > AUDIT_MAX_LIMIT) {
    throw new OAuthError('invalid_request', `limit must be between 1 and ${AUDIT_MAX_LIMIT}`);
  }
  const sub = optionalText(params, 'sub');
  const clientId = optionalText(params, 'client_id');
  const jti = optionalText(params, 'jti');
  const since = nonNegativeInteger(params, 'since');
  return {
    kinds: kinds.filter(isEventKind),
    limit,
    ...(sub !== undefined ? { sub } : {}),
    ...(clientId !== undefined ? { clientId } : {}),
    ...(jti !== undefined ? { jti } : {}),
    ...(since !== undefined ? { since } : {}),
  };
}

/** The token identifiers an event is about. */
function jtisOf(event: AuditEvent): unknown[] {
  if (event.kind === 'token-exchange') return [event.issuedJti, event.subjectJti];
  return [event.details?.jti];
}

function matches(event: AuditEvent, query: AuditQuery): boolean {
  return (
    (query.kinds.length === 0 || query.kinds.includes(event.kind)) &&
    (query.sub === undefined || event.sub === query.sub) &&
    (query.clientId === undefined || event.clientId === query.clientId) &&
    (query.jti === undefined || jtisOf(event).includes(query.jti)) &&
    (query.since === undefined || event.at >= query.since)
  );
}

/** The issuer's events that match, oldest first; when more match than `limit`, the newest `limit` of them. */
export async function readAuditLog(ctx: IssuerContext, query: AuditQuery): Promise<AuditEvent[]> {
  const kinds = query.kinds.length === 0 ? undefined : query.kinds;
  const events = (await ctx.store.audit.list(ctx.issuer, kinds)).filter((event) => matches(event, query));
  return events.slice(Math.max(0, events.length - query.limit));
}
