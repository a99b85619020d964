import type { Network } from '../network/network.ts';

/**
 * How an authorization request ended, seen from the user agent:
 * - `redirect`: the AS sent the user agent to the client's redirect URI (`url` holds code/error/state/iss);
 * - `no-redirect`: the AS answered with a page of its own (an error shown to the user) and did not redirect.
 */
export type AuthorizationResponse =
  | { kind: 'redirect'; url: URL }
  | { kind: 'no-redirect'; status: number; url: string; body: string };

export interface AuthorizationAttempt {
  /** The full authorization request URL. */
  url: URL;
  /** The redirect URI sent in the request: reaching it ends the attempt (it is never contacted). */
  redirectUri: string;
  /**
   * The client's registered redirect URI, when the request sent another one: an AS may answer an error there instead,
   * which also ends the attempt (and is never contacted).
   */
  registeredRedirectUri?: string;
}

/** Drives the user agent through login and consent until the AS redirects back (or refuses). */
export interface LoginDriver {
  readonly mode: 'auto' | 'browser';
  authorize(attempt: AuthorizationAttempt): Promise<AuthorizationResponse>;
  close(): Promise<void>;
}

export interface LoginDriverContext {
  network: Network;
  user?: { username: string; password: string };
}
