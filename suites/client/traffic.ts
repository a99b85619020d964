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
    .map((request) => jsonMember(request.responseBody, 'access_token'))
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

function jsonMember(body: string | undefined, name: string): string | undefined {
  try {
    const value: unknown = JSON.parse(body ?? '');
    const member = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
    return typeof member === 'string' ? member : undefined;
  } catch {
    return undefined;
  }
}
