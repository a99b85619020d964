/**
 * The authorization server's audit trail: one event per token issued by delegation (RFC 8693 token exchange), so a
 * downstream token can be traced to the user and to every service that acted on the way. The events of one chain
 * link up: an event's `subjectJti` is the `issuedJti` of the event before it, when that token was exchanged too.
 */
export interface TokenExchangeEvent {
  id: string;
  issuer: string;
  /** Epoch milliseconds. */
  at: number;
  kind: 'token-exchange';
  /** The `jti` of the token issued. */
  issuedJti: string;
  /** RFC 8693 §3: the type URI of the token issued (`issued_token_type`). */
  issuedTokenType: string;
  /** The `jti` of the subject token it was exchanged from. */
  subjectJti: string;
  /** The audience of the subject token: where the chain came from. */
  subjectAudience: string;
  /** The `jti` of the actor token, when the request carried one (RFC 8693 §2.1). */
  actorTokenJti?: string;
  /** The user the token speaks for. */
  sub: string;
  /** The authenticated client that asked. */
  clientId: string;
  /** The actor chain of the issued token, current actor first (RFC 8693 §4.1); empty for impersonation. */
  actors: string[];
  /** True when the token was issued without `act` (impersonation, by the client's policy). */
  impersonation: boolean;
  /** RFC 8693 §4.4: who may act for `sub` with the issued token (its `may_act.sub`). */
  mayAct?: string;
  audience: string;
  scope: string;
}

/** What every other audit event has: who (user and client, when known) did what, when, at which issuer. */
interface AuditEventBase {
  id: string;
  issuer: string;
  /** Epoch milliseconds. */
  at: number;
  /** The user, when known. */
  sub?: string;
  clientId?: string;
  /** One line for people reading the log. */
  summary: string;
}

/** Seed 004: sign-ins (password, flow, federation) and refused sign-ins, consents, issuance, revocation, users. */
export interface ActivityEvent extends AuditEventBase {
  kind:
    | 'login'
    | 'login-failed'
    | 'consent-granted'
    | 'consent-denied'
    | 'user-created'
    | 'user-updated'
    | 'token-issued'
    | 'token-revoked'
    | 'mfa-enrolled'
    | 'mfa-failed';
  /** e.g. the flow id, the grant type, the amr, the upstream issuer. */
  details?: Record<string, string | number | boolean | string[]>;
}

export type AuditEvent = TokenExchangeEvent | ActivityEvent;
export type AuditEventKind = AuditEvent['kind'];

export interface AuditLog {
  append(event: AuditEvent): Promise<void>;
  /** Events in the order they happened, optionally only those of one issuer, and only those of some kinds. */
  list(issuer?: string, kinds?: readonly AuditEventKind[]): Promise<AuditEvent[]>;
}
