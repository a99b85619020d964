import { extractWWWAuthenticateParams } from '@modelcontextprotocol/client';
import type * as oauth from 'oauth4webapi';
import { discoverResource, firstAuthorizationServer, JourneyError } from '../client-kit.ts';
import type { Challenge, ClientJourney } from './journey.ts';

/** MCP authorization "Authorization Server Discovery": an unauthenticated request earns a 401 with a challenge. */
export async function probeUnauthenticated(journey: ClientJourney): Promise<Challenge> {
  const response = await journey.fetch(journey.mcpUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'ping' }),
  });
  await response.arrayBuffer();
  if (response.status !== 401) {
    throw new JourneyError(`expected 401 from ${journey.mcpUrl.href} without a token, got ${response.status}`);
  }
  const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(response);
  return {
    ...(resourceMetadataUrl ? { resourceMetadataUrl: resourceMetadataUrl.href } : {}),
    ...(scope ? { scope } : {}),
  };
}

/** Where the client authorizes: the protected resource metadata (when the MCP server has one) and the AS's metadata. */
export interface AuthorizationDiscovery {
  resource?: oauth.ResourceServer;
  as: oauth.AuthorizationServer;
}

/** RFC 9728 then RFC 8414: the resource metadata the challenge names (else the well-known URL), then its first AS. */
export async function discoverAuthorization(
  journey: ClientJourney,
  challenge: Challenge,
): Promise<AuthorizationDiscovery> {
  const resource = await discoverResource(journey.mcpUrl, journey.http, challenge.resourceMetadataUrl);
  journey.step(
    `protected resource metadata: resource=${resource.resource}, authorization_servers=${resource.authorization_servers}`,
  );
  const as = await firstAuthorizationServer(resource, journey.http);
  journey.step(`authorization server metadata: issuer=${as.issuer}`);
  return { resource, as };
}
