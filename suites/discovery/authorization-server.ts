import { check, observeStep } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { AS_SUFFIX } from '../../harness/discovery.ts';
import { expect } from '../../harness/expect.ts';
import { isJsonContentType } from '../../harness/http.ts';
import { appendWellKnown, hasPath, insertWellKnown } from '../../harness/well-known.ts';

export const metadataServed = check({
  id: 'discovery.as-metadata-served',
  title: 'The authorization server serves RFC 8414 metadata at its well-known URL',
  description:
    'RFC 8414 §3: metadata at the issuer with /.well-known/oauth-authorization-server inserted between host and path.',
  requirements: ['AS-META-RFC8414', 'AS-META-ONE-OF', 'R8414-WELLKNOWN', 'R8414-GET-200-JSON', 'BCP-METADATA'],
  level: 'MUST',
  async run({ discovery }) {
    const issuer = await discovery.issuer();
    const url = insertWellKnown(issuer, AS_SUFFIX);
    const reply = await discovery.getJson(url);
    expect.that(reply.status === 200, `${url} answered HTTP ${reply.status}; serve the RFC 8414 document there`);
    expect.that(
      isJsonContentType(reply.headers),
      `${url} is served as "${reply.headers.get('content-type')}"; RFC 8414 §3.2 requires application/json`,
    );
    return `${url}: 200 application/json`;
  },
});

export const metadataPathInserted = check({
  id: 'discovery.as-metadata-path-insertion',
  title: 'An issuer with a path (tenant) is served at the path-inserted well-known URL',
  description:
    'RFC 8414 §3.1: for https://as/t/acme the document lives at https://as/.well-known/oauth-authorization-server/t/acme.',
  requirements: ['R8414-WELLKNOWN', 'R8414-TRAILING-SLASH', 'CL-AS-META-ORDER-PATH'],
  level: 'MUST',
  needs: ['authorization-server'],
  async run({ discovery, skip }) {
    const issuer = await discovery.issuer();
    if (!hasPath(issuer)) skip(`the issuer ${issuer} has no path; path insertion does not arise`);
    const inserted = insertWellKnown(issuer, AS_SUFFIX);
    const reply = await discovery.getJson(inserted);
    const appended = appendWellKnown(issuer, AS_SUFFIX);
    expect.that(
      reply.status === 200,
      `${inserted} answered HTTP ${reply.status}; the well-known string goes between host and path ` +
        `(serving only ${appended} breaks every RFC 8414 client)`,
    );
    return `served at ${inserted}`;
  },
});

export const issuerMatches = check({
  id: 'discovery.as-issuer-matches',
  title: 'Metadata "issuer" is identical to the issuer identifier it was fetched for',
  description: 'RFC 8414 §3.3: a client MUST NOT use metadata whose issuer differs from the one it built the URL from.',
  requirements: ['AS-META-ISSUER-EQ', 'R8414-ISSUER-EQ', 'CL-AS-META-ISSUER-MATCH'],
  level: 'MUST',
  needs: ['authorization-server'],
  async run({ discovery }) {
    const { metadata, issuer, url } = await discovery.authorizationServerMetadata();
    expect.that(
      metadata.issuer === issuer,
      `${url} says issuer=${JSON.stringify(metadata.issuer)}, expected exactly "${issuer}" (watch trailing slashes ` +
        'and tenant paths); clients must discard mismatching metadata',
    );
    return `issuer = ${issuer}`;
  },
});

export const issuerFormat = check({
  id: 'discovery.as-issuer-format',
  title: 'The issuer is an https URL without query or fragment',
  requirements: ['R8414-ISSUER-FORMAT', 'R9207-ISS-FORMAT'],
  level: 'MUST',
  needs: ['authorization-server'],
  async run({ discovery, target }) {
    const { metadata } = await discovery.authorizationServerMetadata();
    const issuer = String(metadata.issuer);
    const url = URL.canParse(issuer) ? new URL(issuer) : undefined;
    expect.that(url, `issuer ${JSON.stringify(metadata.issuer)} is not a URL`);
    expect.that(isSecureOrAllowedHttp(url, target.allowInsecureHttp), `issuer ${issuer} does not use https`);
    expect.that(!url.search && !issuer.includes('?'), `issuer ${issuer} has a query component; RFC 8414 §2 forbids it`);
    expect.that(!url.hash && !issuer.includes('#'), `issuer ${issuer} has a fragment; RFC 8414 §2 forbids it`);
    return `issuer ${issuer} is well-formed`;
  },
});

export const requiredMembers = check({
  id: 'discovery.as-required-members',
  title: 'Metadata names the authorization and token endpoints and supports response_type=code',
  requirements: ['R8414-AUTHZ-EP', 'R8414-TOKEN-EP', 'R8414-RESPONSE-TYPES'],
  level: 'MUST',
  needs: ['authorization-server'],
  async run({ discovery }) {
    const { metadata } = await discovery.authorizationServerMetadata();
    for (const name of ['authorization_endpoint', 'token_endpoint']) {
      expect.that(typeof metadata[name] === 'string', `metadata has no ${name}; MCP clients cannot run the code flow`);
    }
    const types = metadata.response_types_supported;
    expect.that(Array.isArray(types), 'metadata has no response_types_supported (REQUIRED by RFC 8414 §2)');
    expect.that(types.includes('code'), `response_types_supported = ${JSON.stringify(types)} lacks "code"`);
    return 'authorization_endpoint, token_endpoint and response_types_supported ∋ code are present';
  },
});

export const pkceAdvertised = check({
  id: 'discovery.as-pkce-s256-advertised',
  title: 'code_challenge_methods_supported lists S256',
  description: 'MCP clients MUST refuse to proceed when the AS metadata does not show PKCE S256 support.',
  requirements: ['AS-META-PKCE-S256', 'R8414-PKCE-SEMANTICS', 'CL-PKCE-REFUSE-NO-METHODS'],
  level: 'MUST',
  needs: ['authorization-server'],
  async run({ discovery }) {
    const { metadata } = await discovery.authorizationServerMetadata();
    const methods = metadata.code_challenge_methods_supported;
    expect.that(
      Array.isArray(methods) && methods.includes('S256'),
      `code_challenge_methods_supported = ${JSON.stringify(methods)}; without "S256" every MCP client refuses to authorize`,
    );
    return `code_challenge_methods_supported = ${JSON.stringify(methods)}`;
  },
});

export const endpointsHttps = check({
  id: 'discovery.as-endpoints-https',
  title: 'Every endpoint in the metadata uses https',
  description: 'OAuth 2.1 §1.5: all protocol URLs use TLS (loopback test rigs excepted when the target allows http).',
  requirements: ['AS-HTTPS', 'OA21-HTTPS', 'R8414-JWKS-HTTPS'],
  level: 'MUST',
  needs: ['authorization-server'],
  async run({ discovery, target }) {
    const { metadata } = await discovery.authorizationServerMetadata();
    const endpoints = Object.entries(metadata).filter(
      ([name, value]) => (name.endsWith('_endpoint') || name === 'jwks_uri') && typeof value === 'string',
    );
    for (const [name, value] of endpoints) {
      const url = URL.canParse(String(value)) ? new URL(String(value)) : undefined;
      expect.that(url, `${name} = ${JSON.stringify(value)} is not an absolute URL`);
      expect.that(isSecureOrAllowedHttp(url, target.allowInsecureHttp), `${name} = ${value} does not use https`);
    }
    return `${endpoints.length} endpoints, all https${target.allowInsecureHttp ? ' (or http on loopback, allowed by the target)' : ''}`;
  },
});

export const explicitCapabilities = check({
  id: 'discovery.as-explicit-capabilities',
  title: 'Metadata lists grant types and client authentication methods explicitly',
  description:
    'RFC 8414 §2 defaults (implicit grant, client_secret_basic only) are wrong for MCP; an MCP AS should state what it supports.',
  requirements: ['R8414-DEFAULTS'],
  level: 'SHOULD',
  needs: ['authorization-server'],
  async run({ discovery }) {
    const { metadata } = await discovery.authorizationServerMetadata();
    for (const name of ['grant_types_supported', 'token_endpoint_auth_methods_supported']) {
      expect.that(Array.isArray(metadata[name]), `metadata omits ${name}; clients then assume RFC 8414's defaults`);
    }
    return `grant_types_supported = ${JSON.stringify(metadata.grant_types_supported)}`;
  },
});

/** The grants metadata advertises (RFC 8414 §2 default when absent: authorization_code and implicit). */
async function advertisedGrants({ discovery }: CheckContext): Promise<unknown[]> {
  const { metadata } = await discovery.authorizationServerMetadata();
  const grants = metadata.grant_types_supported;
  return Array.isArray(grants) ? grants : ['authorization_code', 'implicit'];
}

export const noPasswordGrant = check({
  id: 'discovery.as-no-password-grant',
  title: 'The resource owner password credentials grant is not offered',
  description: 'RFC 9700 §2.4: the password grant MUST NOT be used; OAuth 2.1 removed it.',
  requirements: ['BCP-NO-ROPC'],
  level: 'MUST',
  needs: ['authorization-server'],
  async run(ctx) {
    const grants = await advertisedGrants(ctx);
    expect.that(
      !grants.includes('password'),
      'grant_types_supported lists "password": clients handing user passwords to the AS defeat the point of OAuth; drop it',
    );
    return `grant_types_supported = ${JSON.stringify(grants)}`;
  },
});

export const noImplicitGrant = check({
  id: 'discovery.as-no-implicit-grant',
  title: 'The implicit grant is not advertised',
  description:
    'OAuth 2.1 removed the implicit grant (tokens in the front channel); RFC 9700 §2.1.2 says not to use it. ' +
    "Absent grant_types_supported means RFC 8414's default, which includes implicit.",
  requirements: ['BCP-NO-IMPLICIT', 'R8414-DEFAULTS'],
  level: 'SHOULD',
  needs: ['authorization-server'],
  async run(ctx) {
    const grants = await advertisedGrants(ctx);
    expect.that(
      !grants.includes('implicit'),
      `grant_types_supported ${JSON.stringify(grants)} offers "implicit" (explicitly or by RFC 8414's default); ` +
        'list only the grants an MCP client may use',
    );
    return `grant_types_supported = ${JSON.stringify(grants)}`;
  },
});

export const scopesPublished = check({
  id: 'discovery.as-scopes-supported',
  title: 'Metadata publishes scopes_supported',
  requirements: ['R8414-SCOPES'],
  level: 'SHOULD',
  needs: ['authorization-server'],
  async run({ discovery }) {
    const { metadata } = await discovery.authorizationServerMetadata();
    expect.that(Array.isArray(metadata.scopes_supported), 'metadata omits scopes_supported (RECOMMENDED, RFC 8414 §2)');
    return `scopes_supported = ${JSON.stringify(metadata.scopes_supported)}`;
  },
});

export const noEmptyArrays = check({
  id: 'discovery.as-no-empty-members',
  title: 'Metadata leaves out members with zero elements',
  requirements: ['R8414-ZERO-OMIT'],
  level: 'MUST',
  needs: ['authorization-server'],
  async run({ discovery }) {
    const { metadata } = await discovery.authorizationServerMetadata();
    const empty = Object.entries(metadata)
      .filter(([, value]) => Array.isArray(value) && value.length === 0)
      .map(([name]) => name);
    expect.that(empty.length === 0, `empty arrays in metadata: ${empty.join(', ')}; RFC 8414 §3.2 says omit them`);
    return 'no empty members';
  },
});

export const noNoneAlgorithm = check({
  id: 'discovery.as-no-none-algorithm',
  title: 'No *_signing_alg_values_supported list offers "none"',
  requirements: ['R8414-NO-NONE'],
  level: 'MUST',
  needs: ['authorization-server'],
  async run({ discovery }) {
    const { metadata } = await discovery.authorizationServerMetadata();
    const offending = Object.entries(metadata)
      .filter(([name, value]) => name.endsWith('_endpoint_auth_signing_alg_values_supported') && Array.isArray(value))
      .filter(([, value]) => (value as unknown[]).includes('none'))
      .map(([name]) => name);
    expect.that(offending.length === 0, `"none" is offered in ${offending.join(', ')}; unsigned client assertions`);
    return 'no list offers "none"';
  },
});

export const jwksPublicOnly = check({
  id: 'discovery.as-jwks-public-only',
  title: 'The JWKS holds usable public keys and no private key material',
  description: 'RFC 7517 §9.2 / RFC 7518 §6: a published JWK set must never contain private members (d, p, q, k…).',
  requirements: ['R7517-PUBLIC-ONLY', 'R8414-JWKS-HTTPS', 'R9068-RS-SIG'],
  level: 'MUST',
  needs: ['authorization-server'],
  async run(ctx) {
    const keys = await publishedKeys(ctx);
    const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];
    for (const key of keys) {
      const leaked = privateMembers.filter((member) => member in key);
      expect.that(
        leaked.length === 0,
        `JWKS key ${String(key.kid ?? '(no kid)')} publishes private member(s) ${leaked.join(', ')}: anyone can now ` +
          'sign tokens as this AS. Rotate the key and publish only the public part',
      );
    }
    return `${keys.length} public key(s), no private members`;
  },
});

async function publishedKeys({ discovery }: CheckContext): Promise<Array<Record<string, unknown>>> {
  const jwksUri = await discovery.endpoint('jwks_uri');
  const reply = await discovery.getJson(jwksUri);
  expect.that(reply.status === 200, `jwks_uri ${jwksUri} answered HTTP ${reply.status}`);
  const keys = (reply.json as { keys?: unknown } | undefined)?.keys;
  expect.that(Array.isArray(keys) && keys.length > 0, `jwks_uri ${jwksUri} holds no "keys" array`);
  return keys as Array<Record<string, unknown>>;
}

export const openidConsistent = check({
  id: 'discovery.oidc-consistent',
  title: 'The OpenID discovery document, when served, names the same issuer and advertises PKCE',
  description:
    'OIDC Discovery §4.3: issuer identical to the discovery URL; MCP 2025-11-25: OIDC metadata must include code_challenge_methods_supported.',
  requirements: ['OIDCD-ISSUER-EQ', 'AS-META-OIDC-PKCE', 'OIDCD-PATH'],
  level: 'MUST',
  needs: ['authorization-server'],
  async run({ discovery, skip }) {
    const openid = await observeStep(discovery.openidConfiguration());
    if (!openid) return skip('the AS serves no OpenID discovery document (RFC 8414 metadata alone is enough)');
    const issuer = await discovery.issuer();
    expect.that(
      openid.metadata.issuer === issuer,
      `${openid.url} says issuer=${JSON.stringify(openid.metadata.issuer)}, expected "${issuer}"`,
    );
    const methods = openid.metadata.code_challenge_methods_supported;
    expect.that(
      Array.isArray(methods) && methods.includes('S256'),
      `${openid.url} has code_challenge_methods_supported = ${JSON.stringify(methods)}; MCP clients reading the OpenID ` +
        'document refuse to proceed without S256 there',
    );
    return `${openid.url} is consistent`;
  },
});

/** OAuth 2.1 §1.5: https everywhere; plain http only on loopback test rigs the target file allows. */
function isSecureOrAllowedHttp(url: URL, allowInsecureHttp: boolean): boolean {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && allowInsecureHttp && isLoopbackHost(url.hostname);
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === '[::1]' || hostname === 'localhost';
}
