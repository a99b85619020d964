/**
 * Enterprise-managed authorization: an Identity Assertion JWT Authorization Grant (ID-JAG), issued by an enterprise IdP
 * this server trusts, redeemed by the JWT bearer grant (RFC 7523 §2.1, ID-JAG §4.4). The IdP already decided that the
 * client may act for the user at one of our resources; this server checks that the grant is authentic, meant for it
 * and for the authenticated client, fresh and unused, then issues an access token for that resource only, never a
 * refresh token (the client presents a new ID-JAG instead).
 *
 * Subject resolution (ID-JAG §2 "Subject Resolution"): the IdP's user is linked to a local account by the `email`
 * claim (the RECOMMENDED claim for account linking); without a matching account the IdP's `sub` is used as is. The
 * enterprise IdP is trusted for its users' email addresses, as it is for SSO.
 */
import {
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { epochSeconds } from '../../../harness/clock.ts';
import type { AuthenticatedClient } from '../clients.ts';
import type { EnterpriseIdpTrust, IssuerContext, RegisteredResource } from '../context.ts';
import { canonicalResource, checkResource, checkScope } from '../endpoints/authorize.ts';
import { jsonResponse, OAuthError } from '../errors.ts';
import { randomToken, singleParam } from '../http.ts';
import { cachedKeySet, fetchKeySet, rememberedJwksUri } from '../outbound.ts';
import { issueAccessToken, noteIssuedToken } from '../tokens.ts';
import { issueRefreshToken, tokenEndpointResponse } from './refresh-token.ts';

export const ID_JAG_TYP = 'oauth-id-jag+jwt';
export const ID_JAG_GRANT_PROFILE = 'urn:ietf:params:oauth:grant-profile:id-jag';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** RFC 8725 §3.1 (EMA-AS-SIG): asymmetric algorithms only; never `none`, never a MAC keyed with a public key. */
export const ID_JAG_ALGORITHMS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'] as const;
/** EMA-AS-CLAIMS: the clock skew tolerated on `exp` and `iat`. */
export const ID_JAG_CLOCK_SKEW_SECONDS = 60;
/** How long fetched IdP keys are used before they are fetched again, and how long after a fetch that did not find a
 * requested `kid` no other fetch is made (so forged `kid`s cannot make this server hammer the IdP). */
const KEYS_MAX_AGE_MS = 10 * 60_000;
const FRUITLESS_REFETCH_COOLDOWN_MS = 30_000;

/**
 * ID-JAG §7.2 (EMA-AS-META): announced only when an IdP is trusted; jwt-bearer is in grant_types_supported already.
 * The trusted issuers themselves are not listed (§Metadata Disclosure).
 */
export function idJagMetadata(ctx: IssuerContext): Record<string, unknown> {
  if (ctx.enterpriseIdps.length === 0 || ctx.defects.has('id-jag-profile-unadvertised')) return {};
  return { authorization_grant_profiles_supported: [ID_JAG_GRANT_PROFILE] };
}

/** ID-JAG §4.4.1: validate the ID-JAG and issue an access token for its resource. */
export async function idJagGrant(
  ctx: IssuerContext,
  authenticated: AuthenticatedClient,
  form: URLSearchParams,
  assertion: string,
): Promise<Response> {
  // ID-JAG §Security "Client Authentication" (EMA-AS-CONFIDENTIAL): confidential clients registered for the grant.
  if (!ctx.defects.has('id-jag-public-clients')) checkClientMayRedeem(authenticated);
  const header = protectedHeader(assertion);
  checkTyp(ctx, header);
  const idp = trustedIdp(ctx, unverifiedClaims(assertion).iss);
  const claims = await verifiedClaims(ctx, idp, assertion, header);
  checkValidityWindow(ctx, claims);
  checkAudience(ctx, claims.aud);
  if (typeof claims.sub !== 'string' || claims.sub === '') throw invalidGrant('the ID-JAG has no sub');
  if (typeof claims.jti !== 'string' || claims.jti === '') throw invalidGrant('the ID-JAG has no jti');
  checkClientId(ctx, claims, authenticated.client.client_id);
  const target = grantedResource(ctx, claims, form);
  const scope = grantedScope(ctx, target, claims, form);
  await checkNotReplayed(ctx, idp, claims);
  return issueTokens(ctx, authenticated.client.client_id, localSubject(ctx, claims), target, scope);
}

function invalidGrant(description: string): OAuthError {
  return new OAuthError('invalid_grant', description);
}

function checkClientMayRedeem({ client, method }: AuthenticatedClient): void {
  if (method === 'none') {
    throw new OAuthError('unauthorized_client', 'ID-JAGs are redeemed only by authenticated confidential clients');
  }
  if (!client.grant_types.includes(JWT_BEARER_GRANT)) {
    throw new OAuthError('unauthorized_client', `client ${client.client_id} is not registered for ${JWT_BEARER_GRANT}`);
  }
}

function protectedHeader(assertion: string): ProtectedHeaderParameters {
  try {
    return decodeProtectedHeader(assertion);
  } catch {
    throw invalidGrant('the assertion is not a well-formed JWT');
  }
}

function unverifiedClaims(assertion: string): JWTPayload {
  try {
    return decodeJwt(assertion);
  } catch {
    throw invalidGrant('the assertion is not a well-formed JWT');
  }
}

/** ID-JAG §4.4.1, RFC 8725 §3.11 (EMA-AS-TYP): typed, so an ID token or other JWT of the IdP cannot pass for one. */
function checkTyp(ctx: IssuerContext, header: ProtectedHeaderParameters): void {
  const typ = header.typ?.toLowerCase().replace(/^application\//, '');
  if (typ !== ID_JAG_TYP && !ctx.defects.has('id-jag-typ-unchecked')) {
    throw invalidGrant(`the assertion is typed ${JSON.stringify(header.typ)}, not "${ID_JAG_TYP}" (an ID-JAG)`);
  }
}

/** RFC 7523 §3 item 1, EMA-AS-CLAIMS: `iss` is an enterprise IdP this server is configured to trust. */
function trustedIdp(ctx: IssuerContext, iss: unknown): EnterpriseIdpTrust {
  const trusted = ctx.enterpriseIdps.find((idp) => idp.issuer === iss);
  if (trusted) return trusted;
  const [first] = ctx.enterpriseIdps;
  if (first && ctx.defects.has('id-jag-issuer-unchecked')) return first;
  throw invalidGrant(`the ID-JAG issuer ${JSON.stringify(iss)} is not an enterprise IdP this server trusts`);
}

/** RFC 7523 §3 item 9 (EMA-AS-SIG): signed by the IdP, with an allow-listed asymmetric algorithm. */
async function verifiedClaims(
  ctx: IssuerContext,
  idp: EnterpriseIdpTrust,
  assertion: string,
  header: ProtectedHeaderParameters,
): Promise<JWTPayload> {
  if (ctx.defects.has('id-jag-signature-unchecked')) return unverifiedClaims(assertion);
  if (!ID_JAG_ALGORITHMS.some((alg) => alg === header.alg)) {
    throw invalidGrant(`ID-JAGs must be signed with ${ID_JAG_ALGORITHMS.join(', ')}, not ${header.alg}`);
  }
  const keys = await idpKeys(ctx, idp, header.kid);
  try {
    await compactVerify(assertion, createLocalJWKSet(keys), { algorithms: [...ID_JAG_ALGORITHMS] });
  } catch {
    throw invalidGrant(`the ID-JAG signature does not verify with the published keys of ${idp.issuer}`);
  }
  return unverifiedClaims(assertion);
}

/** RFC 7523 §3 items 4-6 (EMA-AS-CLAIMS): `exp` ahead and `iat` not in the future, within a small clock skew. */
function checkValidityWindow(ctx: IssuerContext, claims: JWTPayload): void {
  const now = epochSeconds(ctx.clock);
  if (typeof claims.exp !== 'number') throw invalidGrant('the ID-JAG has no exp');
  if (typeof claims.iat !== 'number') throw invalidGrant('the ID-JAG has no iat');
  if (claims.exp + ID_JAG_CLOCK_SKEW_SECONDS <= now && !ctx.defects.has('id-jag-expiry-unchecked')) {
    throw invalidGrant('the ID-JAG has expired; get a new one from the IdP');
  }
  if (claims.iat > now + ID_JAG_CLOCK_SKEW_SECONDS && !ctx.defects.has('id-jag-iat-unchecked')) {
    throw invalidGrant('the ID-JAG was issued in the future (iat); check the IdP clock');
  }
}

/**
 * ID-JAG §4.4.1 (EMA-AS-AUD): `aud` is this server's issuer identifier, as a string or an array of exactly one
 * element; anything else is refused, which stops audience injection.
 */
function checkAudience(ctx: IssuerContext, aud: JWTPayload['aud']): void {
  if (ctx.defects.has('id-jag-audience-unchecked')) return;
  const values = Array.isArray(aud) ? aud : [aud];
  if (values.length > 1 && ctx.defects.has('id-jag-audience-array-any') && values.includes(ctx.issuer)) return;
  if (values.length !== 1 || values[0] !== ctx.issuer) {
    throw invalidGrant(`the ID-JAG aud is ${JSON.stringify(aud)}; it must be exactly this issuer, ${ctx.issuer}`);
  }
}

/** ID-JAG §4.4.1 (EMA-AS-CLIENT-ID): the `client_id` claim names the client that authenticated. */
function checkClientId(ctx: IssuerContext, claims: JWTPayload, clientId: string): void {
  if (claims.client_id !== clientId && !ctx.defects.has('id-jag-client-id-unchecked')) {
    throw invalidGrant(`the ID-JAG was issued for client ${JSON.stringify(claims.client_id)}, not ${clientId}`);
  }
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  return undefined;
}

/**
 * ID-JAG §4.4.1 and RFC 8707 §2 (EMA-AS-RESOURCE): the `resource` claim names resources registered here; a `resource`
 * request parameter picks one of them. Without the claim, the request's resource (or the only one) applies.
 */
function grantedResource(ctx: IssuerContext, claims: JWTPayload, form: URLSearchParams): RegisteredResource {
  const requested = form.getAll('resource');
  if (claims.resource === undefined) return checkResource(ctx, requested);
  const claimed = stringList(claims.resource);
  if (!claimed || claimed.length === 0) throw invalidGrant('the ID-JAG resource claim is not a URI or list of URIs');
  const registered = claimed.map((resource) => registeredResource(ctx, resource));
  const [asked] = requested;
  if (requested.length > 1) throw new OAuthError('invalid_target', 'request one resource at a time');
  const match = registered.find((candidate) => asked === undefined || sameResource(candidate.resource, asked));
  if (!match) throw new OAuthError('invalid_target', `resource "${asked}" is not among the ID-JAG's resources`);
  if (asked === undefined && registered.length > 1) {
    throw new OAuthError('invalid_target', 'the ID-JAG names several resources; send the one wanted as "resource"');
  }
  return match;
}

function sameResource(a: string, b: string): boolean {
  const canonical = canonicalResource(a);
  return canonical !== undefined && canonical === canonicalResource(b);
}

function registeredResource(ctx: IssuerContext, resource: string): RegisteredResource {
  const match = ctx.resources.find((candidate) => sameResource(candidate.resource, resource));
  if (match) return match;
  if (ctx.defects.has('id-jag-resource-unchecked')) {
    return { resource, scopes: [...new Set(ctx.resources.flatMap((known) => known.scopes))] };
  }
  throw invalidGrant(`the ID-JAG resource ${resource} is not a resource of this authorization server`);
}

/**
 * ID-JAG §4.4.1 (EMA-AS-SCOPE): the scopes granted are those of the ID-JAG that the resource knows, narrowed to the
 * requested `scope` when one is sent: never more than the IdP granted nor more than the client asked for.
 */
function grantedScope(
  ctx: IssuerContext,
  target: RegisteredResource,
  claims: JWTPayload,
  form: URLSearchParams,
): string {
  const requested = singleParam(form, 'scope');
  if (claims.scope === undefined || ctx.defects.has('id-jag-scope-from-request')) return checkScope(target, requested);
  if (typeof claims.scope !== 'string') throw invalidGrant('the ID-JAG scope claim is not a string');
  const offered = scopeList(claims.scope).filter((scope) => target.scopes.includes(scope));
  const asked = requested === undefined ? undefined : scopeList(requested);
  const granted = asked === undefined ? offered : offered.filter((scope) => asked.includes(scope));
  if (granted.length === 0) {
    throw new OAuthError(
      'invalid_scope',
      `no scope left: the ID-JAG grants "${claims.scope}", the request asked for "${requested ?? ''}"`,
    );
  }
  return granted.join(' ');
}

function scopeList(scope: string): string[] {
  return [...new Set(scope.split(' ').filter((item) => item !== ''))];
}

/**
 * EMA-AS-REPLAY (RFC 7523 §3 item 7): each ID-JAG is redeemed once; its `jti`, scoped by issuer, is remembered until
 * the ID-JAG expires.
 */
async function checkNotReplayed(ctx: IssuerContext, idp: EnterpriseIdpTrust, claims: JWTPayload): Promise<void> {
  const now = epochSeconds(ctx.clock);
  const until = Math.max((claims.exp ?? now) + ID_JAG_CLOCK_SKEW_SECONDS, now + 1);
  const fresh = await ctx.store.assertionIds.use(`id-jag ${idp.issuer} ${claims.jti}`, until, now);
  if (!fresh && !ctx.defects.has('id-jag-replay')) {
    throw invalidGrant('this ID-JAG was already redeemed (its jti was seen before); get a new one from the IdP');
  }
}

/** Subject resolution: the local account with the ID-JAG's email, else the IdP's subject identifier as is. */
function localSubject(ctx: IssuerContext, claims: JWTPayload): string {
  const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : undefined;
  const linked = email === undefined ? undefined : ctx.users.find((user) => user.email.toLowerCase() === email);
  return linked?.sub ?? (claims.sub as string);
}

/**
 * ID-JAG §4.4.2: an access token audience-restricted to the ID-JAG's resource (EMA-AS-AUD-RESTRICT), with the granted
 * resource and scope in the response; §4.4.3 (EMA-AS-NO-RT): no refresh token.
 */
async function issueTokens(
  ctx: IssuerContext,
  clientId: string,
  sub: string,
  target: RegisteredResource,
  scope: string,
): Promise<Response> {
  const grantId = randomToken(16);
  const { resource } = target;
  await ctx.store.grants.save({
    id: grantId,
    issuer: ctx.issuer,
    clientId,
    sub,
    resource,
    scope,
    createdAt: ctx.clock.now(),
  });
  const audience = ctx.defects.has('id-jag-token-audience-unbound') ? ctx.issuer : resource;
  const issued = await issueAccessToken(ctx, { grantId, clientId, sub, resource: audience, scope });
  const refreshToken = ctx.defects.has('id-jag-refresh-token-issued')
    ? await issueRefreshToken(ctx, { grantId, clientId, sub, scope, resource })
    : undefined;
  const response = tokenEndpointResponse(ctx, issued, scope, refreshToken);
  const body = (await response.json()) as Record<string, unknown>;
  const headers = Object.fromEntries([...response.headers].filter(([name]) => name !== 'content-type'));
  return noteIssuedToken(jsonResponse({ ...body, resource }, response.status, headers), {
    record: issued.record,
    withRefreshToken: refreshToken !== undefined,
  });
}

// ── The IdP's keys: from its JWKS, cached, fetched again for an unknown `kid` (key rotation) ─────────────────────

/**
 * EMA-AS-SIG: the IdP's published keys. Cached per IdP; fetched again when they are old, or when the `kid` is unknown
 * (the IdP rotated its key), at most once per cooldown while such refetches find nothing.
 */
async function idpKeys(ctx: IssuerContext, idp: EnterpriseIdpTrust, kid: string | undefined): Promise<JSONWebKeySet> {
  const load = async () =>
    fetchKeySet(ctx.fetch, idp.jwks_uri ?? (await rememberedJwksUri(ctx.store, ctx.fetch, idp.issuer)));
  try {
    return await cachedKeySet(ctx.store, `id-jag ${idp.issuer}`, {
      now: ctx.clock.now(),
      kid,
      load,
      maxAgeMs: KEYS_MAX_AGE_MS,
      cooldownMs: FRUITLESS_REFETCH_COOLDOWN_MS,
      neverRefetch: ctx.defects.has('id-jag-keys-never-refetched'),
    });
  } catch (thrown) {
    if (thrown instanceof OAuthError) throw thrown;
    throw invalidGrant(`the keys of ${idp.issuer} could not be loaded: ${(thrown as Error).message}`);
  }
}
