import type { ClientRequest } from '../../harness/client-mode/recorder.ts';
import type { ScenarioTraffic } from '../../harness/client-mode/scenario.ts';

/** The requests of one kind, in the order the client made them (at the root issuer or a path issuer). */
export const authorizationRequests = (traffic: ScenarioTraffic): ClientRequest[] =>
  traffic.requests.filter((request) => request.server === 'as' && request.url.pathname.endsWith('/authorize'));

export const codeTokenRequests = (traffic: ScenarioTraffic): ClientRequest[] =>
  traffic.requests.filter(
    (request) =>
      request.server === 'as' &&
      request.url.pathname.endsWith('/token') &&
      request.form?.get('grant_type') === 'authorization_code',
  );

export const registrationRequests = (traffic: ScenarioTraffic): ClientRequest[] =>
  traffic.requests.filter(
    (request) => request.server === 'as' && request.url.pathname.endsWith('/register') && request.method === 'POST',
  );

export const mcpRequests = (traffic: ScenarioTraffic): ClientRequest[] =>
  traffic.requests.filter(
    (request) => request.server === 'mcp' && request.url.pathname === new URL(traffic.mcpUrl).pathname,
  );

/** Access tokens the AS issued during the scenario. */
export function issuedAccessTokens(traffic: ScenarioTraffic): string[] {
  return traffic.requests
    .filter((request) => request.server === 'as' && request.url.pathname.endsWith('/token') && request.status === 200)
    .map((request) => responseString(request, 'access_token'))
    .filter((token): token is string => token !== undefined);
}

export function bearerToken(request: ClientRequest): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '');
  return match?.[1];
}

/** The `scope` parameter of the MCP server's first 401 challenge, if it named one. */
export function challengedScope(traffic: ScenarioTraffic): string | undefined {
  const challenge = mcpRequests(traffic).find((request) => request.status === 401);
  const header = challenge?.responseHeaders?.get('www-authenticate') ?? '';
  return /\bscope="([^"]*)"/.exec(header)?.[1];
}

/** A response or request body as a JSON object (undefined when it is not one). */
export function jsonObject(body: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body ?? '');
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A member of the request's JSON response body. */
export const responseMember = (request: ClientRequest, name: string): unknown =>
  jsonObject(request.responseBody)?.[name];

/** A member of the request's JSON response body, when it is a string (e.g. a token response's `access_token`). */
export function responseString(request: ClientRequest, name: string): string | undefined {
  const member = responseMember(request, name);
  return typeof member === 'string' ? member : undefined;
}
