import type { ClientRequest } from '../../../harness/client-mode/recorder.ts';
import type { ScenarioTraffic } from '../../../harness/client-mode/scenario.ts';
import { bearerToken, mcpRequests, responseMember, responseString } from '../traffic.ts';

const PRM_PATH_PREFIX = '/.well-known/oauth-protected-resource';
const AS_METADATA_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];

export const scopeItems = (scope: string | null | undefined): string[] => (scope ?? '').split(' ').filter(Boolean);

/** Token requests of one grant type, in order. */
export const tokenRequests = (traffic: ScenarioTraffic, grantType?: string): ClientRequest[] =>
  traffic.requests.filter(
    (request) =>
      request.server === 'as' &&
      request.url.pathname === '/token' &&
      request.method === 'POST' &&
      (grantType === undefined || request.form?.get('grant_type') === grantType),
  );

export const refreshRequests = (traffic: ScenarioTraffic): ClientRequest[] => tokenRequests(traffic, 'refresh_token');

/** Refresh tokens the AS issued, each with the token response that carried it. */
export function issuedRefreshTokens(traffic: ScenarioTraffic): { token: string; response: ClientRequest }[] {
  return tokenRequests(traffic)
    .filter((request) => request.status === 200)
    .flatMap((response) => {
      const token = responseString(response, 'refresh_token');
      return token ? [{ token, response }] : [];
    });
}

/** A parameter of the Bearer challenge (WWW-Authenticate) of a response. */
export function challengeParameter(request: ClientRequest, name: string): string | undefined {
  const header = request.responseHeaders?.get('www-authenticate') ?? '';
  return new RegExp(`\\b${name}="([^"]*)"`).exec(header)?.[1];
}

/** MCP requests carrying a token that were refused with `status` and the Bearer `error`. */
export function refusedWithToken(traffic: ScenarioTraffic, status: 401 | 403, error: string): ClientRequest[] {
  return mcpRequests(traffic).filter(
    (request) =>
      request.status === status && bearerToken(request) !== undefined && challengeParameter(request, 'error') === error,
  );
}

/** The JSON-RPC method and tool name of an MCP request, e.g. `tools/call echo` (batches: their first message). */
export function operationOf(request: ClientRequest): string | undefined {
  const message: unknown = Array.isArray(request.json) ? request.json[0] : request.json;
  if (typeof message !== 'object' || message === null) return undefined;
  const { method, params } = message as { method?: unknown; params?: { name?: unknown } };
  if (typeof method !== 'string') return undefined;
  return typeof params?.name === 'string' ? `${method} ${params.name}` : method;
}

/** The first protected resource metadata document the client received. */
export function fetchedResourceMetadata(
  traffic: ScenarioTraffic,
): { request: ClientRequest; scopesSupported: string[] | undefined } | undefined {
  const request = traffic.requests.find(
    (candidate) =>
      candidate.server === 'mcp' && candidate.url.pathname.startsWith(PRM_PATH_PREFIX) && candidate.status === 200,
  );
  return request && { request, scopesSupported: stringArray(responseMember(request, 'scopes_supported')) };
}

/** The first authorization server metadata document the client received. */
export function fetchedAuthorizationServerMetadata(
  traffic: ScenarioTraffic,
): { request: ClientRequest; scopesSupported: string[] | undefined } | undefined {
  const request = traffic.requests.find(
    (candidate) =>
      candidate.server === 'as' && AS_METADATA_PATHS.includes(candidate.url.pathname) && candidate.status === 200,
  );
  return request && { request, scopesSupported: stringArray(responseMember(request, 'scopes_supported')) };
}

function stringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;
}
