import type { ClientRequest } from '../../harness/client-mode/recorder.ts';
import {
  type ClientCheck,
  notJudged,
  observed,
  type ScenarioTraffic,
  violated,
} from '../../harness/client-mode/scenario.ts';
import { completesInTime } from './completion.ts';
import { authorizationRequests, codeTokenRequests, mcpRequests, responseMember } from './traffic.ts';

const PRM_PATH_PREFIX = '/.well-known/oauth-protected-resource';

/**
 * Where the servers lie, a client is expected to give up: it must still end by itself, but a non-zero exit is the
 * refusal itself, not a failure.
 */
export const endsOrRefuses: ClientCheck = {
  id: 'client.completes',
  title: 'The client ends within the time limit (refusing with a non-zero exit is expected here)',
  requirements: ['CL-RUN-COMPLETES'],
  level: 'MUST',
  judge(traffic) {
    const { process } = traffic;
    const verdict = completesInTime.judge(traffic);
    if (verdict.outcome !== 'violated' || process.timedOut || process.spawnError || process.signal) return verdict;
    return observed(`the client gave up by itself: ${verdict.message}`);
  },
};

/** An authorization response as the client received it: the AS's redirect to the client's redirect URI. */
interface AuthorizationResponse {
  request: ClientRequest;
  location: URL;
}

function authorizationResponses(traffic: ScenarioTraffic): AuthorizationResponse[] {
  return traffic.requests.flatMap((request) => {
    const location = request.server === 'as' ? request.responseHeaders?.get('location') : undefined;
    if (!location || !URL.canParse(location, request.url)) return [];
    const url = new URL(location, request.url);
    return url.searchParams.has('code') ? [{ request, location: url }] : [];
  });
}

interface ForgedResponseRule {
  id: string;
  title: string;
  requirements: string[];
  /** CL-STATE is a SHOULD (PKCE already protects against CSRF, OAuth 2.1 §2.3.3); iss validation is a MUST. */
  level: 'MUST' | 'SHOULD';
  /** The authorization response parameter the servers falsify. */
  parameter: 'state' | 'iss';
  /** The value a genuine response carries. */
  genuine(traffic: ScenarioTraffic, authorization: ClientRequest): string | null;
  /** Why redeeming the code anyway is dangerous, and what the client must do. */
  consequence: string;
}

/** A client that received an authorization response with a falsified `parameter` must not redeem its code. */
function refusesForgedAuthorizationResponse(rule: ForgedResponseRule): ClientCheck {
  return {
    id: rule.id,
    title: rule.title,
    requirements: rule.requirements,
    level: rule.level,
    judge(traffic) {
      const authorization = authorizationRequests(traffic)[0];
      const forged = authorizationResponses(traffic).filter(
        ({ location }) =>
          authorization && location.searchParams.get(rule.parameter) !== rule.genuine(traffic, authorization),
      );
      if (!authorization || forged.length === 0) {
        return notJudged(`the client received no authorization response with a falsified ${rule.parameter}`);
      }
      const forgedCodes = new Set(forged.map(({ location }) => location.searchParams.get('code')));
      const redemptions = codeTokenRequests(traffic).filter((request) =>
        forgedCodes.has(request.form?.get('code') ?? null),
      );
      const first = forged[0] as AuthorizationResponse;
      const received = `${rule.parameter}=${JSON.stringify(first.location.searchParams.get(rule.parameter))}`;
      const expected = JSON.stringify(rule.genuine(traffic, authorization));
      if (redemptions.length > 0) {
        return violated(
          `the authorization response carried ${received} where ${expected} was expected, yet the client redeemed its ` +
            `code at the token endpoint; ${rule.consequence}`,
          [authorization, first.request, ...redemptions],
        );
      }
      return observed(`the response carried ${received} (expected ${expected}); the client redeemed no code from it`, [
        authorization,
        first.request,
      ]);
    },
  };
}

export const rejectsStateMismatch = refusesForgedAuthorizationResponse({
  id: 'client.rejects-state-mismatch',
  title: 'The client discards an authorization response whose state differs from the one it sent',
  requirements: ['CL-STATE'],
  level: 'SHOULD',
  parameter: 'state',
  genuine: (_traffic, authorization) => authorization.url.searchParams.get('state'),
  consequence:
    'a client that sends state binds the response to its own request with it, so a response with another state may ' +
    'be an attacker’s (CSRF); compare state with the value stored for this request and discard the response on any ' +
    'difference (OAuth 2.1 §2.3.3, RFC 9700 §2.1)',
});

export const rejectsIssMismatch = refusesForgedAuthorizationResponse({
  id: 'client.rejects-iss-mismatch',
  title: 'The client discards an authorization response whose iss is not its authorization server’s issuer',
  requirements: ['R9207-CL-COMPARE', 'CL-ISS-VALIDATE', 'OA21-MIXUP'],
  level: 'MUST',
  parameter: 'iss',
  genuine: (traffic) => traffic.issuer,
  consequence:
    'the AS advertises authorization_response_iss_parameter_supported, so iss must equal the recorded issuer by ' +
    'simple string comparison before the code goes to any token endpoint (RFC 9207 §2.4); otherwise a mix-up ' +
    'attacker can obtain the code',
});

export const rejectsResourceMismatch: ClientCheck = {
  id: 'client.rejects-resource-mismatch',
  title: 'The client does not authorize for an MCP server whose protected resource metadata names another resource',
  requirements: ['CL-PRM-RESOURCE-MATCH', 'R9728-RESOURCE-EQ-HEADER'],
  level: 'MUST',
  judge(traffic) {
    const mismatched = traffic.requests.find(
      (request) =>
        request.server === 'mcp' &&
        request.url.pathname.startsWith(PRM_PATH_PREFIX) &&
        request.status === 200 &&
        namedResource(request) !== traffic.mcpUrl,
    );
    if (!mismatched) return notJudged('the client fetched no protected resource metadata naming another resource');
    const proceeded = traffic.requests.filter(
      (request) =>
        request.index > mismatched.index &&
        request.server === 'as' &&
        ['/authorize', '/token'].includes(request.url.pathname),
    );
    const resource = JSON.stringify(namedResource(mismatched));
    if (proceeded.length > 0) {
      return violated(
        `the protected resource metadata named resource ${resource}, not the MCP URL ${traffic.mcpUrl}, yet the client ` +
          `went on to ${[...new Set(proceeded.map((request) => request.url.pathname))].join(' and ')}; metadata whose ` +
          'resource differs from the URL the client requested must not be used (RFC 9728 §3.3), or a token for ' +
          'another server may be obtained and sent here',
        [mismatched, ...proceeded],
      );
    }
    const calls = mcpRequests(traffic).filter((request) => request.index > mismatched.index).length;
    return observed(
      `resource ${resource} ≠ ${traffic.mcpUrl}; the client neither authorized nor requested a token` +
        (calls > 0 ? ` (it made ${calls} further MCP request(s))` : ''),
      [mismatched],
    );
  },
};

function namedResource(request: ClientRequest): unknown {
  return responseMember(request, 'resource');
}
