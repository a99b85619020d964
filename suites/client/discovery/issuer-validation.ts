import type { ClientRequest } from '../../../harness/client-mode/recorder.ts';
import { type ClientCheck, notJudged, observed, violated } from '../../../harness/client-mode/scenario.ts';
import { jsonObject } from '../traffic.ts';
import { isAuthorizationServerMetadataPath, issuerOfMetadataUrl, withoutQuery } from './locations.ts';

const ENDPOINT_MEMBERS = ['authorization_endpoint', 'token_endpoint', 'registration_endpoint'];

/** A metadata document the client received whose `issuer` is not the one its well-known URL was built from. */
interface ForeignMetadata {
  request: ClientRequest;
  claimed: unknown;
  expected: string;
  endpoints: string[];
}

function foreignMetadata(request: ClientRequest): ForeignMetadata[] {
  const expected = issuerOfMetadataUrl(request.url);
  const document = request.status === 200 ? jsonObject(request.responseBody) : undefined;
  if (!document || expected === undefined || document.issuer === expected) return [];
  const endpoints = ENDPOINT_MEMBERS.map((member) => document[member])
    .filter((value): value is string => typeof value === 'string' && URL.canParse(value))
    .map((value) => withoutQuery(new URL(value)));
  return [{ request, claimed: document.issuer, expected, endpoints }];
}

export const asMetadataIssuerValidated: ClientCheck = {
  id: 'client.as-metadata-issuer-validated',
  title: 'The client does not use authorization server metadata whose issuer differs from the issuer it looked up',
  requirements: ['CL-AS-META-ISSUER-MATCH', 'R8414-ISSUER-EQ'],
  level: 'MUST',
  judge(traffic) {
    const served = traffic.requests
      .filter((request) => isAuthorizationServerMetadataPath(request.url.pathname))
      .flatMap(foreignMetadata);
    const first = served[0];
    if (!first) return notJudged('the client received no metadata document naming a foreign issuer');
    const endpoints = new Set(served.flatMap((metadata) => metadata.endpoints));
    const used = traffic.requests.filter(
      (request) => request.index > first.request.index && endpoints.has(withoutQuery(request.url)),
    );
    const seen = `${first.request.url.href} named issuer ${JSON.stringify(first.claimed)}, not ${first.expected}`;
    if (used.length > 0) {
      return violated(
        `${seen}, and the client then called ${used.map((request) => `${request.method} ${request.url.pathname}`).join(', ')} ` +
          'from that document; RFC 8414 §3.3: metadata whose issuer is not identical to the one the URL was built from ' +
          'MUST NOT be used (it may be an attacker substituting endpoints)',
        [first.request, ...used],
      );
    }
    return observed(`${seen}; the client used none of its endpoints`, [first.request]);
  },
};
