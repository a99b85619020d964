/** The well-known URLs of RFC 9728, RFC 8414 and OpenID Discovery, as a client derives them. */

export const PRM_SUFFIX = '/.well-known/oauth-protected-resource';
export const OAUTH_METADATA_SUFFIX = '/.well-known/oauth-authorization-server';
export const OPENID_CONFIGURATION_SUFFIX = '/.well-known/openid-configuration';

/** The 2025-03-26 default endpoints on the authorization base URL (the MCP server's origin). */
export const LEGACY_ENDPOINT_PATHS = ['/authorize', '/token', '/register'];

/** A URL's path without its terminating `/` (RFC 8414 §3.1), empty for the root. */
const pathOf = (url: URL) => url.pathname.replace(/\/$/, '');

/** RFC 9728 §3.1: the well-known suffix inserted between the origin and the resource's path. */
export function pathInsertedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  return `${url.origin}${PRM_SUFFIX}${pathOf(url)}`;
}

export function rootResourceMetadataUrl(resource: string): string {
  return `${new URL(resource).origin}${PRM_SUFFIX}`;
}

export function isResourceMetadataPath(pathname: string): boolean {
  return pathname.startsWith(PRM_SUFFIX);
}

export function isAuthorizationServerMetadataPath(pathname: string): boolean {
  return (
    pathname.startsWith(OAUTH_METADATA_SUFFIX) ||
    pathname.startsWith(OPENID_CONFIGURATION_SUFFIX) ||
    pathname.endsWith(OPENID_CONFIGURATION_SUFFIX)
  );
}

export function issuerHasPath(issuer: string): boolean {
  return pathOf(new URL(issuer)) !== '';
}

/**
 * MCP 2025-11-25 "Authorization Server Metadata Discovery": the URLs to try, in order. A path issuer: RFC 8414
 * path-inserted, OpenID Discovery path-inserted, OpenID Discovery path-appended; a root issuer: RFC 8414, then OpenID.
 */
export function authorizationServerMetadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = pathOf(url);
  if (path === '') return [`${url.origin}${OAUTH_METADATA_SUFFIX}`, `${url.origin}${OPENID_CONFIGURATION_SUFFIX}`];
  return [
    `${url.origin}${OAUTH_METADATA_SUFFIX}${path}`,
    `${url.origin}${OPENID_CONFIGURATION_SUFFIX}${path}`,
    `${url.origin}${path}${OPENID_CONFIGURATION_SUFFIX}`,
  ];
}

/** The root well-known URLs, which belong to the origin's own issuer, never to a path issuer (RFC 8414 §3.1). */
export function rootAuthorizationServerMetadataUrls(issuer: string): string[] {
  const { origin } = new URL(issuer);
  return [`${origin}${OAUTH_METADATA_SUFFIX}`, `${origin}${OPENID_CONFIGURATION_SUFFIX}`];
}

/** The issuer a metadata URL was derived from (the inverse of the insertion or appending), if it is one. */
export function issuerOfMetadataUrl(url: URL): string | undefined {
  for (const suffix of [OAUTH_METADATA_SUFFIX, OPENID_CONFIGURATION_SUFFIX]) {
    if (url.pathname.startsWith(suffix)) return `${url.origin}${url.pathname.slice(suffix.length)}`;
  }
  if (url.pathname.endsWith(OPENID_CONFIGURATION_SUFFIX)) {
    return `${url.origin}${url.pathname.slice(0, -OPENID_CONFIGURATION_SUFFIX.length)}`;
  }
  return undefined;
}

/** A URL without its query and fragment, as the well-known URLs are compared. */
export const withoutQuery = (url: URL) => `${url.origin}${url.pathname}`;
