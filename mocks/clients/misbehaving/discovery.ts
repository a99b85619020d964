import type { Fetch } from '../../../harness/network/types.ts';
import type { FlawDefinition } from './flaws.ts';

const OAUTH_METADATA_SUFFIX = '/.well-known/oauth-authorization-server';
const OPENID_CONFIGURATION_SUFFIX = '/.well-known/openid-configuration';

/** Misbehaving discovery: where the client looks for metadata, and what it accepts from it. */
export const DISCOVERY_FLAWS = {
  /** Looks for protected resource metadata at the root URL first, whatever the challenge named (RFC 9728 §3.1, §5.1). */
  'prm-root-first': { quirk: 'prm-root-first' },
  /** Asks OpenID Discovery before RFC 8414 (the MCP "Authorization Server Metadata Discovery" order reversed). */
  'openid-configuration-first': { quirk: 'openid-configuration-first' },
  /** For a path issuer, first asks the origin's root RFC 8414 URL, which belongs to another issuer (RFC 8414 §3.1). */
  'root-as-metadata': { quirk: 'root-as-metadata' },
  /** Tries the 2025-03-26 metadata at the MCP origin before the protected resource metadata (MCP "Authorization Server Discovery"). */
  'legacy-discovery-first': { quirk: 'legacy-discovery-first' },
  /** Gives up when the MCP server has no protected resource metadata instead of the 2025-03-26 fallbacks. */
  'no-legacy-fallback': { quirk: 'no-legacy-fallback' },
  /** Uses AS metadata whatever issuer it names, as if it never compared it (violates RFC 8414 §3.3). */
  'accepts-mismatched-issuer': acceptingAnyMetadataIssuer,
} satisfies Record<string, FlawDefinition>;

/** The client's fetch, with each AS metadata document's `issuer` replaced by the one its URL was built from. */
function acceptingAnyMetadataIssuer(fetch: Fetch): Fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const response = await fetch(input, init);
    const issuer = issuerOfMetadataUrl(url);
    if (issuer === undefined || response.status !== 200) return response;
    const document = (await response.json()) as Record<string, unknown>;
    return Response.json({ ...document, issuer }, { status: response.status });
  };
}

function issuerOfMetadataUrl(url: URL): string | undefined {
  for (const suffix of [OAUTH_METADATA_SUFFIX, OPENID_CONFIGURATION_SUFFIX]) {
    if (url.pathname.startsWith(suffix)) return `${url.origin}${url.pathname.slice(suffix.length)}`;
  }
  return url.pathname.endsWith(OPENID_CONFIGURATION_SUFFIX)
    ? `${url.origin}${url.pathname.slice(0, -OPENID_CONFIGURATION_SUFFIX.length)}`
    : undefined;
}
