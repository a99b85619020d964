import type { ClientRequest } from '../../../harness/client-mode/recorder.ts';
import {
  type ClientCheck,
  notJudged,
  observed,
  type ScenarioTraffic,
  violated,
} from '../../../harness/client-mode/scenario.ts';
import { bearerToken, issuedAccessTokens, mcpRequests } from '../traffic.ts';
import { issuedRefreshTokens, refreshRequests, refusedWithToken, tokenRequests } from './lifecycle-traffic.ts';

/** Token requests between a rejection and the successful retry that still count as one recovery (a refused refresh, then an authorization). */
const MAX_TOKEN_REQUESTS_PER_RECOVERY = 2;

/** The first token-acquiring request (authorization or token request) after `index`. */
function nextTokenAcquisition(requests: readonly ClientRequest[], index: number): ClientRequest | undefined {
  return requests.find(
    (request) =>
      request.index > index &&
      request.server === 'as' &&
      (request.url.pathname === '/authorize' || (request.url.pathname === '/token' && request.method === 'POST')),
  );
}

export const refreshesOnExpiry: ClientCheck = {
  id: 'client.refreshes-on-expiry',
  title: 'When its access token is rejected, a client holding a refresh token uses it before authorizing again',
  requirements: ['CL-RT-USE'],
  level: 'SHOULD',
  judge(traffic) {
    const rejections = refusedWithToken(traffic, 401, 'invalid_token');
    const firstRefreshToken = issuedRefreshTokens(traffic)[0];
    const judged = rejections.filter(
      (rejection) => firstRefreshToken && firstRefreshToken.response.index < rejection.index,
    );
    if (judged.length === 0) return notJudged('no access token was rejected while the client held a refresh token');
    const relogins = judged.flatMap((rejection) => {
      const next = nextTokenAcquisition(traffic.requests, rejection.index);
      return next && next.url.pathname === '/authorize' ? [rejection, next] : [];
    });
    if (relogins.length > 0) {
      return violated(
        `the client held a refresh token, yet answered an expired access token by sending the user to /authorize again; ` +
          'refresh tokens exist to get a new access token without the user (OAuth 2.1 §1.3.2, §4.3): use ' +
          'grant_type=refresh_token first and authorize again only if the refresh is refused',
        relogins,
      );
    }
    const refreshes = judged.flatMap((rejection) => nextTokenAcquisition(traffic.requests, rejection.index) ?? []);
    return refreshes.length === judged.length
      ? observed(`${judged.length} rejected token(s), each followed by a refresh token grant`, [
          ...judged,
          ...refreshes,
        ])
      : violated('after the rejection the client requested no new token at all', judged);
  },
};

export const resourceInRefresh: ClientCheck = {
  id: 'client.resource-in-refresh',
  title: 'Every refresh token request names the MCP server as resource',
  requirements: ['CL-RESOURCE-PARAM', 'R8707-TOKEN-REQ'],
  level: 'MUST',
  judge(traffic) {
    const refreshes = refreshRequests(traffic);
    if (refreshes.length === 0) return notJudged('the client made no refresh token request');
    const wrong = refreshes.filter((request) => {
      const resources = request.form?.getAll('resource') ?? [];
      return resources.length !== 1 || resources[0] !== traffic.mcpUrl;
    });
    return wrong.length === 0
      ? observed(`${refreshes.length} refresh request(s), each with resource=${traffic.mcpUrl}`, refreshes)
      : violated(
          `${wrong.length} of ${refreshes.length} refresh requests lack resource=${traffic.mcpUrl} ` +
            `(sent: ${wrong.map((request) => JSON.stringify(request.form?.getAll('resource') ?? [])).join(', ')}); the ` +
            'token request names the resource for every grant, or the new token may be valid for other servers ' +
            '(RFC 8707 §2.2, MCP "Resource Parameter Implementation")',
          wrong,
        );
  },
};

export const refreshTokenUsedOnce: ClientCheck = {
  id: 'client.refresh-token-used-once',
  title: 'The client presents only the newest refresh token, and none twice',
  requirements: ['OA21-RT-ROTATED-SCOPE', 'CL-RT-ROTATION'],
  level: 'MUST',
  judge(traffic) {
    const refreshes = refreshRequests(traffic);
    if (refreshes.length === 0) return notJudged('the client made no refresh token request');
    const issued = issuedRefreshTokens(traffic);
    const stale = refreshes.filter((request) => {
      const newest = issued.filter(({ response }) => response.index < request.index).at(-1)?.token;
      return request.form?.get('refresh_token') !== newest;
    });
    const presented = refreshes.map((request) => request.form?.get('refresh_token'));
    const repeated = refreshes.filter((_request, position) => presented.indexOf(presented[position]) !== position);
    const flagged = [...new Set([...stale, ...repeated])];
    return flagged.length === 0
      ? observed(`${refreshes.length} refresh(es), each with the refresh token issued last`, refreshes)
      : violated(
          `${flagged.length} refresh request(s) presented a refresh token that was already used or replaced; when the ` +
            'AS rotates refresh tokens the client must discard the old one (OAuth 2.1 §4.3.3): a rotated token ' +
            'presented again looks like theft and revokes the whole grant (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2)',
          flagged,
        );
  },
};

/** Presentations of a rejected token after its 401 beyond which the client is looping, not merely racing. */
const MAX_REJECTED_TOKEN_REPRESENTATIONS = 2;

/** The first 401 invalid_token, and the later MCP requests that carried the same token again. */
function rejectedTokenReuse(
  traffic: ScenarioTraffic,
): { rejection: ClientRequest; reused: ClientRequest[] } | undefined {
  const rejection = refusedWithToken(traffic, 401, 'invalid_token')[0];
  if (!rejection) return undefined;
  const rejected = bearerToken(rejection);
  const reused = mcpRequests(traffic).filter(
    (request) => request.index > rejection.index && bearerToken(request) === rejected,
  );
  return { rejection, reused };
}

export const dropsRejectedToken: ClientCheck = {
  id: 'client.drops-rejected-token',
  title: 'After 401 invalid_token, the client does not present that token again',
  requirements: ['CL-WWW-AUTH-PARSE', 'CL-TOKEN-REJECTED-DROP'],
  level: 'SHOULD',
  judge(traffic) {
    const reuse = rejectedTokenReuse(traffic);
    if (!reuse) return notJudged('the MCP server rejected no access token');
    const { rejection, reused } = reuse;
    return reused.length === 0
      ? observed('the rejected token was never presented again', [rejection])
      : violated(
          `the MCP server answered 401 invalid_token, yet the client presented the same token ${reused.length} more ` +
            'time(s); a rejected token is dead (RFC 6750 §3.1): hold requests until the new token is there (one ' +
            'renewal shared by concurrent requests) instead of sending them with the old one',
          [rejection, ...reused],
        );
  },
};

export const recoversFromRejectedToken: ClientCheck = {
  id: 'client.recovers-from-invalid-token',
  title: 'After 401 invalid_token, the client gets a new token a bounded number of times and retries',
  requirements: ['CL-WWW-AUTH-PARSE', 'CL-TOKEN-REJECTED'],
  level: 'MUST',
  judge(traffic) {
    const reuse = rejectedTokenReuse(traffic);
    if (!reuse) return notJudged('the MCP server rejected no access token');
    const { rejection, reused } = reuse;
    if (reused.length > MAX_REJECTED_TOKEN_REPRESENTATIONS) {
      return violated(
        `the MCP server answered 401 invalid_token, yet the client presented the same token ${reused.length} more ` +
          'times: it is looping on a dead token (RFC 6750 §3.1); get a new one before retrying',
        [rejection, ...reused],
      );
    }
    const later = mcpRequests(traffic).filter((request) => request.index > rejection.index);
    const issued = issuedAccessTokens(traffic);
    const retry = later.find((request) => issued.includes(bearerToken(request) ?? '') && (request.status ?? 500) < 300);
    if (!retry) {
      return violated(
        'after 401 invalid_token the client never made a successful request with a new token; it must refresh (or ' +
          'authorize again) and retry (MCP authorization "Error Handling")',
        [rejection],
      );
    }
    const acquisitions = tokenRequests(traffic).filter(
      (request) => request.index > rejection.index && request.index < retry.index,
    );
    return acquisitions.length <= MAX_TOKEN_REQUESTS_PER_RECOVERY
      ? observed(`401 invalid_token → ${acquisitions.length} token request(s) → retried and served`, [
          rejection,
          ...acquisitions,
          retry,
        ])
      : violated(
          `${acquisitions.length} token requests between the rejection and the successful retry; recover once ` +
            '(refresh, else one new authorization), not in a loop',
          [rejection, ...acquisitions, retry],
        );
  },
};
