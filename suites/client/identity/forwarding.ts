import { type ClientCheck, notJudged, observed, violated } from '../../../harness/client-mode/scenario.ts';
import { issuedAccessTokens } from '../traffic.ts';

export const tokenNotForwarded: ClientCheck = {
  id: 'client.token-not-forwarded',
  title: 'The client never sends its access token or credentials to an origin other than the MCP server and its AS',
  requirements: ['CL-TOKEN-NO-FOREIGN-ORIGIN'],
  level: 'MUST',
  judge(traffic) {
    const redirect = traffic.requests.find(
      (request) =>
        request.server === 'mcp' &&
        (request.status ?? 0) >= 300 &&
        (request.status ?? 0) < 400 &&
        request.responseHeaders?.get('location')?.startsWith(traffic.foreignOrigin),
    );
    if (!redirect) return notJudged('the MCP server sent the client no redirect to the foreign origin');
    const foreign = traffic.requests.filter((request) => request.server === 'foreign');
    const tokens = issuedAccessTokens(traffic);
    const leaking = foreign.filter(
      (request) =>
        request.headers.has('authorization') ||
        tokens.some((token) => request.url.href.includes(token) || request.body.includes(token)),
    );
    if (leaking.length > 0) {
      return violated(
        `${leaking.length} request(s) to ${traffic.foreignOrigin} carried an Authorization header or an issued token; ` +
          'a token is for the MCP server it was issued for: when a redirect leaves that origin, drop the Authorization ' +
          'header as fetch does (Fetch §4.4) and never re-attach it by hand (RFC 6750 §5.3, RFC 9700 §4.9)',
        [redirect, ...leaking],
      );
    }
    return observed(
      foreign.length > 0
        ? `the client followed the 307 to ${traffic.foreignOrigin} without its token (${foreign.length} request(s))`
        : `the client did not follow the 307 to ${traffic.foreignOrigin}`,
      [redirect, ...foreign],
    );
  },
};
