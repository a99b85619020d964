/**
 * How a federated sign-in ended, as the user and the client see it: refused (an error the user can read, or an error
 * redirect to the client, never a code) or completed (tokens, whose claims name the signed-in user).
 */
import { BlockedError } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import type { FlowJourney } from '../../harness/flows/journey.ts';
import type { Stop } from '../../harness/flows/user-agent.ts';
import type { DecodedJwt } from '../../harness/jwt.ts';

export type Claims = DecodedJwt['claims'];

/** True when `url` addresses the endpoint `endpoint` (same origin and path; the query does not matter). */
export function isEndpoint(url: string | URL, endpoint: string): boolean {
  const candidate = new URL(url);
  const expected = new URL(endpoint);
  return candidate.origin === expected.origin && candidate.pathname === expected.pathname;
}

/** The journey's requests reached `endpoint` (with `method`, when given). */
export function reached(stop: Stop, endpoint: string, method?: 'GET' | 'POST'): boolean {
  return stop.hops.some((hop) => isEndpoint(hop.url, endpoint) && (method === undefined || hop.method === method));
}

/** Blocks the check unless the journey got as far as `endpoint`: a refusal before it would prove nothing. */
export function requireReached(stop: Stop, endpoint: string, step: string, method?: 'GET' | 'POST'): void {
  if (!reached(stop, endpoint, method)) {
    throw new BlockedError(step, `the flow never reached ${endpoint}; it ended with ${describeStop(stop)}`);
  }
}

/** Where a journey ended, in one line, codes redacted. */
export function describeStop(stop: Stop): string {
  if (stop.kind === 'redirect') {
    const shown = [...stop.params].map(([name, value]) => `${name}=${name === 'code' ? '[code]' : value}`);
    return `redirect to ${stop.url.origin}${stop.url.pathname} with ${shown.join('&') || '(no parameters)'}`;
  }
  const alert = stop.alert ? ` alert "${stop.alert}"` : '';
  return `page HTTP ${stop.status} at ${stop.url.pathname}${alert}: ${stop.text.slice(0, 160)}`;
}

/**
 * The flow was refused: no code reached the client, and either the client got an error redirect or the user sees an
 * error (an element with role="alert", the page convention of the README).
 */
export function expectRefused(stop: Stop, why: string): string {
  if (stop.kind === 'redirect') {
    expect.that(
      !stop.params.has('code'),
      `an authorization code reached the client (${describeStop(stop)}); expected the AS to refuse the sign-in. ${why}`,
    );
    const error = stop.params.get('error');
    expect.that(
      error,
      `the flow redirected to the client without code or error (${describeStop(stop)}); a refused flow redirects ` +
        `with error (OAuth 2.1 §4.1.2.1) or shows an error page. ${why}`,
    );
    return `refused: the client received error=${error}`;
  }
  expect.that(
    stop.alert,
    `the flow ended on a page without an error the user can read (${describeStop(stop)}); expected an error page ` +
      `with the reason in an element with role="alert", or an error redirect to the client. ${why}`,
  );
  return `refused: HTTP ${stop.status} page with alert "${stop.alert}"`;
}

/** The claims that describe the signed-in user: the access token's, or the ID token's when the access token is opaque. */
export async function signedInClaims(ctx: CheckContext, journey: FlowJourney): Promise<Claims> {
  await journey.approveIfAsked();
  const tokens = await journey.redeem();
  const claims = tokens.claims ?? tokens.idTokenClaims;
  if (!claims) return ctx.skip('the access token is opaque and no ID token was issued: the claims cannot be read');
  return claims;
}

/** The `sub` of the signed-in user; a token without one blocks the check. */
export function subjectOf(claims: Claims, step: string): string {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '') throw new BlockedError(step, 'the issued token carries no sub');
  return sub;
}
