/**
 * Enterprise-managed authorization: ID-JAGs from an enterprise IdP, redeemed by the JWT bearer grant (ID-JAG §4.4,
 * RFC 7523 §2.1). The harness serves the IdP the AS trusts: the happy paths use a real ID-JAG obtained by token
 * exchange at that IdP (ID token → ID-JAG), the negative ones ID-JAGs it mints with one thing wrong.
 */
import { BlockedError, type Check, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply, type HttpReply, member, readReply } from '../../harness/http.ts';
import { audiences, decodeAccessToken } from '../../harness/jwt.ts';
import { resultOf } from '../../harness/mcp.ts';
import type { OAuthClient } from '../../harness/oauth.ts';
import type { EnterpriseIdp, IdJagOptions } from '../../mocks/idps/enterprise/index.ts';
import type { NegativeCase } from '../suite.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
const ID_JAG_PROFILE = 'urn:ietf:params:oauth:grant-profile:id-jag';
const ELSEWHERE_AS = 'https://as.elsewhere.invalid';
const NEEDS = ['resource', 'id-jag'] as const;
/** How long a JWKS cache may reasonably wait before fetching again for an unknown kid (jose's default cooldown). */
const KEY_REFETCH_COOLDOWN_SECONDS = 31;

// ── The three parties: the enterprise client, the IdP the harness serves, and the AS under test ──────────────

interface Enterprise {
  client: OAuthClient;
  idp: EnterpriseIdp;
  /** The AS issuer identifier: what an ID-JAG's `aud` names. */
  issuer: string;
  resource: string;
}

async function enterprise(ctx: CheckContext): Promise<Enterprise> {
  const client = await ctx.oauth.machineClient('enterprise');
  const { metadata } = await ctx.discovery.authorizationServerMetadata();
  const issuer = typeof metadata.issuer === 'string' ? metadata.issuer : await ctx.discovery.issuer();
  const resource = ctx.target.resource;
  if (!resource) return ctx.skip('the target declares no MCP server ("resource")');
  return { client, idp: ctx.enterpriseIdp(), issuer, resource };
}

/** The target's current time: the harness's clock when it controls the target's, else real time. */
function targetNow(ctx: CheckContext): number {
  return Math.floor((ctx.clock?.now() ?? Date.now()) / 1000);
}

/**
 * ID-JAG §4.3: the client exchanges the ID token SSO gave it for an ID-JAG at the IdP's token endpoint. A refusal
 * blocks the check: the IdP is the harness's, so the fault is in the target's configuration (client, audience).
 */
async function idJagFromIdp(ctx: CheckContext, parties: Enterprise, scope = ctx.target.scopes?.basic): Promise<string> {
  const { client, idp, issuer, resource } = parties;
  const body = new URLSearchParams({
    grant_type: TOKEN_EXCHANGE,
    requested_token_type: ID_JAG_TOKEN_TYPE,
    subject_token: await idp.idToken({ clientId: client.client_id }),
    subject_token_type: ID_TOKEN_TYPE,
    audience: issuer,
    resource,
    ...(scope ? { scope } : {}),
  });
  const credentials = Buffer.from(
    `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret ?? '')}`,
  ).toString('base64');
  const response = await ctx.fetch(idp.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${credentials}` },
    body,
  });
  const reply = await readReply(response, idp.tokenEndpoint);
  const jag = member(reply, 'access_token');
  if (reply.status !== 200 || typeof jag !== 'string') {
    throw new BlockedError('ID-JAG from the enterprise IdP', `its token exchange answered ${describeReply(reply)}`);
  }
  return jag;
}

/** An ID-JAG the IdP mints for the enterprise client at this AS and resource, with `overrides` applied. */
function mintedIdJag(ctx: CheckContext, parties: Enterprise, overrides: Partial<IdJagOptions> = {}): Promise<string> {
  return parties.idp.mintIdJag({
    clientId: parties.client.client_id,
    audience: parties.issuer,
    resource: parties.resource,
    ...(ctx.target.scopes?.basic ? { scope: ctx.target.scopes.basic } : {}),
    ...overrides,
  });
}

/** ID-JAG §4.4 (RFC 7523 §2.1): grant_type jwt-bearer, the ID-JAG as `assertion`, the client authenticated. */
function redeem(
  ctx: CheckContext,
  client: OAuthClient,
  assertion: string,
  extra: Record<string, string> = {},
  auth = client.auth,
): Promise<HttpReply> {
  return ctx.oauth.tokenRequest({ grant_type: JWT_BEARER, assertion, ...extra }, client, auth);
}

/** The access token of a successful redemption; anything else means the thing checked did not happen. */
function issuedAccessToken(reply: HttpReply, what: string): string {
  const token = member(reply, 'access_token');
  expect.that(
    reply.status === 200 && typeof token === 'string',
    `${what} was refused: ${describeReply(reply)}; a valid ID-JAG from the trusted enterprise IdP, presented by the ` +
      'client it names, is exchanged for an access token (ID-JAG §4.4, RFC 7523 §2.1)',
  );
  return token;
}

/** RFC 7523 §3.1: an ID-JAG that fails validation is `invalid_grant`. */
async function expectIdJagRefused(
  ctx: CheckContext,
  parties: Enterprise,
  assertion: string,
  why: string,
): Promise<string> {
  return expect.tokenError(await redeem(ctx, parties.client, assertion), ['invalid_grant'], why);
}

function scopeSet(value: unknown): Set<string> {
  return new Set(typeof value === 'string' ? value.split(' ').filter((item) => item !== '') : []);
}

function sameScopes(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((scope) => b.has(scope));
}

/** The scope a token response grants: its `scope`, else (RFC 6749 §5.1: identical to the request) the requested one. */
function grantedScopes(reply: HttpReply, requested: string): Set<string> {
  const scope = member(reply, 'scope');
  return scopeSet(typeof scope === 'string' ? scope : requested);
}

// ── Checks ────────────────────────────────────────────────────────────────────────────────────────────────────

export const profileAdvertised = check({
  id: 'grants.id-jag-profile-advertised',
  title: 'AS metadata lists the ID-JAG grant profile, and with it the jwt-bearer grant type',
  description:
    'ID-JAG §7.2: a Resource AS SHOULD list urn:ietf:params:oauth:grant-profile:id-jag in ' +
    'authorization_grant_profiles_supported, and then MUST list the jwt-bearer grant in grant_types_supported.',
  requirements: ['EMA-AS-META', 'EMA-CL-DISCOVERY'],
  level: 'SHOULD',
  needs: NEEDS,
  async run(ctx) {
    const { metadata } = await ctx.discovery.authorizationServerMetadata();
    const profiles = metadata.authorization_grant_profiles_supported;
    expect.that(
      Array.isArray(profiles) && profiles.includes(ID_JAG_PROFILE),
      `authorization_grant_profiles_supported is ${JSON.stringify(profiles)}; list "${ID_JAG_PROFILE}" so MCP ` +
        'clients can tell the server takes ID-JAGs before starting an interactive flow',
    );
    const grants = metadata.grant_types_supported;
    expect.that(
      Array.isArray(grants) && grants.includes(JWT_BEARER),
      `the ID-JAG profile is listed but grant_types_supported (${JSON.stringify(grants)}) lacks ${JWT_BEARER}`,
    );
    return `authorization_grant_profiles_supported lists ${ID_JAG_PROFILE}; jwt-bearer is a supported grant`;
  },
});

export const tokenForResource = check({
  id: 'grants.id-jag-token-for-resource',
  title: 'An ID-JAG from the trusted IdP is exchanged for an access token audience-restricted to its resource',
  description:
    'ID-JAG §4.4 and the MCP enterprise-managed authorization extension §5.1: the AS validates the ID-JAG and issues ' +
    "an access token whose audience is the MCP server named by the ID-JAG's resource claim.",
  requirements: ['EMA-AS-RFC7521', 'EMA-AS-AUD-RESTRICT', 'EMA-CL-JWT-BEARER'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const parties = await enterprise(ctx);
    const reply = await redeem(ctx, parties.client, await idJagFromIdp(ctx, parties));
    const token = issuedAccessToken(reply, 'the ID-JAG obtained from the IdP by token exchange');
    const jwt = decodeAccessToken(token);
    if (!jwt) return ctx.skip('the access token is opaque; its audience cannot be read');
    expect.that(
      audiences(jwt.claims).includes(parties.resource),
      `the token's aud is ${JSON.stringify(jwt.claims.aud)}; expected the ID-JAG's resource ${parties.resource}. A ` +
        'token not bound to that MCP server works at every server trusting this AS',
    );
    return `token issued, aud = ${JSON.stringify(jwt.claims.aud)}`;
  },
});

export const tokenWorksAtMcpServer = check({
  id: 'grants.id-jag-token-accepted-by-mcp',
  title: 'The access token obtained with an ID-JAG works at the MCP server it names',
  description:
    'MCP enterprise-managed authorization §5.1 and §7.5.4: the token is issued for the MCP server of the resource ' +
    'claim, and that server accepts it.',
  requirements: ['EMA-RS-VALIDATE', 'EMA-AS-AUD-RESTRICT'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const parties = await enterprise(ctx);
    const reply = await redeem(ctx, parties.client, await idJagFromIdp(ctx, parties));
    const token = issuedAccessToken(reply, 'the ID-JAG obtained from the IdP by token exchange');
    const tool = ctx.target.tools?.basic;
    const answer = tool ? await ctx.mcp.callTool(token, tool) : await ctx.mcp.post({ token });
    expect.that(
      answer.status === 200 && resultOf(answer) !== undefined,
      `the MCP server refused the token obtained with the ID-JAG (${describeReply(answer)}); it must be issued for ` +
        `${parties.resource} with the scope the IdP granted, and accepted there`,
    );
    return tool ? 'the MCP server ran the basic tool with the token' : 'the MCP server initialized with the token';
  },
});

export const typRequired = check({
  id: 'grants.id-jag-typ-required',
  title: 'A JWT not typed oauth-id-jag+jwt (an untyped ID-JAG, an ID token) is refused',
  description:
    'ID-JAG §4.4.1 and RFC 8725 §3.11: the AS validates that typ is oauth-id-jag+jwt, so no other JWT of the IdP ' +
    '(an ID token above all) passes for an authorization grant.',
  requirements: ['EMA-AS-TYP'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const parties = await enterprise(ctx);
    const untyped = await mintedIdJag(ctx, parties, { header: { typ: undefined } });
    await expectIdJagRefused(ctx, parties, untyped, 'the ID-JAG had no typ header; untyped JWTs can be confused');
    const idToken = await parties.idp.idToken({ clientId: parties.client.client_id });
    return expectIdJagRefused(
      ctx,
      parties,
      idToken,
      'the assertion was the ID token SSO gave the client; ID tokens are for the client, never an authorization grant',
    );
  },
});

export const signatureVerified = check({
  id: 'grants.id-jag-signature-verified',
  title: "An ID-JAG not signed with the IdP's published keys (a foreign key, or alg none) is refused",
  description:
    'MCP enterprise-managed authorization §7.4.1 and RFC 7523 §3 item 9: the signature verifies with a key of the ' +
    'trusted IdP, under an allow-listed algorithm; "none" is never accepted.',
  requirements: ['EMA-AS-SIG'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const parties = await enterprise(ctx);
    const forged = await mintedIdJag(ctx, parties, { key: 'untrusted' });
    await expectIdJagRefused(ctx, parties, forged, 'it was signed with a key the IdP never published, under its kid');
    const unsigned = await mintedIdJag(ctx, parties, { key: 'none' });
    return expectIdJagRefused(ctx, parties, unsigned, 'it was unsigned (alg "none"); anyone could write it');
  },
});

export const issuerTrusted = check({
  id: 'grants.id-jag-issuer-trusted',
  title: 'An ID-JAG whose iss is not a trusted IdP is refused',
  description:
    'MCP enterprise-managed authorization §7.4.1 and ID-JAG §4.1: the AS accepts ID-JAGs only from the IdPs it is ' +
    'configured to trust for SSO.',
  requirements: ['EMA-AS-CLAIMS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const parties = await enterprise(ctx);
    const foreign = await mintedIdJag(ctx, parties, { claims: { iss: 'https://idp.untrusted.invalid' } });
    return expectIdJagRefused(ctx, parties, foreign, 'its iss named an IdP this AS was never configured to trust');
  },
});

export const audienceThisServer = check({
  id: 'grants.id-jag-audience-this-server',
  title: 'An ID-JAG whose aud is another authorization server is refused',
  description: "ID-JAG §4.4.1: the aud claim MUST be this AS's issuer identifier; otherwise invalid_grant.",
  requirements: ['EMA-AS-AUD'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const parties = await enterprise(ctx);
    const elsewhere = await mintedIdJag(ctx, parties, { audience: ELSEWHERE_AS });
    return expectIdJagRefused(ctx, parties, elsewhere, `its aud was ${ELSEWHERE_AS}, another authorization server`);
  },
});

export const audienceSingle = check({
  id: 'grants.id-jag-audience-single',
  title: 'An ID-JAG whose aud array has this issuer and another value is refused',
  description:
    'ID-JAG §4.4.1: an aud array MUST contain exactly one element, the issuer identifier; this prevents audience ' +
    'injection.',
  requirements: ['EMA-AS-AUD'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const parties = await enterprise(ctx);
    const injected = await mintedIdJag(ctx, parties, { claims: { aud: [parties.issuer, ELSEWHERE_AS] } });
    return expectIdJagRefused(
      ctx,
      parties,
      injected,
      'its aud listed this issuer and another AS; an ID-JAG valid at two servers can be replayed across them',
    );
  },
});

export const clientBound = check({
  id: 'grants.id-jag-client-bound',
  title: 'An ID-JAG issued for another client is refused',
  description: 'ID-JAG §4.4.1: the client_id claim MUST identify the authenticated client; otherwise invalid_grant.',
  requirements: ['EMA-AS-CLIENT-ID'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const parties = await enterprise(ctx);
    const other = await mintedIdJag(ctx, parties, { clientId: `other-client-${crypto.randomUUID()}` });
    return expectIdJagRefused(
      ctx,
      parties,
      other,
      `its client_id named another client than the authenticated ${parties.client.client_id}`,
    );
  },
});

export const resourceRegistered = check({
  id: 'grants.id-jag-resource-registered',
  title: 'An ID-JAG for a resource this AS does not serve is refused',
  description:
    "MCP enterprise-managed authorization §7.6.2: the resource claim matches one of the AS's registered resource " +
    'identifiers; otherwise invalid_grant.',
  requirements: ['EMA-AS-RESOURCE'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const parties = await enterprise(ctx);
    const unknown = await mintedIdJag(ctx, parties, { resource: 'https://unknown-mcp.invalid/mcp' });
    return expectIdJagRefused(ctx, parties, unknown, 'its resource was an MCP server this AS does not know');
  },
});

export const expiredRefused = check({
  id: 'grants.id-jag-expired',
  title: 'An expired ID-JAG is refused',
  description:
    'MCP enterprise-managed authorization §7.4.2 and RFC 7523 §3 item 4: an ID-JAG whose exp has passed (beyond a ' +
    'small clock skew) is refused.',
  requirements: ['EMA-AS-CLAIMS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const parties = await enterprise(ctx);
    const past = targetNow(ctx) - 600;
    const expired = await mintedIdJag(ctx, parties, { claims: { iat: past - 300, exp: past } });
    return expectIdJagRefused(ctx, parties, expired, 'its exp was ten minutes in the past');
  },
});

export const futureIatRefused = check({
  id: 'grants.id-jag-issued-in-future',
  title: 'An ID-JAG issued in the future (iat) is refused',
  description: 'MCP enterprise-managed authorization §7.4.1: iat is validated; a grant from the future is refused.',
  requirements: ['EMA-AS-CLAIMS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const parties = await enterprise(ctx);
    const future = targetNow(ctx) + 600;
    const early = await mintedIdJag(ctx, parties, { claims: { iat: future, exp: future + 300 } });
    return expectIdJagRefused(ctx, parties, early, 'its iat was ten minutes in the future');
  },
});

export const replayRefused = check({
  id: 'grants.id-jag-replay',
  title: 'An ID-JAG is redeemed once: presenting it again is refused',
  description:
    'MCP enterprise-managed authorization §7.4.2: the AS checks jti and rejects a re-used ID-JAG until it expires.',
  requirements: ['EMA-AS-REPLAY'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const parties = await enterprise(ctx);
    const jag = await idJagFromIdp(ctx, parties);
    issuedAccessToken(await redeem(ctx, parties.client, jag), 'the first redemption of a valid ID-JAG');
    return expectIdJagRefused(
      ctx,
      parties,
      jag,
      'the same ID-JAG (same jti) was presented a second time; a captured ID-JAG would otherwise mint tokens until it expires',
    );
  },
});

export const scopeIntersection = check({
  id: 'grants.id-jag-scope-intersection',
  title: 'The scope granted is the intersection of the requested scope and the ID-JAG scope',
  description:
    'MCP enterprise-managed authorization §7.6.2 and ID-JAG §4.4.1: the AS never grants more than the IdP put in the ' +
    'ID-JAG, nor more than the client asked for.',
  requirements: ['EMA-AS-SCOPE'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const { basic, elevated } = ctx.target.scopes ?? {};
    if (!basic || !elevated) return ctx.skip('the target declares no basic and elevated scopes ("scopes")');
    const parties = await enterprise(ctx);
    const both = `${basic} ${elevated}`;
    const narrowJag = await mintedIdJag(ctx, parties, { scope: basic });
    const widened = await redeem(ctx, parties.client, narrowJag, { scope: both });
    issuedAccessToken(widened, `an ID-JAG granting "${basic}" redeemed with scope "${both}"`);
    const granted = grantedScopes(widened, both);
    expect.that(
      sameScopes(granted, new Set([basic])),
      `the ID-JAG granted "${basic}", the request asked for "${both}", and the AS granted "${[...granted].join(' ')}"` +
        `; expected exactly "${basic}" (and the response's scope member, as it differs from the request)`,
    );
    const wideJag = await mintedIdJag(ctx, parties, { scope: both });
    const narrowed = await redeem(ctx, parties.client, wideJag, { scope: basic });
    issuedAccessToken(narrowed, `an ID-JAG granting "${both}" redeemed with scope "${basic}"`);
    const grantedNarrow = grantedScopes(narrowed, basic);
    expect.that(
      sameScopes(grantedNarrow, new Set([basic])),
      `the ID-JAG granted "${both}", the request asked for "${basic}", and the AS granted ` +
        `"${[...grantedNarrow].join(' ')}"; expected exactly "${basic}"`,
    );
    return `granted "${basic}" for ID-JAG "${basic}" + request "${both}", and for ID-JAG "${both}" + request "${basic}"`;
  },
});

export const noRefreshToken = check({
  id: 'grants.id-jag-no-refresh-token',
  title: 'No refresh token is issued for an ID-JAG',
  description:
    'ID-JAG §4.4.3: the AS SHOULD NOT return a refresh token; the client presents a new ID-JAG from the IdP instead, ' +
    'so the IdP keeps deciding.',
  requirements: ['EMA-AS-NO-RT'],
  level: 'SHOULD',
  needs: NEEDS,
  async run(ctx) {
    const parties = await enterprise(ctx);
    const reply = await redeem(ctx, parties.client, await idJagFromIdp(ctx, parties));
    issuedAccessToken(reply, 'the ID-JAG obtained from the IdP by token exchange');
    expect.that(
      member(reply, 'refresh_token') === undefined,
      'the token response carries a refresh_token; with it the client keeps access after the IdP revokes it, which ' +
        'is what enterprise-managed authorization exists to prevent',
    );
    return 'access token without a refresh token';
  },
});

export const confidentialOnly = check({
  id: 'grants.id-jag-confidential-only',
  title: 'ID-JAGs are redeemed only by authenticated confidential clients',
  description:
    'ID-JAG §Security Considerations "Client Authentication": the grant is supported only for confidential clients; ' +
    'a request without client authentication, or from a public client, is refused.',
  requirements: ['EMA-AS-CONFIDENTIAL'],
  level: 'SHOULD',
  needs: NEEDS,
  async run(ctx) {
    const parties = await enterprise(ctx);
    const errors = ['invalid_client', 'unauthorized_client', 'invalid_grant'];
    const unauthenticated = await redeem(ctx, parties.client, await mintedIdJag(ctx, parties), {}, 'none');
    expect.tokenError(unauthenticated, errors, 'the enterprise client sent its client_id without its secret');
    const publicClient = await ctx.oauth.publicClient();
    const jag = await mintedIdJag(ctx, parties, { clientId: publicClient.client_id });
    return expect.tokenError(
      await redeem(ctx, publicClient, jag, {}, 'none'),
      errors,
      `public client ${publicClient.client_id} presented an ID-JAG naming it; without client authentication anyone ` +
        'holding the ID-JAG could redeem it',
    );
  },
});

export const keyRotationFollowed = check({
  id: 'grants.id-jag-key-rotation',
  title: 'After the IdP rotates its signing key, ID-JAGs signed with the new key are accepted',
  description:
    "MCP enterprise-managed authorization §7.4.1: the AS verifies with the IdP's JWKS and handles key rotation " +
    'safely: a new kid makes it fetch the published keys again.',
  requirements: ['EMA-AS-SIG'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const parties = await enterprise(ctx);
    issuedAccessToken(await redeem(ctx, parties.client, await idJagFromIdp(ctx, parties)), 'an ID-JAG before rotation');
    await parties.idp.rotateKey();
    const first = await redeem(ctx, parties.client, await idJagFromIdp(ctx, parties));
    if (first.status === 200) return 'ID-JAGs accepted before and after the IdP rotated its key';
    // A key cache may hold off refetching for a short cooldown after a fetch; past it, the new key must be found.
    await ctx.passTime(KEY_REFETCH_COOLDOWN_SECONDS);
    const reply = await redeem(ctx, parties.client, await idJagFromIdp(ctx, parties));
    issuedAccessToken(
      reply,
      `an ID-JAG signed with the IdP's new key (published beside the old one), even ${KEY_REFETCH_COOLDOWN_SECONDS} s ` +
        'after the rotation,',
    );
    return `ID-JAGs accepted after the IdP rotated its key (once a ${KEY_REFETCH_COOLDOWN_SECONDS} s cache cooldown passed)`;
  },
});

export const idJagChecks: Check[] = [
  profileAdvertised,
  tokenForResource,
  tokenWorksAtMcpServer,
  typRequired,
  signatureVerified,
  issuerTrusted,
  audienceThisServer,
  audienceSingle,
  clientBound,
  resourceRegistered,
  expiredRefused,
  futureIatRefused,
  replayRefused,
  scopeIntersection,
  noRefreshToken,
  confidentialOnly,
  keyRotationFollowed,
];

export const idJagNegatives: Record<string, NegativeCase> = {
  'grants.id-jag-profile-advertised': { defect: 'id-jag-profile-unadvertised' },
  'grants.id-jag-token-for-resource': { defect: 'id-jag-token-audience-unbound' },
  'grants.id-jag-token-accepted-by-mcp': { defect: 'id-jag-token-audience-unbound' },
  'grants.id-jag-typ-required': { defect: 'id-jag-typ-unchecked' },
  'grants.id-jag-signature-verified': { defect: 'id-jag-signature-unchecked' },
  'grants.id-jag-issuer-trusted': { defect: 'id-jag-issuer-unchecked' },
  'grants.id-jag-audience-this-server': { defect: 'id-jag-audience-unchecked' },
  'grants.id-jag-audience-single': { defect: 'id-jag-audience-array-any' },
  'grants.id-jag-client-bound': { defect: 'id-jag-client-id-unchecked' },
  'grants.id-jag-resource-registered': { defect: 'id-jag-resource-unchecked' },
  'grants.id-jag-expired': { defect: 'id-jag-expiry-unchecked' },
  'grants.id-jag-issued-in-future': { defect: 'id-jag-iat-unchecked' },
  'grants.id-jag-replay': { defect: 'id-jag-replay' },
  'grants.id-jag-scope-intersection': { defect: 'id-jag-scope-from-request' },
  'grants.id-jag-no-refresh-token': { defect: 'id-jag-refresh-token-issued' },
  'grants.id-jag-confidential-only': { defect: 'id-jag-public-clients' },
  'grants.id-jag-key-rotation': { defect: 'id-jag-keys-never-refetched' },
};
