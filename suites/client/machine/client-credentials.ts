import type { ClientRequest } from '../../../harness/client-mode/recorder.ts';
import {
  type ClientCheck,
  type ClientVerdict,
  notJudged,
  observed,
  type ScenarioTraffic,
  violated,
} from '../../../harness/client-mode/scenario.ts';
import { asTokenRequests, basicClientId } from './traffic.ts';

const CLIENT_CREDENTIALS_GRANT = 'client_credentials';
const INTERACTIVE_PATHS = ['/authorize', '/register'];

/** Judges every token request at the AS, or says that there was none. */
function onTokenRequests(traffic: ScenarioTraffic, judge: (requests: ClientRequest[]) => ClientVerdict): ClientVerdict {
  const requests = asTokenRequests(traffic);
  return requests.length > 0 ? judge(requests) : notJudged('the client made no token request');
}

export const clientCredentialsGrant: ClientCheck = {
  id: 'client.client-credentials-grant',
  title: 'The client asks for its tokens with grant_type=client_credentials',
  requirements: ['CC-GRANT'],
  level: 'MUST',
  judge: (traffic) =>
    onTokenRequests(traffic, (requests) => {
      const others = requests.filter((request) => request.form?.get('grant_type') !== CLIENT_CREDENTIALS_GRANT);
      if (others.length > 0) {
        const grants = [...new Set(others.map((request) => String(request.form?.get('grant_type') ?? null)))];
        return violated(
          `${others.length} of ${requests.length} token requests use grant_type ${grants.join(', ')}; a client acting ` +
            'for itself uses grant_type=client_credentials and authenticates as the client (OAuth 2.1 §4.2.1); ' +
            'a client assertion goes in client_assertion, never in the jwt-bearer grant’s assertion',
          others,
        );
      }
      return observed(`${requests.length} token requests with grant_type=client_credentials`, requests);
    }),
};

export const resourceInMachineTokenRequest: ClientCheck = {
  id: 'client.machine-token-resource',
  title: 'Every token request names the MCP server in `resource`',
  requirements: ['CL-RESOURCE-PARAM', 'CL-RESOURCE-CANONICAL', 'CC-GRANT'],
  level: 'MUST',
  judge: (traffic) =>
    onTokenRequests(traffic, (requests) => {
      const wrong = requests.filter((request) => {
        const resources = request.form?.getAll('resource') ?? [];
        return resources.length !== 1 || resources[0] !== traffic.mcpUrl;
      });
      if (wrong.length > 0) {
        return violated(
          `${wrong.length} of ${requests.length} token requests do not carry resource=${traffic.mcpUrl} (sent: ` +
            `${wrong.map((request) => JSON.stringify(request.form?.getAll('resource') ?? [])).join(', ')}); ` +
            'the token request must name the MCP server so the token is audience-bound to it (RFC 8707 §2, MCP ' +
            '"Resource Parameter Implementation")',
          wrong,
        );
      }
      return observed(`resource=${traffic.mcpUrl} in all ${requests.length} token requests`, requests);
    }),
};

export const noInteractiveFlow: ClientCheck = {
  id: 'client.no-interactive-flow',
  title: 'Without a user, the client neither registers nor opens the authorization endpoint',
  requirements: ['CL-MACHINE-NO-INTERACTION', 'CC-PREREG', 'EMA-CL-NO-BROWSER'],
  level: 'SHOULD',
  judge: (traffic) =>
    onTokenRequests(traffic, (requests) => {
      const interactive = traffic.requests.filter(
        (request) => request.server === 'as' && INTERACTIVE_PATHS.includes(request.url.pathname),
      );
      if (interactive.length > 0) {
        return violated(
          `the client called ${[...new Set(interactive.map((request) => request.url.pathname))].join(' and ')} at the ` +
            'AS; a client holding pre-registered credentials or a grant gets its token at the token endpoint only ' +
            '(the AS metadata offers no registration here, and no user is there to authorize)',
          interactive,
        );
      }
      return observed(`only the token endpoint was used (${requests.length} requests)`, requests);
    }),
};

/** OAuth 2.1 §2.4.1: the pre-registered machine client authenticates with HTTP Basic, and only with it. */
export function clientSecretBasicAuthentication(clientId: string): ClientCheck {
  return {
    id: 'client.client-credentials-basic',
    title: 'The client authenticates with HTTP Basic (client_secret_basic) and sends no secret in the body',
    requirements: ['CC-CLIENT-AUTH', 'CL-TOKEN-AUTH-METHOD', 'CL-ONE-AUTH-METHOD'],
    level: 'MUST',
    judge: (traffic) =>
      onTokenRequests(traffic, (requests) => {
        const wrong = requests.filter(
          (request) =>
            basicClientId(request) !== clientId ||
            request.form?.has('client_secret') ||
            request.form?.has('client_assertion'),
        );
        if (wrong.length > 0) {
          return violated(
            `${wrong.length} of ${requests.length} token requests do not authenticate as ${clientId} with ` +
              'Authorization: Basic alone (seen: ' +
              `${wrong.map(describeAuthentication).join('; ')}); send base64(client_id:client_secret) in the header and ` +
              'no client_secret in the body, one method per request (OAuth 2.1 §2.4.1)',
            wrong,
          );
        }
        const accepted = requests.filter((request) => request.status === 200).length;
        return accepted > 0
          ? observed(`Basic credentials of ${clientId}; the AS accepted ${accepted} of ${requests.length}`, requests)
          : violated('the client used Basic credentials, but the AS accepted none of its token requests', requests);
      }),
  };
}

function describeAuthentication(request: ClientRequest): string {
  const header = request.headers.get('authorization')?.split(' ')[0];
  const body = ['client_secret', 'client_assertion'].filter((name) => request.form?.has(name));
  return [header ? `Authorization: ${header} as ${basicClientId(request) ?? '?'}` : 'no header', ...body].join(' + ');
}
