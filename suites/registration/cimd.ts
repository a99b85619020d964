import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { type Check, check } from '../../harness/check.ts';
import { CACHE_MAX_AGE_SECONDS, type CimdDocumentKind } from '../../harness/cimd/documents.ts';
import type { FetchRecord, HostedDocument } from '../../harness/cimd/host.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply, type HttpReply, member } from '../../harness/http.ts';
import { type Authorization, type OAuthClient, summarizeAuthorization } from '../../harness/oauth.ts';
import type { SpecVersion } from '../../harness/results.ts';
import type { NegativeCase } from '../suite.ts';

/** Client ID Metadata Documents arrived with MCP 2025-11-25 (SEP-991). */
const CIMD_SPECS: readonly SpecVersion[] = ['2025-11-25', '2026-07-28'];
const NEEDS = ['cimd', 'authorization-code'] as const;

// ── helpers ────────────────────────────────────────────────────────────────────────────────────────────────────────

/** The document as an OAuth client: its URL is the client_id, sent in the body (private_key_jwt adds an assertion). */
function documentClient(document: HostedDocument, redirectUri = document.redirectUri): OAuthClient {
  return { client_id: document.clientId, redirect_uri: redirectUri, auth: 'none', source: 'target' };
}

interface Attempt {
  document: HostedDocument;
  authorization: Authorization;
}

/** A fresh document of `kind` and one authorization request naming it as client_id. */
async function authorizeWithDocument(ctx: CheckContext, kind: CimdDocumentKind): Promise<Attempt> {
  const document = await ctx.cimd().document(kind);
  const authorization = await ctx.oauth.authorize({ client: documentClient(document) });
  return { document, authorization };
}

function authorizeAgain(ctx: CheckContext, document: HostedDocument): Promise<Authorization> {
  return ctx.oauth.authorize({ client: documentClient(document) });
}

function describeFetches(records: readonly FetchRecord[]): string {
  if (records.length === 0) return 'never fetched';
  const statuses = records.map((record) => record.status).join(', ');
  return `fetched ${records.length} time${records.length === 1 ? '' : 's'} (answered ${statuses})`;
}

/** The AS issued no code for a document it must refuse; the message says what the document was. */
function expectNoCode({ document, authorization }: Attempt, what: string, why: string): string {
  expect.that(
    !authorization.code,
    `the AS issued an authorization code for ${document.clientId}, a document that ${what} ` +
      `(document ${describeFetches(document.fetches())}). ${why}`,
  );
  return `no code for a document that ${what} (${summarizeAuthorization(authorization)}; document ${describeFetches(document.fetches())})`;
}

/** Nothing reached the redirect targets or special-use addresses the document pointed at ('' when it points nowhere). */
function expectForbiddenUntouched(document: HostedDocument, why: string): string {
  const reached = document.forbiddenFetches();
  expect.that(
    reached.length === 0,
    `the AS requested ${reached.map((record) => `${record.method} ${record.url}`).join(', ')}, where a conforming ` +
      `fetcher never goes. ${why}`,
  );
  if (document.forbiddenUrls.length === 0) return '';
  return document.forbiddenObservable
    ? `nothing reached ${document.forbiddenUrls.join(', ')}`
    : `whether ${document.forbiddenUrls.join(', ')} was contacted cannot be seen from the harness on this target`;
}

/**
 * Whether the second authorization fetched the document again: `again` expects at least one new fetch, `reused` none.
 * One authorization may look the client up several times (pages, form posts), so the count itself is not fixed.
 */
function expectSecondFetch(
  document: HostedDocument,
  before: number,
  expectation: 'again' | 'reused',
  what: string,
  why: string,
): string {
  const fetches = document.fetches();
  const fetchedAgain = fetches.length > before;
  expect.that(
    expectation === 'again' ? fetchedAgain : !fetchedAgain,
    `after ${what}, the document was ${describeFetches(fetches)} (${before} before the second authorization); ` +
      `expected ${expectation === 'again' ? 'a new fetch' : 'no new fetch'} for the second. ${why}`,
  );
  return `${what}: document ${describeFetches(fetches)}`;
}

/** RFC 7523 §2.2 / §3: a client assertion for the token endpoint, signed with `privateJwk`. */
async function clientAssertion(clientId: string, audience: string, privateJwk: JWK): Promise<string> {
  const key = await importJWK(privateJwk, 'ES256');
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', ...(privateJwk.kid ? { kid: privateJwk.kid } : {}) })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime('2m')
    .sign(key);
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Redeems `authorization` authenticating with a client assertion (or none, when `assertion` is undefined). */
function redeemWithAssertion(ctx: CheckContext, authorization: Authorization, assertion?: string): Promise<HttpReply> {
  return ctx.oauth.tokenRequest(
    {
      grant_type: 'authorization_code',
      code: authorization.code,
      redirect_uri: authorization.redirectUri,
      code_verifier: authorization.codeVerifier,
      resource: authorization.resource,
      ...(assertion ? { client_assertion_type: ASSERTION_TYPE, client_assertion: assertion } : {}),
    },
    authorization.client,
    'none',
  );
}

async function strangerJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: 'stranger' };
}

function codeOf(authorization: Authorization, why: string): Authorization {
  expect.that(authorization.code, `${summarizeAuthorization(authorization)}; expected a code. ${why}`);
  return authorization;
}

// ── support and the happy path ─────────────────────────────────────────────────────────────────────────────────────

export const cimdMetadataAdvertised = check({
  id: 'registration.cimd-metadata-advertised',
  title: 'AS metadata advertises client_id_metadata_document_supported: true',
  description:
    'MCP 2025-11-25 (Client Registration): authorization servers advertise CIMD support in their RFC 8414 metadata; ' +
    'CIMD §5: an AS that supports it and publishes metadata includes the flag.',
  requirements: ['AS-CIMD-ADVERTISE', 'CIMD-AS-META', 'AS-CIMD-SUPPORT'],
  level: 'SHOULD',
  specs: CIMD_SPECS,
  needs: ['authorization-server'],
  async run({ discovery }) {
    const { metadata } = await discovery.authorizationServerMetadata();
    const flag = metadata.client_id_metadata_document_supported;
    expect.that(
      flag === true,
      `client_id_metadata_document_supported is ${JSON.stringify(flag)}; expected true. MCP clients only use Client ID ` +
        'Metadata Documents (the registration MCP prefers) at servers that advertise them',
    );
    return 'client_id_metadata_document_supported: true';
  },
});

export const cimdClientAuthorizes = check({
  id: 'registration.cimd-client-authorizes',
  title: 'A valid document client is fetched, authorizes, redeems its code with PKCE, and its token works',
  description:
    'CIMD §4: the AS fetches the document named by a URL client_id and uses it as the registration; the code is ' +
    'bound to that client (OAuth 2.1 §4.1.3), so another document client cannot redeem it.',
  requirements: ['AS-CIMD-FETCH', 'CIMD-FETCH', 'AS-CIMD-SUPPORT', 'OA21-CODE-BINDING'],
  level: 'MUST',
  specs: CIMD_SPECS,
  needs: NEEDS,
  async run(ctx) {
    const why = 'The AS advertises CIMD support, so a valid document at an https URL must work as a client';
    const first = await authorizeWithDocument(ctx, 'public');
    expect.that(
      first.document.fetches().length > 0,
      `the AS never fetched ${first.document.url} (${summarizeAuthorization(first.authorization)}). CIMD §4: the ` +
        'document named by a URL client_id is the client registration; fetch it when the client_id appears',
    );
    codeOf(first.authorization, why);
    const stranger = documentClient(await ctx.cimd().document('public'));
    const stolen = await ctx.oauth.redeem(first.authorization, { client: stranger });
    expect.that(
      member(stolen, 'access_token') === undefined,
      `another document client (${stranger.client_id}) redeemed the code issued to ${first.document.url}. ` +
        'OAuth 2.1 §4.1.3: a code is bound to the client it was issued to',
    );
    const second = codeOf(await authorizeAgain(ctx, first.document), why);
    const reply = await ctx.oauth.redeem(second);
    const accessToken = member(reply, 'access_token');
    expect.that(
      reply.status === 200 && typeof accessToken === 'string',
      `the token request of the document client answered ${describeReply(reply)}; expected tokens. ${why}`,
    );
    if (!ctx.target.resource) return 'document fetched, code issued and redeemed (no MCP server declared to try it on)';
    const call = await ctx.mcp.post({ token: accessToken });
    expect.that(
      call.status === 200,
      `the MCP server refused the document client's access token (HTTP ${call.status}). ${why}`,
    );
    return `document ${describeFetches(first.document.fetches())}; code bound to the document client; its token works at the MCP server`;
  },
});

export const cimdPrivateKeyJwt = check({
  id: 'registration.cimd-private-key-jwt',
  title: 'A private_key_jwt document client must authenticate with a key from its document',
  description:
    'CIMD §6.2: a document with jwks and private_key_jwt establishes a confidential client, and every token request ' +
    'MUST include client authentication of the registered type (RFC 7523 §2.2).',
  requirements: ['CIMD-PKJWT', 'R7523-CLIENT-AUTH'],
  level: 'MUST',
  specs: CIMD_SPECS,
  needs: NEEDS,
  async run(ctx) {
    const { metadata } = await ctx.discovery.authorizationServerMetadata();
    const methods = metadata.token_endpoint_auth_methods_supported;
    if (!Array.isArray(methods) || !methods.includes('private_key_jwt')) {
      ctx.skip('the AS does not list private_key_jwt in token_endpoint_auth_methods_supported');
    }
    const why = 'A document client with jwks and private_key_jwt is confidential: it authenticates on every call';
    const { document, authorization } = await authorizeWithDocument(ctx, 'private-key-jwt');
    codeOf(authorization, 'A valid private_key_jwt document must authorize');
    const audience = ctx.target.issuer ?? String(metadata.issuer);
    const unauthenticated = await redeemWithAssertion(ctx, authorization);
    expect.that(
      member(unauthenticated, 'access_token') === undefined,
      `the token endpoint issued tokens to ${document.clientId} without a client assertion. ${why}`,
    );
    const forged = await redeemWithAssertion(
      ctx,
      codeOf(await authorizeAgain(ctx, document), why),
      await clientAssertion(document.clientId, audience, await strangerJwk()),
    );
    expect.that(
      member(forged, 'access_token') === undefined,
      `the token endpoint accepted a client assertion signed by a key not in the document. ${why}`,
    );
    const genuine = await redeemWithAssertion(
      ctx,
      codeOf(await authorizeAgain(ctx, document), why),
      await clientAssertion(document.clientId, audience, document.privateJwk!),
    );
    expect.that(
      genuine.status === 200 && typeof member(genuine, 'access_token') === 'string',
      `a client assertion signed with the document's key was refused: ${describeReply(genuine)}. ${why}`,
    );
    return 'no assertion: refused; a stranger key: refused; the document key: tokens';
  },
});

// ── what the AS must refuse ────────────────────────────────────────────────────────────────────────────────────────

/** A check that a document of `kind` gets no code (and, where it points elsewhere, that nothing else is fetched). */
function refusesDocument(definition: {
  name: string;
  title: string;
  description: string;
  requirements: string[];
  level: 'MUST' | 'SHOULD';
  kind: CimdDocumentKind;
  what: string;
  why: string;
}): Check {
  return check({
    id: `registration.cimd-${definition.name}`,
    title: definition.title,
    description: definition.description,
    requirements: definition.requirements,
    level: definition.level,
    specs: CIMD_SPECS,
    needs: NEEDS,
    async run(ctx) {
      const attempt = await authorizeWithDocument(ctx, definition.kind);
      // What the AS contacted is the graver violation, so it is reported first.
      const untouched = expectForbiddenUntouched(attempt.document, definition.why);
      const observed = expectNoCode(attempt, definition.what, definition.why);
      return untouched ? `${observed}; ${untouched}` : observed;
    },
  });
}

export const cimdClientIdMismatch = refusesDocument({
  name: 'client-id-mismatch',
  title: 'A document whose client_id differs from its URL is refused',
  description: 'CIMD §4.1: the document client_id MUST equal the document URL by simple string comparison.',
  requirements: ['AS-CIMD-ID-MATCH', 'CIMD-ID-EQ'],
  level: 'MUST',
  kind: 'client-id-mismatch',
  what: 'names another client_id than its URL',
  why: 'Accepting it lets any page impersonate another client by copying its metadata',
});

export const cimdNoRedirects = refusesDocument({
  name: 'no-redirects',
  title: 'A document URL answering 302 is refused, and the redirect is not followed',
  description: 'CIMD §4 (-01): the AS MUST NOT automatically follow HTTP redirects when fetching the document.',
  requirements: ['CIMD-NO-REDIRECTS', 'CIMD-200-ONLY'],
  level: 'MUST',
  kind: 'redirect',
  what: 'answers 302 to another URL',
  why: 'Following redirects lets the document live somewhere other than the client_id says (and steers the fetcher)',
});

export const cimdRedirectToPrivate = refusesDocument({
  name: 'redirect-to-private-address',
  title: 'A document URL redirecting to a private address does not make the AS contact that address',
  description:
    'CIMD §4 and §6 (-01): no redirects are followed, and the AS never fetches from special-use addresses (RFC 6890).',
  requirements: ['CIMD-NO-REDIRECTS', 'CIMD-SSRF', 'AS-CIMD-SSRF'],
  level: 'MUST',
  kind: 'redirect-to-private',
  what: 'redirects to https://10.0.0.7/…',
  why: 'A redirect is the classic way around an SSRF check on the first URL',
});

export const cimdStatus200Only = refusesDocument({
  name: 'status-200-only',
  title: 'A document served with HTTP 404 is refused',
  description:
    'CIMD §4 (-01): success is 200 OK only; every other status is an error, and the request is aborted (§4.3).',
  requirements: ['CIMD-200-ONLY', 'CIMD-FETCH-FAIL'],
  level: 'MUST',
  kind: 'status-404',
  what: 'is served with HTTP 404',
  why: 'An error page is not a registration, whatever its body says',
});

export const cimdRequiresJson = refusesDocument({
  name: 'requires-json',
  title: 'A document served as text/html is refused',
  description:
    'CIMD §4.1: the document is JSON, served as application/json (or an application/…+json type the AS defines).',
  requirements: ['AS-CIMD-STRUCTURE'],
  level: 'SHOULD',
  kind: 'json-as-html',
  what: 'is served as text/html',
  why: 'A page served as HTML is not a metadata document, even if its text parses as JSON',
});

export const cimdSizeLimit = refusesDocument({
  name: 'size-limit',
  title: 'A document larger than the recommended 5 KB is refused',
  description: 'CIMD §6: the AS limits the response size; 5 kilobytes is the recommended maximum.',
  requirements: ['CIMD-MAX-SIZE'],
  level: 'SHOULD',
  kind: 'oversized',
  what: 'is padded to more than 8 KB',
  why: 'Without a size cap, any client_id can make the AS download and keep arbitrary amounts of data',
});

export const cimdSharedSecret = refusesDocument({
  name: 'rejects-shared-secret',
  title: 'A document declaring a shared-secret auth method and a client_secret is refused',
  description:
    'CIMD §4.1: documents MUST NOT use client_secret_* methods or carry client_secret; a public document cannot ' +
    'hold a secret.',
  requirements: ['CIMD-NO-SHARED-SECRET'],
  level: 'SHOULD',
  kind: 'shared-secret',
  what: 'declares client_secret_basic and publishes its client_secret',
  why: 'A secret in a public document is known to everyone; the client would be confidential in name only',
});

export const cimdPrivateAddress = refusesDocument({
  name: 'ssrf-private-address',
  title: 'A client_id on a private IP address (10.0.0.7) is refused without being fetched',
  description:
    'CIMD §6 (-01): the AS MUST check that the document URL does not resolve to a special-use address (RFC 6890).',
  requirements: ['CIMD-SSRF', 'AS-CIMD-SSRF'],
  level: 'MUST',
  kind: 'private-address',
  what: 'lives on the private address 10.0.0.7',
  why: 'Fetching it lets anyone who can send an authorization request probe the AS’s internal network (SSRF)',
});

export const cimdLinkLocal = refusesDocument({
  name: 'ssrf-link-local',
  title: 'A client_id on the link-local metadata address (169.254.169.254) is refused without being fetched',
  description:
    'CIMD §6 (-01): special-use addresses (RFC 6890) include link-local 169.254.0.0/16, where cloud metadata ' +
    'services hand out credentials.',
  requirements: ['CIMD-SSRF', 'AS-CIMD-SSRF'],
  level: 'MUST',
  kind: 'link-local-address',
  what: 'lives on the link-local address 169.254.169.254',
  why: 'The cloud metadata service at that address hands out the AS host’s own credentials',
});

export const cimdUrlShape = check({
  id: 'registration.cimd-url-shape',
  title: 'A client_id URL with a fragment is refused without being fetched',
  description: 'CIMD §3: client identifier URLs MUST NOT contain a fragment (nor dot segments or userinfo).',
  requirements: ['CIMD-URL-SHAPE'],
  level: 'MUST',
  specs: CIMD_SPECS,
  needs: NEEDS,
  async run(ctx) {
    const attempt = await authorizeWithDocument(ctx, 'fragment-client-id');
    return expectNoCode(
      attempt,
      'is named by a client_id with a #fragment (and claims it)',
      'Such a client_id is not a valid CIMD identifier; refuse it before fetching anything',
    );
  },
});

export const cimdRedirectUriListed = check({
  id: 'registration.cimd-redirect-uri-listed',
  title: 'A redirect_uri the document does not list is refused without redirecting to it',
  description:
    'CIMD §4.5: the request redirect_uri MUST exactly match one of the document redirect_uris; the AS shows an error ' +
    'instead of redirecting to an unverified URI (OAuth 2.1 §4.1.2.1).',
  requirements: ['AS-CIMD-REDIRECT', 'CIMD-REDIRECT-EXACT', 'OA21-NO-REDIRECT-INVALID'],
  level: 'MUST',
  specs: CIMD_SPECS,
  needs: NEEDS,
  async run(ctx) {
    const document = await ctx.cimd().document('unlisted-redirect-uri');
    const requested = document.redirectUri;
    const listed = document.listedRedirectUris[0] ?? requested;
    const authorization = await ctx.oauth.authorize({
      client: documentClient(document, listed),
      redirectUri: requested,
    });
    const reached = authorization.response.kind === 'redirect' ? authorization.response.url : undefined;
    expect.that(
      !authorization.code && reached?.href.startsWith(requested) !== true,
      `the AS ${authorization.code ? 'issued a code' : 'redirected'} to ${requested}, which the document does not ` +
        `list (it lists ${listed}). CIMD §4.5: exact match only; otherwise codes leak to whoever owns the other URI`,
    );
    return `no redirect to the unlisted URI (${summarizeAuthorization(authorization)})`;
  },
});

export const cimdUnusableDocumentNoRedirect = check({
  id: 'registration.cimd-unusable-document-no-redirect',
  title: 'When the document cannot be used, the AS shows an error instead of redirecting',
  description:
    'OAuth 2.1 §4.1.2.1: with an invalid client_id the redirect_uri is unverified, so the AS MUST NOT redirect; ' +
    'CIMD §4.3: a failed fetch aborts the authorization request.',
  requirements: ['OA21-NO-REDIRECT-INVALID', 'CIMD-FETCH-FAIL'],
  level: 'MUST',
  specs: CIMD_SPECS,
  needs: NEEDS,
  async run(ctx) {
    const { authorization } = await authorizeWithDocument(ctx, 'not-json');
    return expect.noRedirect(
      authorization,
      'The "document" was an HTML page, so no redirect URI could be verified; redirecting makes the AS an open redirector',
    );
  },
});

// ── caching ────────────────────────────────────────────────────────────────────────────────────────────────────────

export const cimdCacheHonoured = check({
  id: 'registration.cimd-cache-honoured',
  title: 'A document with Cache-Control: max-age is reused, not fetched again, within its lifetime',
  description: 'CIMD §4.4: the AS SHOULD respect HTTP cache headers (RFC 9111) when caching client metadata.',
  requirements: ['CIMD-CACHE', 'AS-CIMD-CACHE'],
  level: 'SHOULD',
  specs: CIMD_SPECS,
  needs: NEEDS,
  async run(ctx) {
    const { document, authorization } = await authorizeWithDocument(ctx, 'cache-max-age');
    codeOf(authorization, 'A valid document with max-age must authorize');
    const before = document.fetches().length;
    codeOf(await authorizeAgain(ctx, document), 'A valid document with max-age must authorize');
    return expectSecondFetch(
      document,
      before,
      'reused',
      'two authorizations within max-age',
      'Fetching a fresh document again ignores its Cache-Control and loads the client’s host on every login',
    );
  },
});

export const cimdCacheExpires = check({
  id: 'registration.cimd-cache-expires',
  title: 'A cached document is fetched again once its max-age has passed',
  description:
    'CIMD §4.4: caching honours HTTP cache headers; a stale document is fetched again, so changes to it take effect.',
  requirements: ['CIMD-CACHE', 'AS-CIMD-CACHE'],
  level: 'SHOULD',
  specs: CIMD_SPECS,
  needs: NEEDS,
  async run(ctx) {
    const { document, authorization } = await authorizeWithDocument(ctx, 'cache-max-age');
    codeOf(authorization, 'A valid document with max-age must authorize');
    const before = document.fetches().length;
    await ctx.passTime(CACHE_MAX_AGE_SECONDS * 2);
    codeOf(await authorizeAgain(ctx, document), 'A valid document with max-age must authorize');
    return expectSecondFetch(
      document,
      before,
      'again',
      `an authorization ${CACHE_MAX_AGE_SECONDS * 2} s after the first (max-age=${CACHE_MAX_AGE_SECONDS})`,
      'A document cached past its lifetime keeps revoked redirect URIs or keys working',
    );
  },
});

export const cimdNoStoreRefetched = check({
  id: 'registration.cimd-no-store-refetched',
  title: 'A document with Cache-Control: no-store is fetched again for the next authorization',
  description: 'CIMD §4.4 and RFC 9111 §5.2.2.5: no-store forbids keeping the response for reuse.',
  requirements: ['CIMD-CACHE', 'AS-CIMD-CACHE'],
  level: 'SHOULD',
  specs: CIMD_SPECS,
  needs: NEEDS,
  async run(ctx) {
    const { document, authorization } = await authorizeWithDocument(ctx, 'no-store');
    codeOf(authorization, 'A valid document with no-store must authorize');
    const before = document.fetches().length;
    codeOf(await authorizeAgain(ctx, document), 'A valid document with no-store must authorize');
    return expectSecondFetch(
      document,
      before,
      'again',
      'two authorizations',
      'The client said no-store: a cached copy outlives what its publisher allowed',
    );
  },
});

/** A check that a failing document of `kind` is fetched again on the next request (CIMD §4.4: no negative caching). */
function notCached(definition: { name: string; title: string; kind: CimdDocumentKind; what: string }): Check {
  return check({
    id: `registration.cimd-${definition.name}`,
    title: definition.title,
    description: 'CIMD §4.4: the AS MUST NOT cache error responses, nor documents which are invalid or malformed.',
    requirements: ['CIMD-CACHE'],
    level: 'MUST',
    specs: CIMD_SPECS,
    needs: NEEDS,
    async run(ctx) {
      const first = await authorizeWithDocument(ctx, definition.kind);
      expectNoCode(first, definition.what, 'It cannot be a client');
      expect.that(
        first.document.fetches().length > 0,
        `the AS never fetched ${first.document.url} (${summarizeAuthorization(first.authorization)}), so whether it ` +
          'caches the failure cannot be observed; CIMD §4: fetch the document a URL client_id names',
      );
      const before = first.document.fetches().length;
      await authorizeAgain(ctx, first.document);
      return expectSecondFetch(
        first.document,
        before,
        'again',
        'two authorizations',
        'A remembered failure keeps the client locked out after its publisher fixes the document',
      );
    },
  });
}

export const cimdErrorsNotCached = notCached({
  name: 'errors-not-cached',
  title: 'A document answering 500 is fetched again on the next request (errors are not cached)',
  kind: 'status-500',
  what: 'is served with HTTP 500',
});

export const cimdInvalidNotCached = notCached({
  name: 'invalid-not-cached',
  title: 'An invalid document (no redirect_uris) is fetched again on the next request',
  kind: 'missing-redirect-uris',
  what: 'lists no redirect_uris',
});

export const cimdChecks: Check[] = [
  cimdMetadataAdvertised,
  cimdClientAuthorizes,
  cimdPrivateKeyJwt,
  cimdClientIdMismatch,
  cimdNoRedirects,
  cimdRedirectToPrivate,
  cimdStatus200Only,
  cimdRequiresJson,
  cimdSizeLimit,
  cimdSharedSecret,
  cimdPrivateAddress,
  cimdLinkLocal,
  cimdUrlShape,
  cimdRedirectUriListed,
  cimdUnusableDocumentNoRedirect,
  cimdCacheHonoured,
  cimdCacheExpires,
  cimdNoStoreRefetched,
  cimdErrorsNotCached,
  cimdInvalidNotCached,
];

export const cimdNegatives: Record<string, NegativeCase> = {
  'registration.cimd-metadata-advertised': { defect: 'cimd-metadata-flag-missing' },
  'registration.cimd-client-authorizes': { defect: 'code-not-bound-to-client' },
  'registration.cimd-private-key-jwt': { defect: 'confidential-auth-skipped' },
  'registration.cimd-client-id-mismatch': { defect: 'cimd-client-id-mismatch-accepted' },
  'registration.cimd-no-redirects': { defect: 'cimd-redirects-followed' },
  'registration.cimd-redirect-to-private-address': { defect: 'cimd-redirects-followed' },
  'registration.cimd-status-200-only': { defect: 'cimd-non-200-accepted' },
  'registration.cimd-requires-json': { defect: 'cimd-non-json-accepted' },
  'registration.cimd-size-limit': { defect: 'cimd-size-unlimited' },
  'registration.cimd-rejects-shared-secret': { defect: 'cimd-shared-secret-accepted' },
  'registration.cimd-ssrf-private-address': { defect: 'cimd-private-address-fetched' },
  'registration.cimd-ssrf-link-local': { defect: 'cimd-private-address-fetched' },
  'registration.cimd-url-shape': { defect: 'cimd-url-rules-unchecked' },
  'registration.cimd-redirect-uri-listed': { defect: 'cimd-unlisted-redirect-uri-accepted' },
  'registration.cimd-unusable-document-no-redirect': { defect: 'open-redirect-on-error' },
  'registration.cimd-cache-honoured': { defect: 'cimd-fetched-every-request' },
  'registration.cimd-cache-expires': { defect: 'cimd-cache-forever' },
  'registration.cimd-no-store-refetched': { defect: 'cimd-cache-ignores-no-store' },
  'registration.cimd-errors-not-cached': { defect: 'cimd-errors-cached' },
  'registration.cimd-invalid-not-cached': { defect: 'cimd-errors-cached' },
};
