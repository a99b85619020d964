import { extractWWWAuthenticateParams } from '@modelcontextprotocol/client';
import * as oauth from 'oauth4webapi';
import { JourneyError } from '../client-kit.ts';
import type { Challenge, ClientJourney } from './journey.ts';

const PRM_SUFFIX = '/.well-known/oauth-protected-resource';
const OAUTH_METADATA_SUFFIX = '/.well-known/oauth-authorization-server';
const OPENID_CONFIGURATION_SUFFIX = '/.well-known/openid-configuration';

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

/**
 * Where the client authorizes: the protected resource metadata (absent when the MCP server has none, as 2025-03-26
 * servers) and the AS's metadata (for a 2025-03-26 server without metadata, its default endpoints).
 */
export interface AuthorizationDiscovery {
  resource?: oauth.ResourceServer;
  as: oauth.AuthorizationServer;
}

/**
 * RFC 9728, then RFC 8414 / OpenID Discovery at the first AS it lists. An MCP server without any protected resource
 * metadata is taken for a 2025-03-26 server, which is its own AS.
 */
export async function discoverAuthorization(
  journey: ClientJourney,
  challenge: Challenge,
): Promise<AuthorizationDiscovery> {
  if (journey.quirks.has('legacy-discovery-first')) {
    const response = await fetchMetadata(journey, legacyMetadataUrl(journey.mcpUrl));
    if (!response.bodyUsed) await response.arrayBuffer();
  }
  const resource = await findResourceMetadata(journey, challenge);
  if (!resource) return { as: await legacyAuthorizationServer(journey) };
  journey.resourceIndicator = resource.resource;
  journey.step(
    `protected resource metadata: resource=${resource.resource}, authorization_servers=${resource.authorization_servers}`,
  );
  const issuer = resource.authorization_servers?.[0];
  if (!issuer) throw new JourneyError('the protected resource metadata lists no authorization_servers');
  const as = await findAuthorizationServerMetadata(journey, issuer);
  journey.step(`authorization server metadata: issuer=${as.issuer}`);
  return { resource, as };
}

/**
 * MCP 2025-11-25 "Protected Resource Metadata Discovery": the URL the challenge names, else the path-inserted
 * well-known URL (RFC 9728 §3.1), then the root one. Undefined when none of them has a document.
 */
async function findResourceMetadata(
  journey: ClientJourney,
  challenge: Challenge,
): Promise<oauth.ResourceServer | undefined> {
  for (const url of resourceMetadataCandidates(journey, challenge)) {
    const response = await fetchMetadata(journey, url);
    if (response.status === 404) continue;
    // RFC 9728 §3.3: `resource` must be the URL the client connected to (or, at the root well-known URL, the origin
    // the suffix was inserted into), or the document is not used.
    const body = await response.text();
    const rootDocument = originDocumentAtRoot(journey, url, body);
    if (rootDocument) return rootDocument;
    const metadata = await oauth.processResourceDiscoveryResponse(journey.mcpUrl, new Response(body, response));
    if (metadata.resource !== journey.mcpUrl.href) {
      throw new JourneyError(`PRM resource ${metadata.resource} is not the MCP URL ${journey.mcpUrl.href}`);
    }
    return metadata;
  }
  if (challenge.resourceMetadataUrl) {
    throw new JourneyError(`no protected resource metadata at ${challenge.resourceMetadataUrl}, which the 401 named`);
  }
  journey.step('no protected resource metadata at either well-known URL: a 2025-03-26 server');
  return undefined;
}

/**
 * The root well-known document when it names the MCP server's origin, the identifier its URL was derived from
 * (RFC 9728 §3.1, §3.3); undefined for any other document (which must then name the MCP URL).
 */
function originDocumentAtRoot(
  journey: ClientJourney,
  metadataUrl: string,
  body: string,
): oauth.ResourceServer | undefined {
  const { origin } = journey.mcpUrl;
  if (metadataUrl !== `${origin}${PRM_SUFFIX}`) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof document !== 'object' || document === null) return undefined;
  const { resource, authorization_servers: servers } = document as Record<string, unknown>;
  if (resource !== origin && resource !== `${origin}/`) return undefined;
  if (!Array.isArray(servers) || !servers.every((server) => typeof server === 'string')) {
    throw new JourneyError(`${metadataUrl} lists no authorization_servers`);
  }
  return document as oauth.ResourceServer;
}

function resourceMetadataCandidates(journey: ClientJourney, challenge: Challenge): string[] {
  const { origin, pathname } = journey.mcpUrl;
  const pathInserted = `${origin}${PRM_SUFFIX}${pathname === '/' ? '' : pathname.replace(/\/$/, '')}`;
  const root = `${origin}${PRM_SUFFIX}`;
  if (journey.quirks.has('prm-root-first')) return [root, pathInserted];
  return challenge.resourceMetadataUrl ? [challenge.resourceMetadataUrl] : [pathInserted, root];
}

/**
 * MCP 2025-11-25 "Authorization Server Metadata Discovery": RFC 8414 then OpenID Discovery, path-inserted (RFC 8414
 * §3.1) before path-appended; the first document found must name the issuer it was looked up for (RFC 8414 §3.3).
 */
async function findAuthorizationServerMetadata(
  journey: ClientJourney,
  issuer: string,
): Promise<oauth.AuthorizationServer> {
  const candidates = authorizationServerMetadataCandidates(journey, new URL(issuer));
  for (const url of candidates) {
    const response = await fetchMetadata(journey, url);
    if (response.status === 404) continue;
    return oauth.processDiscoveryResponse(new URL(issuer), response);
  }
  throw new JourneyError(`no authorization server metadata for ${issuer} at ${candidates.join(', ')}`);
}

function authorizationServerMetadataCandidates(journey: ClientJourney, issuer: URL): string[] {
  const path = issuer.pathname.replace(/\/$/, '');
  const oauthInserted = `${issuer.origin}${OAUTH_METADATA_SUFFIX}${path}`;
  const openIdInserted = `${issuer.origin}${OPENID_CONFIGURATION_SUFFIX}${path}`;
  const openIdAppended = `${issuer.origin}${path}${OPENID_CONFIGURATION_SUFFIX}`;
  const ordered = path === '' ? [oauthInserted, openIdAppended] : [oauthInserted, openIdInserted, openIdAppended];
  if (journey.quirks.has('openid-configuration-first')) ordered.reverse();
  if (journey.quirks.has('root-as-metadata') && path !== '')
    ordered.unshift(`${issuer.origin}${OAUTH_METADATA_SUFFIX}`);
  return ordered;
}

/**
 * MCP 2025-03-26 "Server Metadata Discovery" and "Fallbacks for Servers without Metadata Discovery": the MCP server's
 * origin is the authorization base URL; its RFC 8414 metadata, else the default /authorize, /token and /register.
 */
async function legacyAuthorizationServer(journey: ClientJourney): Promise<oauth.AuthorizationServer> {
  if (journey.quirks.has('no-legacy-fallback')) {
    throw new JourneyError('the MCP server has no protected resource metadata');
  }
  const base = new URL(journey.mcpUrl.origin);
  const response = await fetchMetadata(journey, legacyMetadataUrl(journey.mcpUrl));
  if (response.status !== 404) {
    const as = await oauth.processDiscoveryResponse(base, response);
    journey.step(`2025-03-26 authorization server metadata at the MCP origin: issuer=${as.issuer}`);
    return as;
  }
  journey.step('no metadata at the MCP origin: 2025-03-26 default endpoints');
  return {
    issuer: base.origin,
    authorization_endpoint: new URL('/authorize', base).href,
    token_endpoint: new URL('/token', base).href,
    registration_endpoint: new URL('/register', base).href,
  };
}

function legacyMetadataUrl(mcpUrl: URL): string {
  return `${mcpUrl.origin}${OAUTH_METADATA_SUFFIX}`;
}

async function fetchMetadata(journey: ClientJourney, url: string): Promise<Response> {
  const response = await journey.fetch(url, { headers: { Accept: 'application/json' } });
  if (response.status === 404) await response.arrayBuffer();
  return response;
}
