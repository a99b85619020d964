import type { ClientRequest } from '../../../harness/client-mode/recorder.ts';
import { type ClientCheck, notJudged, observed, violated } from '../../../harness/client-mode/scenario.ts';
import { responseString } from '../traffic.ts';
import { asTokenRequests, decodeJwt, idpTokenRequests } from './traffic.ts';

const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';

/** ID-JAG §4.3 (the stable MCP profile): what one token exchange request at the IdP gets wrong, as sentences. */
function exchangeProblems(request: ClientRequest, issuer: string, mcpUrl: string): string[] {
  const form = request.form ?? new URLSearchParams();
  const expect = (name: string, value: string) =>
    form.get(name) === value ? [] : [`${name}=${JSON.stringify(form.get(name))} (expected "${value}")`];
  const resource = form.getAll('resource');
  return [
    ...expect('grant_type', TOKEN_EXCHANGE_GRANT),
    ...expect('requested_token_type', ID_JAG_TOKEN_TYPE),
    ...expect('subject_token_type', ID_TOKEN_TYPE),
    ...(form.get('subject_token') ? [] : ['no subject_token (the ID token from SSO)']),
    ...expect('audience', issuer),
    ...(resource.length === 0 || (resource.length === 1 && resource[0] === mcpUrl)
      ? []
      : [`resource=${JSON.stringify(resource)} (expected "${mcpUrl}", the MCP server)`]),
    ...(request.status === 200 ? [] : [`the IdP refused it (${request.status}: ${request.responseBody ?? ''})`]),
  ];
}

export const idJagTokenExchange: ClientCheck = {
  id: 'client.id-jag-token-exchange',
  title:
    'The client exchanges its ID token at the enterprise IdP for an ID-JAG whose audience is the AS issuer and resource the MCP server',
  requirements: ['EMA-CL-TE-REQUEST', 'EMA-CL-TE-AUDIENCE', 'EMA-CL-TE-RESOURCE', 'R8693-GRANT'],
  level: 'MUST',
  judge(traffic) {
    const exchanges = idpTokenRequests(traffic);
    const atAs = asTokenRequests(traffic);
    if (exchanges.length === 0) {
      return atAs.length === 0
        ? notJudged('the client went neither to the IdP nor to the token endpoint of the AS')
        : violated(
            'the client asked the AS for a token without first exchanging its ID token at the enterprise IdP; an ' +
              'ID-JAG comes from the IdP token endpoint (RFC 8693 token exchange, requested_token_type=' +
              `${ID_JAG_TOKEN_TYPE}, ID-JAG §4.3)`,
            atAs,
          );
    }
    const flawed = exchanges
      .map((request) => ({ request, problems: exchangeProblems(request, traffic.issuer, traffic.mcpUrl) }))
      .filter(({ problems }) => problems.length > 0);
    if (flawed.length > 0) {
      return violated(
        `the token exchange at the IdP is not the ID-JAG request: ${flawed.flatMap(({ problems }) => problems).join('; ')}. ` +
          'audience is the issuer of the MCP server’s AS and resource the MCP server itself (ID-JAG §4.3, MCP ' +
          'enterprise-managed authorization §4)',
        flawed.map(({ request }) => request),
      );
    }
    return observed(`token exchange for an ID-JAG: audience=${traffic.issuer}, resource=${traffic.mcpUrl}`, exchanges);
  },
};

export const idJagPresented: ClientCheck = {
  id: 'client.id-jag-presented',
  title: 'The client presents the ID-JAG from the IdP to the AS with the JWT bearer grant, authenticated as itself',
  requirements: ['EMA-CL-JWT-BEARER', 'R7523-GRANT'],
  level: 'MUST',
  judge(traffic) {
    const requests = asTokenRequests(traffic);
    if (requests.length === 0) return notJudged('the client made no token request at the AS');
    const issued = new Set(
      idpTokenRequests(traffic)
        .filter((request) => request.status === 200)
        .map((request) => responseString(request, 'access_token')),
    );
    const wrong = requests
      .map((request) => ({ request, problem: presentationProblem(request, issued) }))
      .filter(({ problem }) => problem !== undefined);
    if (wrong.length > 0) {
      return violated(
        `${wrong.map(({ problem }) => problem).join('; ')}. Send grant_type=${JWT_BEARER_GRANT} with ` +
          'assertion = the ID-JAG the IdP issued (never the ID token itself), authenticated with the client’s own ' +
          'credentials at the AS (ID-JAG §4.4)',
        wrong.map(({ request }) => request),
      );
    }
    return observed(`${requests.length} jwt-bearer requests presented the IdP’s ID-JAG`, requests);
  },
};

function presentationProblem(request: ClientRequest, issuedIdJags: Set<string | undefined>): string | undefined {
  const form = request.form ?? new URLSearchParams();
  if (form.get('grant_type') !== JWT_BEARER_GRANT) return `grant_type=${JSON.stringify(form.get('grant_type'))}`;
  const assertions = form.getAll('assertion');
  if (assertions.length !== 1) return `${assertions.length} assertion parameters, not one`;
  if (!issuedIdJags.has(assertions[0])) {
    const typ = decodeJwt(assertions[0] ?? '')?.header.typ;
    return `the assertion (typ ${JSON.stringify(typ)}) is not an ID-JAG the IdP issued in this run`;
  }
  const authenticated =
    request.headers.has('authorization') || form.has('client_secret') || form.has('client_assertion');
  return authenticated ? undefined : 'the request carries no client authentication';
}
