import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { Clock } from '../../harness/clock.ts';

/** Who opened a session: the (iss, sub) of the token that initialized it; undefined only for anonymous defects. */
export interface SessionOwner {
  issuer: string;
  subject: string;
}

export interface McpSession {
  id: string;
  owner: SessionOwner | undefined;
  transport: WebStandardStreamableHTTPServerTransport;
  close(): Promise<void>;
}

export interface SessionLimits {
  /** At most this many live sessions; opening one more ends the least recently used. Default 1000. */
  maxSessions?: number;
  /** A session unused this long (by the injected clock) is ended. Default 30 minutes. */
  idleSeconds?: number;
}

/**
 * MCP Streamable HTTP "Session Management": the live sessions of one server, bounded in number and idle time so
 * memory stays bounded. An ended session's id is unknown from then on (the server answers 404 for it).
 */
export class SessionStore<Session extends McpSession = McpSession> {
  readonly #sessions = new Map<string, { session: Session; lastUsed: number }>();
  readonly #clock: Clock;
  readonly #maxSessions: number;
  readonly #idleMs: number;

  constructor(clock: Clock, limits: SessionLimits = {}) {
    this.#clock = clock;
    this.#maxSessions = Math.max(1, limits.maxSessions ?? 1000);
    this.#idleMs = (limits.idleSeconds ?? 30 * 60) * 1000;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** The live session with this id (and marks it used), or undefined if it never existed or has ended. */
  get(id: string): Session | undefined {
    const entry = this.#sessions.get(id);
    if (!entry) return undefined;
    if (this.#isIdle(entry.lastUsed)) {
      this.end(id);
      return undefined;
    }
    this.#sessions.delete(id);
    this.#sessions.set(id, { session: entry.session, lastUsed: this.#clock.now() });
    return entry.session;
  }

  add(session: Session): void {
    // The map is in order of last use (get moves a session to the end), so the idle ones are all at the front.
    for (const [id, entry] of this.#sessions) {
      if (!this.#isIdle(entry.lastUsed)) break;
      this.end(id);
    }
    while (this.#sessions.size >= this.#maxSessions) {
      const leastRecentlyUsed = this.#sessions.keys().next().value;
      if (leastRecentlyUsed === undefined) break;
      this.end(leastRecentlyUsed);
    }
    this.#sessions.set(session.id, { session, lastUsed: this.#clock.now() });
  }

  /** Forgets the session and closes its MCP server. */
  end(id: string): void {
    const entry = this.#sessions.get(id);
    if (!entry) return;
    this.#sessions.delete(id);
    entry.session.close().catch(() => {});
  }

  #isIdle(lastUsed: number): boolean {
    return this.#clock.now() - lastUsed > this.#idleMs;
  }
}
