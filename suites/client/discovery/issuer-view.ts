import type { ClientRequest, ScenarioServer } from '../../../harness/client-mode/recorder.ts';
import type { ClientCheck, ScenarioTraffic } from '../../../harness/client-mode/scenario.ts';
import {
  isAuthorizationServerMetadataPath,
  LEGACY_ENDPOINT_PATHS,
  OAUTH_METADATA_SUFFIX,
  OPENID_CONFIGURATION_SUFFIX,
} from './locations.ts';

/** Where a scenario's authorization server answers: which recorded server, and its issuer identifier. */
export interface AuthorizationServerPlace {
  server: ScenarioServer;
  issuer(traffic: ScenarioTraffic): string;
}

/** A path issuer of the reference AS (`<as>/t/<tenant>`, RFC 8414 §3.1). */
export const tenantIssuer = (tenant: string): AuthorizationServerPlace => ({
  server: 'as',
  issuer: (traffic) => `${traffic.issuer}/t/${tenant}`,
});

/** 2025-03-26 "Authorization Base URL": the MCP server's origin is the AS. */
export const mcpOriginIssuer: AuthorizationServerPlace = {
  server: 'mcp',
  issuer: (traffic) => new URL(traffic.mcpUrl).origin,
};

/**
 * `check` judging the client's traffic with its AS as if that AS's issuer were the root of the AS origin: requests
 * under the issuer's path (and its well-known URLs) are seen at the root, other requests to the AS origin are not
 * the client's dealings with this AS and are left out. Evidence stays the requests as sent.
 */
export function seenFromIssuer(check: ClientCheck, place: AuthorizationServerPlace): ClientCheck {
  return { ...check, judge: (traffic) => check.judge(issuerRelativeTraffic(traffic, place)) };
}

export function issuerRelativeTraffic(traffic: ScenarioTraffic, place: AuthorizationServerPlace): ScenarioTraffic {
  const issuer = new URL(place.issuer(traffic));
  const issuerPath = issuer.pathname.replace(/\/$/, '');
  const requests = traffic.requests.flatMap((request): ClientRequest[] => {
    if (request.server !== place.server || request.url.origin !== issuer.origin) return [request];
    if (place.server === 'mcp' && !isLegacyAuthorizationServerPath(request.url.pathname)) return [request];
    const relative = relativeToIssuer(request.url.pathname, issuerPath);
    if (relative === undefined) return [];
    const url = new URL(request.url);
    url.pathname = relative;
    return [{ ...request, server: 'as', url }];
  });
  return { ...traffic, issuer: issuer.href.replace(/\/$/, ''), requests };
}

function isLegacyAuthorizationServerPath(pathname: string): boolean {
  return LEGACY_ENDPOINT_PATHS.includes(pathname) || isAuthorizationServerMetadataPath(pathname);
}

/** The path as if the issuer were at the root, or undefined for a path outside the issuer. */
function relativeToIssuer(pathname: string, issuerPath: string): string | undefined {
  if (issuerPath === '') return pathname;
  if (pathname.startsWith(`${issuerPath}/`)) return pathname.slice(issuerPath.length);
  return [OAUTH_METADATA_SUFFIX, OPENID_CONFIGURATION_SUFFIX].find((suffix) => pathname === `${suffix}${issuerPath}`);
}
