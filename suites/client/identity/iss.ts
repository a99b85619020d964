import type { ClientRequest } from '../../../harness/client-mode/recorder.ts';
import { type ClientCheck, notJudged, observed, violated } from '../../../harness/client-mode/scenario.ts';
import { rejectsIssMismatch } from '../refusal.ts';
import { codeTokenRequests } from '../traffic.ts';

/** An authorization redirect carrying a code, as the client's user agent received it from the AS. */
interface CodeResponse {
  request: ClientRequest;
  location: URL;
}

function codeResponses(requests: readonly ClientRequest[]): CodeResponse[] {
  return requests.flatMap((request) => {
    const location = request.server === 'as' ? request.responseHeaders?.get('location') : undefined;
    if (!location || !URL.canParse(location, request.url)) return [];
    const url = new URL(location, request.url);
    return url.searchParams.has('code') ? [{ request, location: url }] : [];
  });
}

export const redeemsGenuineAuthorizationResponse: ClientCheck = {
  id: 'client.redeems-genuine-response',
  title: 'The client accepts a genuine authorization response: iss equal to its issuer, or absent when not advertised',
  requirements: ['CL-ISS-VALIDATE', 'R9207-CL-COMPARE'],
  level: 'MUST',
  judge(traffic) {
    const response = codeResponses(traffic.requests)[0];
    if (!response) return notJudged('the AS sent no authorization response with a code');
    const iss = response.location.searchParams.get('iss');
    if (iss !== null && iss !== traffic.issuer) return notJudged(`the authorization response carried iss=${iss}`);
    const code = response.location.searchParams.get('code');
    const redemption = codeTokenRequests(traffic).find((request) => request.form?.get('code') === code);
    const carried = iss === null ? 'no iss (the AS does not advertise support)' : `iss=${iss}, the recorded issuer`;
    return redemption
      ? observed(`the response carried ${carried}; the client redeemed its code`, [response.request, redemption])
      : violated(
          `the response carried ${carried}, yet the client never redeemed the code; RFC 9207 §2.4 and MCP ` +
            '"Authorization Response Validation": compare iss when present or advertised, and otherwise proceed',
          [response.request],
        );
  },
};

/** rejectsIssMismatch's judgement under its own id, requirement and explanation for one row of the RFC 9207 table. */
function issRefusal(rule: { id: string; title: string; requirements: string[]; why: string }): ClientCheck {
  return {
    id: rule.id,
    title: rule.title,
    requirements: rule.requirements,
    level: 'MUST',
    judge(traffic) {
      const verdict = rejectsIssMismatch.judge(traffic);
      if (verdict.outcome !== 'violated') return verdict;
      const response = codeResponses(traffic.requests)[0];
      const iss = response?.location.searchParams.get('iss');
      const received = iss === null || iss === undefined ? 'no iss' : `iss=${JSON.stringify(iss)}`;
      return violated(
        `the authorization response carried ${received} (the issuer is ${JSON.stringify(traffic.issuer)}), yet the ` +
          `client redeemed its code; ${rule.why}`,
        verdict.evidence,
      );
    },
  };
}

export const rejectsMissingIss = issRefusal({
  id: 'client.rejects-missing-iss',
  title: 'The client discards an authorization response without iss from an AS that advertises iss support',
  requirements: ['R9207-CL-MISSING', 'CL-ISS-VALIDATE'],
  why:
    'the AS metadata says authorization_response_iss_parameter_supported=true, so a response without iss may come ' +
    'from another AS (mix-up) and must be rejected before the code goes to any token endpoint (RFC 9207 §2.4)',
});

export const rejectsUnadvertisedIssMismatch = issRefusal({
  id: 'client.rejects-unadvertised-iss-mismatch',
  title: 'The client compares an iss it did not expect with its issuer and discards the response on mismatch',
  requirements: ['CL-ISS-VALIDATE', 'R9207-CL-COMPARE'],
  why:
    'the AS does not advertise iss support, but an iss that is present must still equal the recorded issuer ' +
    '(MCP "Authorization Response Validation" overrides RFC 9207 §2.4’s local policy); reject on mismatch',
});

export const rejectsNormalizedIss = issRefusal({
  id: 'client.rejects-normalized-iss',
  title: 'The client compares iss with its issuer by simple string comparison, without URL normalization',
  requirements: ['CL-ISS-NO-NORMALIZE', 'R9207-CL-COMPARE'],
  why:
    'iss differs from the issuer only by a normalization (a trailing slash); RFC 9207 §2.4 demands simple string ' +
    'comparison with no case folding, default-port elision, trailing-slash or percent-encoding normalization',
});
