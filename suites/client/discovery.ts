import { type ClientCheck, notJudged, observed, violated } from '../../harness/client-mode/scenario.ts';
import { mcpRequests } from './traffic.ts';

const PRM_PATH_PREFIX = '/.well-known/oauth-protected-resource';
const AS_METADATA_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];

export const discoversFromChallenge: ClientCheck = {
  id: 'client.prm-from-challenge',
  title: 'After a 401, the client fetches the protected resource metadata the challenge points to',
  requirements: ['CL-WWW-AUTH-PARSE', 'CL-PRM-USE', 'CL-PRM-HEADER-FIRST'],
  level: 'MUST',
  judge(traffic) {
    const challenge = mcpRequests(traffic).find((request) => request.status === 401);
    if (!challenge) return notJudged('the client never reached the MCP server without a token, so no 401 was sent');
    const pointer = /\bresource_metadata="([^"]*)"/.exec(challenge.responseHeaders?.get('www-authenticate') ?? '')?.[1];
    const fetched = traffic.requests.find(
      (request) =>
        request.index > challenge.index &&
        (request.url.href === pointer || request.url.pathname.startsWith(PRM_PATH_PREFIX)),
    );
    if (!fetched || fetched.url.href !== pointer) {
      return violated(
        `the 401 named resource_metadata="${pointer}" but the client ${fetched ? `fetched ${fetched.url.href}` : 'fetched no protected resource metadata'}; ` +
          'a client must read WWW-Authenticate and use that URL to find the authorization server (RFC 9728 §5.1)',
        fetched ? [challenge, fetched] : [challenge],
      );
    }
    return observed(`401 → GET ${fetched.url.href}`, [challenge, fetched]);
  },
};

export const fetchesAuthorizationServerMetadata: ClientCheck = {
  id: 'client.as-metadata',
  title: 'The client reads the authorization server metadata (RFC 8414 or OpenID Discovery) at the issuer',
  requirements: ['CL-AS-META-BOTH', 'CL-AS-META-ORDER-ROOT'],
  level: 'MUST',
  judge(traffic) {
    if (!traffic.requests.some((request) => request.server === 'as')) {
      return notJudged('the client made no request to the authorization server');
    }
    const metadata = traffic.requests.find(
      (request) => request.server === 'as' && AS_METADATA_PATHS.includes(request.url.pathname),
    );
    const firstUse = traffic.requests.find(
      (request) => request.server === 'as' && !request.url.pathname.startsWith('/.well-known/'),
    );
    if (!metadata || (firstUse && firstUse.index < metadata.index)) {
      const guesses = traffic.requests.filter(
        (request) => request.server === 'as' && request.url.pathname.startsWith('/.well-known/'),
      );
      return violated(
        `the client ${firstUse ? `called ${firstUse.url.pathname} at the AS` : 'did nothing at the AS'} without first reading ` +
          `${AS_METADATA_PATHS.join(' or ')}; endpoints must come from the issuer's metadata, not from guesses`,
        firstUse ? [firstUse] : guesses,
      );
    }
    return observed(`GET ${metadata.url.pathname} (status ${metadata.status})`, [metadata]);
  },
};
