import { type ClientCheck, notJudged, observed, violated } from '../../harness/client-mode/scenario.ts';
import { bearerToken, issuedAccessTokens, mcpRequests } from './traffic.ts';

const TOKEN_QUERY_PARAMETERS = ['access_token', 'token'];

export const bearerOnMcpRequests: ClientCheck = {
  id: 'client.bearer-on-mcp',
  title: 'After authorizing, the client calls the MCP server with Authorization: Bearer and the issued token',
  requirements: ['CL-BEARER-HEADER', 'CL-BEARER-EVERY-REQUEST'],
  level: 'MUST',
  judge(traffic) {
    const issued = issuedAccessTokens(traffic);
    if (issued.length === 0) return notJudged('the AS issued no access token');
    const firstIssue = traffic.requests.find(
      (request) => request.url.pathname.endsWith('/token') && request.status === 200,
    );
    const after = mcpRequests(traffic).filter((request) => request.index > (firstIssue?.index ?? -1));
    if (after.length === 0) return violated('the client got an access token but never called the MCP server with it');
    const unauthenticated = after.filter((request) => !issued.includes(bearerToken(request) ?? ''));
    if (unauthenticated.length > 0) {
      return violated(
        `${unauthenticated.length} of ${after.length} MCP requests after the token response lack "Authorization: Bearer <issued token>"; ` +
          'every request, even within one session, must carry it',
        unauthenticated,
      );
    }
    const served = after.filter((request) => (request.status ?? 0) < 300);
    if (served.length === 0) return violated('no MCP request with the token succeeded', after);
    return observed(`${after.length} MCP requests carried the bearer token; ${served.length} succeeded`, after);
  },
};

export const noTokenInQuery: ClientCheck = {
  id: 'client.no-token-in-query',
  title: 'The client never puts an access token in a URL query string',
  requirements: ['CL-NO-QUERY-TOKEN'],
  level: 'MUST',
  judge(traffic) {
    const leaking = traffic.requests.filter((request) =>
      TOKEN_QUERY_PARAMETERS.some((name) => request.url.searchParams.has(name)),
    );
    return leaking.length > 0
      ? violated(
          `${leaking.length} requests carry a token in the query string (${leaking.map((request) => request.url.pathname).join(', ')}); ` +
            'URLs end up in logs and histories, so tokens go only in the Authorization header',
          leaking,
        )
      : observed(`none of ${traffic.requests.length} requests had a token in its URL`);
  },
};
