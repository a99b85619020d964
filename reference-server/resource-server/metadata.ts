import type { Defects } from '../defects.ts';

const PRM_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** RFC 9728 §3.1: the metadata URL inserts the well-known suffix between the origin and the resource's path. */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  return `${url.origin}${PRM_WELL_KNOWN}${resourcePath(url)}`;
}

/** The root well-known URL (`/.well-known/oauth-protected-resource`), which MCP clients probe as a fallback. */
export function rootResourceMetadataUrl(resource: string): string {
  return `${new URL(resource).origin}${PRM_WELL_KNOWN}`;
}

/** The request paths this resource's metadata is served at: path-inserted first, then the root fallback. */
export function resourceMetadataPaths(resource: string, defects: Defects): string[] {
  if (defects.has('prm-not-served')) return [];
  const pathInserted = new URL(resourceMetadataUrl(resource)).pathname;
  if (defects.has('prm-root-only')) return [PRM_WELL_KNOWN];
  return pathInserted === PRM_WELL_KNOWN ? [PRM_WELL_KNOWN] : [pathInserted, PRM_WELL_KNOWN];
}

/**
 * The `resource_metadata` URL the challenges point at (RFC 9728 §5.1), or undefined when the challenges carry none.
 * It is the path-inserted URL, except where a defect moves or drops it.
 */
export function advertisedMetadataUrl(resource: string, defects: Defects): string | undefined {
  if (defects.has('prm-not-served') || defects.has('challenge-without-resource-metadata')) return undefined;
  if (defects.has('challenge-wrong-resource-metadata')) return `${rootResourceMetadataUrl(resource)}-missing`;
  if (defects.has('prm-root-only')) return rootResourceMetadataUrl(resource);
  return resourceMetadataUrl(resource);
}

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers?: string[];
  scopes_supported?: string[];
  bearer_methods_supported: string[];
  resource_name: string;
}

export interface MetadataInputs {
  resource: string;
  authorizationServers: string[];
  scopes: string[];
  resourceName: string;
  defects: Defects;
}

/** RFC 9728 §2–3.2: `resource` is exactly the MCP endpoint URL; no member is an empty array. */
export function protectedResourceMetadata(inputs: MetadataInputs): ProtectedResourceMetadata {
  const { defects } = inputs;
  const scopes = advertisedScopes(inputs.scopes, defects);
  return {
    resource: defects.has('prm-resource-origin-only') ? new URL(inputs.resource).origin : inputs.resource,
    ...(defects.has('prm-no-authorization-servers') || inputs.authorizationServers.length === 0
      ? {}
      : { authorization_servers: inputs.authorizationServers }),
    ...(defects.has('prm-no-scopes') || scopes.length === 0 ? {} : { scopes_supported: scopes }),
    bearer_methods_supported: defects.has('prm-bearer-query') ? ['header', 'query'] : ['header'],
    resource_name: inputs.resourceName,
  };
}

/** The scopes named to clients, in PRM `scopes_supported` and in the 401 challenge's `scope`. */
export function advertisedScopes(scopes: string[], defects: Defects): string[] {
  return defects.has('prm-offline-access-scope') ? [...scopes, 'offline_access'] : scopes;
}

/** RFC 9728 §3.2: a 200 `application/json` document. */
export function metadataResponse(metadata: ProtectedResourceMetadata, defects: Defects): Response {
  const contentType = defects.has('prm-text-plain') ? 'text/plain' : 'application/json';
  return new Response(JSON.stringify(metadata), {
    status: 200,
    headers: { 'Content-Type': contentType, 'Access-Control-Allow-Origin': '*' },
  });
}

function resourcePath(url: URL): string {
  return url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
}
