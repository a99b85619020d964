import {
  type ClientCheck,
  notJudged,
  observed,
  type ScenarioTraffic,
  violated,
} from '../../../harness/client-mode/scenario.ts';
import { legacyRequests, obtainedResourceMetadata, resourceMetadataRequests } from './discovery-traffic.ts';
import { LEGACY_ENDPOINT_PATHS, OAUTH_METADATA_SUFFIX, withoutQuery } from './locations.ts';

export const legacyOnlyWithoutPrm: ClientCheck = {
  id: 'client.legacy-only-without-prm',
  title:
    'When the MCP server has protected resource metadata, the client uses it and none of the 2025-03-26 fallbacks ' +
    'at the MCP origin',
  requirements: ['CL-PRM-USE', 'CL03-FALLBACK-ONLY-WITHOUT-PRM'],
  level: 'MUST',
  judge(traffic) {
    const metadata = obtainedResourceMetadata(traffic);
    if (!metadata) return notJudged('the client obtained no protected resource metadata');
    const legacy = legacyRequests(traffic);
    if (legacy.length > 0) {
      return violated(
        `the MCP server publishes ${metadata.request.url.href}, yet the client requested ` +
          `${legacy.map((request) => request.url.pathname).join(', ')} at the MCP origin; since 2025-06-18 the AS is ` +
          'found through the protected resource metadata ("Authorization Server Discovery"), and the 2025-03-26 ' +
          'fallbacks are for servers without it',
        [metadata.request, ...legacy],
      );
    }
    return observed(`the AS came from ${metadata.request.url.href}; no 2025-03-26 fallback request`, [
      metadata.request,
    ]);
  },
};

/** The client's request for RFC 8414 metadata at the MCP server's origin (2025-03-26 "Authorization Base URL"). */
const legacyMetadataRequest = (traffic: ScenarioTraffic) =>
  legacyRequests(traffic).find(
    (request) => withoutQuery(request.url) === `${new URL(traffic.mcpUrl).origin}${OAUTH_METADATA_SUFFIX}`,
  );

/** The client's first call to a 2025-03-26 default endpoint at the MCP origin (any of them, or the one named). */
const firstEndpointCall = (traffic: ScenarioTraffic, pathname?: string) =>
  legacyRequests(traffic).find((request) =>
    pathname === undefined ? LEGACY_ENDPOINT_PATHS.includes(request.url.pathname) : request.url.pathname === pathname,
  );

export const legacyAsMetadata: ClientCheck = {
  id: 'client.legacy-as-metadata',
  title:
    'Facing a 2025-03-26 server (no protected resource metadata), the client reads RFC 8414 metadata at the MCP ' +
    "server's origin before using any endpoint",
  requirements: ['CL03-BASE-URL', 'CL-AS-META-RFC8414'],
  level: 'MUST',
  judge(traffic) {
    const metadata = legacyMetadataRequest(traffic);
    const firstUse = firstEndpointCall(traffic);
    const expected = `${new URL(traffic.mcpUrl).origin}${OAUTH_METADATA_SUFFIX}`;
    if (!metadata || (firstUse && firstUse.index < metadata.index)) {
      return violated(
        `the MCP server has no protected resource metadata and the client ${firstUse ? `called ${firstUse.url.pathname} without first reading` : 'never requested'} ` +
          `${expected}; 2025-03-26 "Server Metadata Discovery": the authorization base URL is the MCP URL without its path, ` +
          'and clients MUST read its RFC 8414 metadata',
        firstUse ? [firstUse] : resourceMetadataRequests(traffic),
      );
    }
    return observed(`GET ${metadata.url.href} → ${metadata.status}`, [metadata]);
  },
};

export const legacyDefaultEndpoints: ClientCheck = {
  id: 'client.legacy-default-endpoints',
  title:
    'Facing a 2025-03-26 server without metadata, the client tries discovery first, then uses /authorize and /token ' +
    "at the MCP server's origin",
  requirements: ['CL03-DEFAULT-ENDPOINTS'],
  level: 'MUST',
  judge(traffic) {
    const metadata = legacyMetadataRequest(traffic);
    const authorize = firstEndpointCall(traffic, '/authorize');
    const token = firstEndpointCall(traffic, '/token');
    const origin = new URL(traffic.mcpUrl).origin;
    if (!authorize || !token) {
      return violated(
        `with neither protected resource metadata nor AS metadata, the client did not use ${origin}/authorize and ` +
          `${origin}/token (2025-03-26 "Fallbacks for Servers without Metadata Discovery")`,
        [...resourceMetadataRequests(traffic), ...legacyRequests(traffic)],
      );
    }
    if (!metadata || metadata.index > authorize.index) {
      return violated(
        `the client went to ${authorize.url.pathname} without first requesting ${origin}${OAUTH_METADATA_SUFFIX}; ` +
          'the default endpoints are the fallback when metadata discovery fails, not a replacement for it',
        [authorize],
      );
    }
    return observed(
      `GET ${metadata.url.pathname} → ${metadata.status}, then ${authorize.url.pathname} and ${token.url.pathname} at ${origin}`,
      [metadata, authorize, token],
    );
  },
};
