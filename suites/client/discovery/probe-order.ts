import { type ClientCheck, notJudged, observed, violated } from '../../../harness/client-mode/scenario.ts';
import {
  challengePointer,
  firstChallenge,
  obtainedResourceMetadata,
  resourceMetadataRequests,
} from './discovery-traffic.ts';
import {
  authorizationServerMetadataUrls,
  issuerHasPath,
  pathInsertedResourceMetadataUrl,
  rootAuthorizationServerMetadataUrls,
  rootResourceMetadataUrl,
  withoutQuery,
} from './locations.ts';

export const prmDiscoveryOrder: ClientCheck = {
  id: 'client.prm-discovery-order',
  title:
    'The client looks for protected resource metadata where the challenge points, else at the path-inserted ' +
    'well-known URL, then the root one',
  requirements: ['CL-PRM-HEADER-FIRST', 'CL-PRM-WELLKNOWN-ORDER'],
  level: 'MUST',
  judge(traffic) {
    const challenge = firstChallenge(traffic);
    if (!challenge) return notJudged('the client never reached the MCP server without a token, so no 401 was sent');
    const probes = resourceMetadataRequests(traffic).filter((request) => request.index > challenge.index);
    const pointer = challengePointer(challenge);
    const expected = pointer ?? pathInsertedResourceMetadataUrl(traffic.mcpUrl);
    const first = probes[0];
    if (!first || withoutQuery(first.url) !== expected) {
      const why = pointer
        ? `the 401 named resource_metadata="${pointer}"`
        : `the 401 named no resource_metadata, so the path-inserted URL ${expected} comes first`;
      return violated(
        `${why}, but the client ${first ? `first requested ${first.url.href}` : 'requested no protected resource metadata'}; ` +
          'MCP "Protected Resource Metadata Discovery" (RFC 9728 §3.1, §5.1): use the challenge\'s URL when present, ' +
          'otherwise try the path-inserted well-known URL before the root one',
        first ? [challenge, first] : [challenge],
      );
    }
    const root = rootResourceMetadataUrl(traffic.mcpUrl);
    const fellBack = probes.some((request) => withoutQuery(request.url) === root);
    if (!pointer && first.status === 404 && !fellBack) {
      return violated(
        `${first.url.href} answered 404 and the client never tried the root URL ${root}; without a challenge pointer ` +
          'a client must fall back to the root well-known URL (MCP "Protected Resource Metadata Discovery")',
        [challenge, first],
      );
    }
    return observed(probes.map((request) => `GET ${request.url.href} → ${request.status}`).join(', '), [
      challenge,
      ...probes,
    ]);
  },
};

export const asMetadataProbeOrder: ClientCheck = {
  id: 'client.as-metadata-probe-order',
  title:
    'The client tries the authorization server metadata URLs in the MCP priority order: RFC 8414 before OpenID ' +
    'Discovery, path insertion before path appending',
  requirements: ['CL-AS-META-BOTH', 'CL-AS-META-ORDER-PATH', 'CL-AS-META-ORDER-ROOT'],
  level: 'MUST',
  judge(traffic) {
    const metadata = obtainedResourceMetadata(traffic);
    const issuer = metadata?.issuer;
    if (!metadata || !issuer) {
      return notJudged('the client obtained no protected resource metadata naming an authorization server');
    }
    const candidates = authorizationServerMetadataUrls(issuer);
    const probes = traffic.requests.filter((request) => candidates.includes(withoutQuery(request.url)));
    if (probes.length === 0) {
      return violated(
        `the client requested none of ${candidates.join(', ')} for the issuer ${issuer} (MCP "Authorization Server Metadata Discovery")`,
        [metadata.request],
      );
    }
    let next = 0;
    for (const probe of probes) {
      const position = candidates.indexOf(withoutQuery(probe.url));
      if (position > next) {
        return violated(
          `the client requested ${candidates[position]} before ${candidates[next]}; for the issuer ${issuer} MCP ` +
            `"Authorization Server Metadata Discovery" prescribes the order ${candidates.join(' → ')}, so an AS that ` +
            'publishes only the earlier document is still found',
          probes,
        );
      }
      if (position === next) next++;
    }
    return observed(probes.map((request) => `GET ${request.url.href} → ${request.status}`).join(', '), probes);
  },
};

export const asMetadataNotRootForPathIssuer: ClientCheck = {
  id: 'client.as-metadata-not-root-for-path-issuer',
  title: "For an issuer with a path, the client never asks the origin's root well-known URLs for its metadata",
  requirements: ['R8414-WELLKNOWN', 'CL-AS-META-ORDER-PATH'],
  level: 'MUST',
  judge(traffic) {
    const issuer = obtainedResourceMetadata(traffic)?.issuer;
    if (!issuer || !issuerHasPath(issuer)) return notJudged('the authorization server named has no path issuer');
    const roots = rootAuthorizationServerMetadataUrls(issuer);
    const rootRequests = traffic.requests.filter((request) => roots.includes(withoutQuery(request.url)));
    if (rootRequests.length > 0) {
      return violated(
        `the issuer is ${issuer} but the client requested ${rootRequests.map((request) => request.url.href).join(', ')}; ` +
          "that is the origin's own issuer's metadata: RFC 8414 §3.1 inserts the well-known suffix before the issuer's " +
          `path (${authorizationServerMetadataUrls(issuer)[0]})`,
        rootRequests,
      );
    }
    const candidates = authorizationServerMetadataUrls(issuer);
    const probes = traffic.requests.filter((request) => candidates.includes(withoutQuery(request.url)));
    if (probes.length === 0) return notJudged(`the client requested no metadata for ${issuer}`);
    return observed(`only the issuer's own URLs: ${probes.map((request) => request.url.href).join(', ')}`, probes);
  },
};
