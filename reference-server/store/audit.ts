/**
 * The authorization server's audit trail: one event per token issued by delegation (RFC 8693 token exchange), so a
 * downstream token can be traced to the user and to every service that acted on the way.
 */
export interface AuditEvent {
  id: string;
  issuer: string;
  /** Epoch milliseconds. */
  at: number;
  kind: 'token-exchange';
  /** The `jti` of the token issued. */
  issuedJti: string;
  /** The `jti` of the subject token it was exchanged from. */
  subjectJti: string;
  /** The user the token speaks for. */
  sub: string;
  /** The authenticated client that asked. */
  clientId: string;
  /** The actor chain of the issued token, current actor first (RFC 8693 §4.1). */
  actors: string[];
  audience: string;
  scope: string;
}

export interface AuditLog {
  append(event: AuditEvent): Promise<void>;
  /** Events in the order they happened, optionally only those of one issuer. */
  list(issuer?: string): Promise<AuditEvent[]>;
}
