import { check, observeStep } from '../../harness/check.ts';
import { PRM_SUFFIX } from '../../harness/discovery.ts';
import { expect } from '../../harness/expect.ts';
import { isJsonContentType } from '../../harness/http.ts';
import { insertWellKnown } from '../../harness/well-known.ts';

export const prmDiscoverable = check({
  id: 'discovery.prm-discoverable',
  title: 'Protected resource metadata can be found from the MCP server',
  description:
    'MCP servers implement RFC 9728 and offer it through the 401 challenge or a well-known URL (path-inserted or root).',
  requirements: ['RS-PRM-RFC9728', 'RS-PRM-DISCOVERY-MECH'],
  level: 'MUST',
  needs: ['resource'],
  async run({ discovery }) {
    const prm = await observeStep(discovery.protectedResourceMetadata());
    return `found at ${prm.url} (via ${prm.source})`;
  },
});

export const challengePointsToPrm = check({
  id: 'discovery.challenge-resource-metadata',
  title: 'The 401 challenge carries resource_metadata pointing at the PRM document',
  description: 'Every 401 carries WWW-Authenticate with resource_metadata (RFC 9728 §5.1).',
  requirements: ['RS-401-WWW-AUTH', 'R9728-WWW-AUTH-PARAM'],
  level: 'MUST',
  // 2025-11-25 made the header one of two discovery mechanisms (the well-known URL being the other).
  levelBySpec: { '2025-11-25': 'SHOULD', '2026-07-28': 'SHOULD' },
  needs: ['resource'],
  async run({ discovery }) {
    const { reply, bearer } = await discovery.unauthenticated();
    expect.that(reply.status === 401, `an unauthenticated MCP request answered HTTP ${reply.status}, not 401`);
    const pointer = bearer?.parameters.resource_metadata;
    expect.that(
      pointer,
      `the challenge (${reply.headers.get('www-authenticate') ?? 'no WWW-Authenticate'}) has no resource_metadata; ` +
        'add resource_metadata="<PRM URL>" so clients find the authorization server without guessing',
    );
    const document = await discovery.getJson(pointer);
    expect.that(
      document.status === 200,
      `resource_metadata points at ${pointer}, which answers HTTP ${document.status}; it must serve the PRM document`,
    );
    return `resource_metadata="${pointer}" serves the PRM document`;
  },
});

export const prmPathInserted = check({
  id: 'discovery.prm-path-inserted',
  title: 'PRM is served at the path-inserted well-known URL of the MCP endpoint',
  description:
    'RFC 9728 §3.1: the well-known string is inserted between host and path of the resource identifier; clients try it first.',
  requirements: ['R9728-WELLKNOWN', 'CL-PRM-WELLKNOWN-ORDER'],
  level: 'SHOULD',
  needs: ['resource'],
  async run({ discovery, target }) {
    const url = insertWellKnown(target.resource!, PRM_SUFFIX);
    const reply = await discovery.getJson(url);
    expect.that(
      reply.status === 200,
      `${url} answered HTTP ${reply.status}; serve the PRM there (clients without the header pointer try it first)`,
    );
    return `served at ${url}`;
  },
});

export const prmIsJson = check({
  id: 'discovery.prm-json',
  title: 'PRM answers 200 with application/json',
  requirements: ['R9728-GET-200-JSON', 'RS-PRM-RFC9728'],
  level: 'MUST',
  needs: ['resource'],
  async run({ discovery }) {
    const { reply, url } = await discovery.protectedResourceMetadata();
    const type = reply.headers.get('content-type');
    expect.that(
      isJsonContentType(reply.headers),
      `${url} is served as "${type}"; RFC 9728 §3.2 requires application/json`,
    );
    return `${url}: 200 ${type}`;
  },
});

export const prmResourceMatches = check({
  id: 'discovery.prm-resource-matches',
  title: 'PRM "resource" is identical to the MCP server URL',
  description:
    'RFC 9728 §3.3: a client MUST NOT use metadata whose resource differs from the URL it used; MCP clients abort.',
  requirements: ['RS-PRM-RESOURCE-ID', 'R9728-RESOURCE-EQ', 'R9728-RESOURCE-EQ-HEADER', 'R9728-RESOURCE'],
  level: 'MUST',
  needs: ['resource'],
  async run({ discovery, target }) {
    const { metadata, url } = await discovery.protectedResourceMetadata();
    expect.that(
      metadata.resource === target.resource,
      `${url} says resource=${JSON.stringify(metadata.resource)} but the MCP server is ${target.resource}; ` +
        'compliant clients discard this metadata. Set resource to the exact MCP endpoint URL',
    );
    return `resource = ${target.resource}`;
  },
});

export const prmListsAuthorizationServers = check({
  id: 'discovery.prm-authorization-servers',
  title: 'PRM lists at least one authorization server issuer',
  requirements: ['RS-PRM-AS-LIST', 'R9728-AS-LIST'],
  level: 'MUST',
  needs: ['resource'],
  async run({ discovery }) {
    const { metadata } = await discovery.protectedResourceMetadata();
    const servers = metadata.authorization_servers;
    expect.that(
      Array.isArray(servers) && servers.length > 0 && servers.every((server) => typeof server === 'string'),
      `authorization_servers is ${JSON.stringify(servers)}; MCP servers must name at least one AS issuer there`,
    );
    return `authorization_servers = ${JSON.stringify(servers)}`;
  },
});

export const prmScopesSupported = check({
  id: 'discovery.prm-scopes-supported',
  title: 'PRM publishes scopes_supported',
  description:
    'RFC 9728 §2 RECOMMENDS scopes_supported; MCP clients use it to choose scopes when the challenge has none.',
  requirements: ['R9728-SCOPES', 'CL-SCOPE-PRIORITY'],
  level: 'SHOULD',
  needs: ['resource'],
  async run({ discovery }) {
    const { metadata } = await discovery.protectedResourceMetadata();
    const scopes = metadata.scopes_supported;
    expect.that(
      Array.isArray(scopes) && scopes.length > 0,
      'PRM has no scopes_supported; without it (and without a scope in the challenge) clients request no scope at all',
    );
    return `scopes_supported = ${JSON.stringify(scopes)}`;
  },
});

export const prmBearerHeaderOnly = check({
  id: 'discovery.prm-bearer-methods',
  title: 'PRM bearer_methods_supported, when present, offers only the Authorization header',
  description: 'MCP clients send tokens only in the Authorization header; query-string tokens leak into logs.',
  requirements: ['R9728-BEARER-METHODS', 'CL-NO-QUERY-TOKEN'],
  level: 'SHOULD',
  needs: ['resource'],
  async run({ discovery }) {
    const { metadata } = await discovery.protectedResourceMetadata();
    const methods = metadata.bearer_methods_supported;
    if (methods === undefined) return 'bearer_methods_supported absent (header is the default)';
    expect.that(
      Array.isArray(methods) && methods.length > 0 && methods.every((method) => method === 'header'),
      `bearer_methods_supported = ${JSON.stringify(methods)}; advertise ["header"] only (tokens in URLs leak)`,
    );
    return 'bearer_methods_supported = ["header"]';
  },
});

export const prmNoOfflineAccess = check({
  id: 'discovery.prm-no-offline-access',
  title: 'Neither PRM scopes_supported nor the challenge offer offline_access',
  description: 'MCP 2026-07-28: refresh is negotiated with the AS; the resource must not advertise offline_access.',
  requirements: ['RS-NO-OFFLINE-ACCESS-SCOPE'],
  level: 'SHOULD',
  specs: ['2026-07-28'],
  needs: ['resource'],
  async run({ discovery }) {
    const { metadata } = await discovery.protectedResourceMetadata();
    const { bearer } = await discovery.unauthenticated();
    const scopes = Array.isArray(metadata.scopes_supported) ? metadata.scopes_supported : [];
    const challenged = (bearer?.parameters.scope ?? '').split(' ');
    expect.that(!scopes.includes('offline_access'), 'PRM scopes_supported lists offline_access; leave it to the AS');
    expect.that(!challenged.includes('offline_access'), 'the 401 challenge scope lists offline_access; leave it out');
    return 'offline_access is not advertised by the resource';
  },
});
