import { NetworkError } from '../network/network.ts';
import type { AuthorizationAttempt, AuthorizationResponse, LoginDriver, LoginDriverContext } from './types.ts';

const MAX_HOPS = 10;

/**
 * `login.mode: "auto"`: the AS approves without a page (headless test servers). The driver follows redirects by hand
 * and stops as soon as the Location points at the redirect URI, which is never contacted.
 */
export function autoLoginDriver({ network }: LoginDriverContext): LoginDriver {
  return {
    mode: 'auto',
    async authorize(attempt: AuthorizationAttempt): Promise<AuthorizationResponse> {
      const { url } = attempt;
      let next = url;
      for (let hop = 0; hop < MAX_HOPS; hop++) {
        const response = await network.fetch(next, { redirect: 'manual' });
        const location = response.headers.get('location');
        if (response.status >= 300 && response.status < 400 && location) {
          const target = new URL(location, next);
          if (endsAttempt(target, attempt)) return { kind: 'redirect', url: target };
          next = target;
          continue;
        }
        return { kind: 'no-redirect', status: response.status, url: next.href, body: await response.text() };
      }
      throw new NetworkError(`authorization did not finish within ${MAX_HOPS} redirects`, url.href);
    },
    close: async () => {},
  };
}

/** True when `target` is the requested redirect URI or the client's registered one. */
export function endsAttempt(target: URL, attempt: AuthorizationAttempt): boolean {
  return (
    reachesRedirectUri(target, attempt.redirectUri) ||
    (attempt.registeredRedirectUri !== undefined && reachesRedirectUri(target, attempt.registeredRedirectUri))
  );
}

/**
 * True when `target` is the redirect URI (same scheme, host, port and path; query and fragment carry the response).
 * A loopback redirect URI matches on any port, as OAuth 2.1 §8.4.2 lets the AS accept.
 */
export function reachesRedirectUri(target: URL, redirectUri: string): boolean {
  const expected = new URL(redirectUri);
  const samePort = target.port === expected.port || isLoopbackIp(expected.hostname);
  return (
    target.protocol === expected.protocol &&
    target.hostname === expected.hostname &&
    samePort &&
    target.pathname === expected.pathname
  );
}

function isLoopbackIp(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === '[::1]';
}
