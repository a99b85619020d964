import { CheckFailure } from './check.ts';
import { describeReply, type HttpReply, isJsonContentType, member } from './http.ts';
import { type Authorization, summarizeAuthorization } from './oauth.ts';

/** Assertions a check makes; each failure message says what happened, what was expected, and why it matters. */
export interface Expect {
  that(condition: unknown, message: string): asserts condition;
  fail(message: string): never;
  status(reply: HttpReply, expected: number | readonly number[], why: string): void;
  /** The AS refused the authorization request: an error redirect with one of `errors`, or an error page. */
  authorizationRefused(authorization: Authorization, errors: readonly string[], why: string): string;
  /** The AS did not send the user agent to the requested redirect URI at all. */
  noRedirect(authorization: Authorization, why: string): string;
  /** The token endpoint answered an OAuth error (RFC 6749 §5.2) with one of `errors`. */
  tokenError(reply: HttpReply, errors: readonly string[], why: string): string;
}

export const expect: Expect = {
  that(condition: unknown, message: string): asserts condition {
    if (!condition) throw new CheckFailure(message);
  },

  fail(message: string): never {
    throw new CheckFailure(message);
  },

  status(reply, expected, why) {
    const allowed = typeof expected === 'number' ? [expected] : expected;
    if (!allowed.includes(reply.status)) {
      throw new CheckFailure(`expected HTTP ${allowed.join(' or ')}, got ${describeReply(reply)}. ${why}`);
    }
  },

  authorizationRefused(authorization, errors, why) {
    if (authorization.code) {
      throw new CheckFailure(`the AS issued an authorization code; expected an error (${errors.join(' or ')}). ${why}`);
    }
    if (authorization.response.kind === 'no-redirect') {
      return `refused without redirecting (HTTP ${authorization.response.status})`;
    }
    const error = authorization.error;
    if (!error)
      throw new CheckFailure(`${summarizeAuthorization(authorization)}; expected error=${errors.join('|')}. ${why}`);
    if (!errors.includes(error)) {
      throw new CheckFailure(`the AS answered error=${error}; expected ${errors.join(' or ')}. ${why}`);
    }
    return `refused with error=${error}`;
  },

  noRedirect(authorization, why) {
    if (authorization.response.kind === 'redirect') {
      throw new CheckFailure(
        `the AS redirected the user agent to ${authorization.response.url.origin}${authorization.response.url.pathname} ` +
          `(${summarizeAuthorization(authorization)}); it must show an error instead of redirecting. ${why}`,
      );
    }
    return `no redirect; the AS answered HTTP ${authorization.response.status} itself`;
  },

  tokenError(reply, errors, why) {
    const error = member(reply, 'error');
    if (reply.status === 200 && member(reply, 'access_token') !== undefined) {
      throw new CheckFailure(`the token endpoint issued tokens; expected error ${errors.join(' or ')}. ${why}`);
    }
    if (typeof error !== 'string') {
      throw new CheckFailure(
        `expected a JSON error body {"error": "${errors.join('|')}"}, got ${describeReply(reply)}. ${why}`,
      );
    }
    if (!errors.includes(error)) {
      throw new CheckFailure(`the token endpoint answered error=${error}; expected ${errors.join(' or ')}. ${why}`);
    }
    const expectedStatus = error === 'invalid_client' ? [400, 401] : [400];
    if (!expectedStatus.includes(reply.status)) {
      throw new CheckFailure(
        `error=${error} came with HTTP ${reply.status}; RFC 6749 §5.2 requires 400 (401 for invalid_client)`,
      );
    }
    if (!isJsonContentType(reply.headers)) {
      throw new CheckFailure(`error=${error} was not sent as application/json (${reply.headers.get('content-type')})`);
    }
    return `refused with HTTP ${reply.status} error=${error}`;
  },
};
