import type { ClientRequest } from '../../../harness/client-mode/recorder.ts';
import type { ScenarioTraffic } from '../../../harness/client-mode/scenario.ts';
import { jsonObject, mcpRequests } from '../traffic.ts';
import {
  isAuthorizationServerMetadataPath,
  isResourceMetadataPath,
  LEGACY_ENDPOINT_PATHS,
  withoutQuery,
} from './locations.ts';

/** The MCP server's first 401 to the client. */
export const firstChallenge = (traffic: ScenarioTraffic): ClientRequest | undefined =>
  mcpRequests(traffic).find((request) => request.status === 401);

/** The `resource_metadata` URL of a 401 challenge (RFC 9728 §5.1), if it names one. */
export function challengePointer(challenge: ClientRequest): string | undefined {
  return /\bresource_metadata="([^"]*)"/.exec(challenge.responseHeaders?.get('www-authenticate') ?? '')?.[1];
}

/** Every request for protected resource metadata: at a well-known URL or at a URL a challenge named. */
export function resourceMetadataRequests(traffic: ScenarioTraffic): ClientRequest[] {
  const pointers = new Set(
    mcpRequests(traffic)
      .map(challengePointer)
      .filter((pointer) => pointer !== undefined),
  );
  return traffic.requests.filter(
    (request) =>
      request.server === 'mcp' &&
      (isResourceMetadataPath(request.url.pathname) || pointers.has(withoutQuery(request.url))),
  );
}

/** The protected resource metadata the client obtained, and the first authorization server it lists. */
export function obtainedResourceMetadata(
  traffic: ScenarioTraffic,
): { request: ClientRequest; issuer: string | undefined } | undefined {
  const request = resourceMetadataRequests(traffic).find((candidate) => candidate.status === 200);
  if (!request) return undefined;
  const servers = jsonObject(request.responseBody)?.authorization_servers;
  const issuer = Array.isArray(servers) && typeof servers[0] === 'string' ? servers[0] : undefined;
  return { request, issuer };
}

/** Requests to the MCP server's origin at the 2025-03-26 places of the AS: its metadata or default endpoints. */
export const legacyRequests = (traffic: ScenarioTraffic): ClientRequest[] =>
  traffic.requests.filter(
    (request) =>
      request.server === 'mcp' &&
      (LEGACY_ENDPOINT_PATHS.includes(request.url.pathname) || isAuthorizationServerMetadataPath(request.url.pathname)),
  );
