import { type ClientCheck, notJudged, observed, violated } from '../../../harness/client-mode/scenario.ts';
import { authorizationRequests, challengedScope, registrationRequests } from '../traffic.ts';
import {
  fetchedAuthorizationServerMetadata,
  fetchedResourceMetadata,
  scopeItems,
  tokenRequests,
} from './lifecycle-traffic.ts';

const OFFLINE_ACCESS = 'offline_access';

export const scopeFromScopesSupported: ClientCheck = {
  id: 'client.scope-from-scopes-supported',
  title: 'Without a scope in the 401 challenge, the first authorization asks for every scope the metadata lists',
  requirements: ['CL-SCOPE-PRIORITY', 'CL-SCOPE-ABSENT-FALLBACK'],
  level: 'SHOULD',
  judge(traffic) {
    if (challengedScope(traffic) !== undefined) return notJudged('the 401 challenge named a scope');
    const metadata = fetchedResourceMetadata(traffic);
    const supported = metadata?.scopesSupported;
    if (!metadata || !supported)
      return notJudged('the client received no protected resource metadata with scopes_supported');
    const authorization = authorizationRequests(traffic)[0];
    if (!authorization) return notJudged('the client made no authorization request');
    const requested = authorization.url.searchParams.get('scope');
    const missing = supported.filter((scope) => !scopeItems(requested).includes(scope));
    return missing.length === 0
      ? observed(`scope="${requested}" covers scopes_supported ${JSON.stringify(supported)}`, [
          metadata.request,
          authorization,
        ])
      : violated(
          `the challenge named no scope and the metadata lists ${JSON.stringify(supported)}, but the client asked for ` +
            `${requested === null ? 'no scope' : `scope="${requested}"`} (missing ${missing.join(' ')}); MCP "Scope ` +
            'Selection Strategy": without a challenged scope, request all of scopes_supported',
          [metadata.request, authorization],
        );
  },
};

export const scopeOmittedWhenUndefined: ClientCheck = {
  id: 'client.scope-omitted-when-undefined',
  title: 'When neither the challenge nor the metadata names scopes, the authorization request carries no scope',
  requirements: ['CL-SCOPE-PRIORITY'],
  level: 'SHOULD',
  judge(traffic) {
    const metadata = fetchedResourceMetadata(traffic);
    if (challengedScope(traffic) !== undefined) return notJudged('the 401 challenge named a scope');
    if (!metadata || metadata.scopesSupported)
      return notJudged('the client received no metadata without scopes_supported');
    const authorization = authorizationRequests(traffic)[0];
    if (!authorization) return notJudged('the client made no authorization request');
    const requested = authorization.url.searchParams.get('scope');
    return scopeItems(requested).length === 0
      ? observed('no scope parameter: the AS chooses the default', [metadata.request, authorization])
      : violated(
          `the client asked for scope="${requested}" although neither the challenge nor scopes_supported names any; ` +
            'MCP "Scope Selection Strategy": omit the scope parameter rather than guess scopes the server never offered',
          [metadata.request, authorization],
        );
  },
};

export const offlineAccessOnlyWhenAdvertised: ClientCheck = {
  id: 'client.offline-access-only-when-advertised',
  title: 'The client asks for offline_access only when the AS metadata lists it in scopes_supported',
  requirements: ['CL-RT-OFFLINE-ACCESS', 'CL-RT-OFFLINE-ACCESS-ADVERTISED'],
  level: 'MUST',
  judge(traffic) {
    const metadata = fetchedAuthorizationServerMetadata(traffic);
    const authorization = authorizationRequests(traffic)[0];
    if (!metadata || !authorization)
      return notJudged('the client read no AS metadata or made no authorization request');
    const listed = metadata.scopesSupported?.includes(OFFLINE_ACCESS) ?? false;
    const asking = [...authorizationRequests(traffic), ...tokenRequests(traffic)].filter((request) =>
      scopeItems(request.url.searchParams.get('scope') ?? request.form?.get('scope')).includes(OFFLINE_ACCESS),
    );
    if (!listed && asking.length > 0) {
      return violated(
        `the AS metadata's scopes_supported ${JSON.stringify(metadata.scopesSupported ?? null)} does not list ` +
          `offline_access, yet ${asking.length} request(s) asked for it; MCP "Refresh Tokens" (SEP-2207): a client may ` +
          'add offline_access only when the AS lists it — an unsupported scope may fail the authorization',
        [metadata.request, ...asking],
      );
    }
    return observed(
      `the AS ${listed ? 'lists' : 'does not list'} offline_access; the client asked for it in ${asking.length} request(s)`,
      [metadata.request, authorization],
    );
  },
};

export const declaresRefreshGrant: ClientCheck = {
  id: 'client.declares-refresh-grant',
  title: 'A client that wants refresh tokens registers the refresh_token grant type',
  requirements: ['CL-RT-GRANT-TYPES'],
  level: 'SHOULD',
  judge(traffic) {
    const registration = registrationRequests(traffic)[0];
    if (!registration) return notJudged('the client did not register dynamically');
    const grantTypes = (registration.json as { grant_types?: unknown } | undefined)?.grant_types;
    const declared = Array.isArray(grantTypes) && grantTypes.includes('refresh_token');
    return declared
      ? observed(`grant_types ${JSON.stringify(grantTypes)}`, [registration])
      : violated(
          `the registration declares grant_types ${JSON.stringify(grantTypes ?? '(absent: authorization_code only)')}; ` +
            'MCP "Refresh Tokens": a client that wants refresh tokens includes refresh_token in its grant_types, or the ' +
            'AS may never issue one (RFC 7591 §2)',
          [registration],
        );
  },
};
