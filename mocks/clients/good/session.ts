import { callEcho } from '../client-kit.ts';
import { authorizeWithCode } from './authorization.ts';
import { discoverAuthorization, probeUnauthenticated } from './discovery.ts';
import { clientIdentity } from './identity.ts';
import type { ClientJourney } from './journey.ts';

export interface AuthorizedSession {
  accessToken: string;
  clientId: string;
  toolResult: unknown;
}

/**
 * The MCP server demands authorization: discover, identify the client, authorize, then call `echo` with the token.
 */
export async function runAuthorizedSession(journey: ClientJourney): Promise<AuthorizedSession> {
  const challenge = await probeUnauthenticated(journey);
  journey.step(
    `POST ${journey.mcpUrl.href} without a token → 401, resource_metadata=${challenge.resourceMetadataUrl ?? '(none)'}`,
  );
  const { resource, as } = await discoverAuthorization(journey, challenge);
  const identity = await clientIdentity(journey, as);
  const scope = journey.scope ?? challenge.scope ?? resource?.scopes_supported?.join(' ');
  const tokens = await authorizeWithCode(journey, as, identity, scope);
  const toolResult = await callEcho(journey.mcpUrl, tokens.access_token, journey.fetch, {
    name: 'good-mcp-client',
    message: 'hello from the good client',
  });
  journey.step('MCP initialize + tools/call echo succeeded');
  return { accessToken: tokens.access_token, clientId: identity.client.client_id, toolResult };
}
