import type { FetchHandler } from '../network/types.ts';

/** Where a simulated user's MCP client publishes its Client ID Metadata Document: the URL is its client_id. */
export function clientDocumentUrl(origin: string, actorId: string): string {
  return `${origin}/clients/${encodeURIComponent(actorId)}`;
}

/**
 * Serves the Client ID Metadata Documents of the simulated users' MCP clients (CIMD §3): each names its own URL as
 * client_id, the world's redirect URI, and a public client's settings (RFC 7591 §2 fields), cacheable for an hour.
 */
export function clientDocumentHost(redirectUri: string): FetchHandler {
  return async (request) => {
    const url = new URL(request.url);
    const actorId = url.pathname.startsWith('/clients/')
      ? decodeURIComponent(url.pathname.slice('/clients/'.length))
      : '';
    if (request.method !== 'GET' || actorId === '' || url.search !== '') {
      return Response.json({ error: 'not_found' }, { status: 404 });
    }
    const document = {
      client_id: url.href,
      client_name: `MCP client of ${actorId}`,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
    return Response.json(document, { headers: { 'cache-control': 'max-age=3600' } });
  };
}
