/**
 * RFC 7523 §2.1, the JWT bearer grant with per-client trusted issuers (seed 004 "JWT Bearer"; MCP workload identity
 * federation): a workload presents the identity token its platform issued it (AWS, GCP, Kubernetes…) and gets an
 * access token for one resource. Each client names the issuers it trusts; the issuer's keys come from its configured
 * `jwks_uri` or from its OpenID / RFC 8414 metadata. The JWT is checked per RFC 7523 §3; when the issuer has a userinfo
 * endpoint, the workload's login id is loaded from it with the presented JWT as the bearer token.
 *
 * The issued token's `sub` is that login id when the issuer has a userinfo endpoint (so the external identity maps to
 * one account here, as the seed's "login id field" does), else the JWT's own `sub`. No refresh token is issued: the
 * workload presents a fresh platform token instead.
 */
import { compactVerify, createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors } from 'jose';
import { epochSeconds } from '../../../harness/clock.ts';
import type { ClientRecord, TrustedIssuerConfig } from '../../store/index.ts';
import type { AuthenticatedClient } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { checkResource, checkScope } from '../endpoints/authorize.ts';
import { OAuthError } from '../errors.ts';
import { randomToken, singleParam } from '../http.ts';
import { cachedKeySet, fetchJsonObject, fetchKeySet, rememberedJwksUri } from '../outbound.ts';
import { issueAccessToken } from '../tokens.ts';
import { JWT_BEARER_GRANT } from './assertion.ts';
import { issueRefreshToken, tokenEndpointResponse } from './refresh-token.ts';

/** RFC 7518 §3.1: the asymmetric algorithms accepted when the issuer configures none; never `none` or HS*. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

/** RFC 7523 §3 item 4: a small allowance for clock skew between the issuer and this server. */
const CLOCK_SKEW_SECONDS = 30;
/** RFC 7523 §3 item 6: an `iat` further back than this is refused, whatever its `exp` says. */
const MAX_ASSERTION_AGE_SECONDS = 24 * 60 * 60;
/** Issuer keys are reused this long; an unknown `kid` refetches them sooner (key rotation), once per cooldown. */
const KEYS_TTL_MS = 10 * 60_000;
const REFETCH_COOLDOWN_MS = 30_000;

interface AssertionClaims {
  iss: string;
  sub: string;
  exp: number | undefined;
  jti: string | undefined;
}

/** RFC 7523 §2.1: an assertion from one of the client's trusted issuers becomes an access token for its subject. */
export async function jwtBearerGrant(
  ctx: IssuerContext,
  { client }: AuthenticatedClient,
  form: URLSearchParams,
  assertion: string,
): Promise<Response> {
  if (!client.grant_types.includes(JWT_BEARER_GRANT)) {
    throw new OAuthError(
      'unauthorized_client',
      `client ${client.client_id} is not registered for the JWT bearer grant`,
    );
  }
  const unverified = decodedPayload(ctx, assertion);
  const trust = await trustedIssuer(ctx, client, unverified.iss);
  await verifySignature(ctx, trust, assertion);
  const claims = checkClaims(ctx, decodedPayload(ctx, assertion));
  const target = checkResource(ctx, form.getAll('resource'));
  const scope = checkScope(target, singleParam(form, 'scope'));
  const userinfo = trust.userinfo_endpoint;
  const sub = userinfo ? await userinfoLoginId(ctx, trust, userinfo, assertion, claims) : claims.sub;
  await checkNotReplayed(ctx, claims);

  const grantId = randomToken(16);
  await ctx.store.grants.save({
    id: grantId,
    issuer: ctx.issuer,
    clientId: client.client_id,
    sub,
    resource: target.resource,
    scope,
    createdAt: ctx.clock.now(),
  });
  // RFC 8707 §2: the token's audience is the resource asked for.
  const resource = ctx.defects.has('jwt-bearer-audience-unbound') ? ctx.issuer : target.resource;
  const issued = await issueAccessToken(ctx, { grantId, clientId: client.client_id, sub, resource, scope });
  const binding = { grantId, clientId: client.client_id, sub, scope, resource: target.resource };
  const refreshToken = ctx.defects.has('jwt-bearer-refresh-token-issued')
    ? await issueRefreshToken(ctx, binding)
    : undefined;
  return tokenEndpointResponse(ctx, issued, scope, refreshToken);
}

/** RFC 7523 §3.1: an assertion that is not valid is `invalid_grant`, its description saying why. */
function invalidGrant(ctx: IssuerContext, description: string): OAuthError {
  const error = ctx.defects.has('jwt-bearer-wrong-error-code') ? 'invalid_request' : 'invalid_grant';
  return new OAuthError(error, description);
}

function decodedPayload(ctx: IssuerContext, assertion: string): Record<string, unknown> {
  try {
    return decodeJwt(assertion);
  } catch {
    throw invalidGrant(ctx, 'the assertion is not a well-formed JWT');
  }
}

// ── Whose JWT: the client's trusted issuers (seed 004) ───────────────────────────────────────────────────────────

/** RFC 7523 §3 item 1: `iss` must be one of the issuers THIS client trusts, compared exactly. */
async function trustedIssuer(ctx: IssuerContext, client: ClientRecord, iss: unknown): Promise<TrustedIssuerConfig> {
  if (typeof iss !== 'string' || iss === '') throw invalidGrant(ctx, 'the assertion has no iss');
  const own = client.trusted_issuers?.find((trusted) => trusted.issuer === iss);
  if (own) return own;
  if (ctx.defects.has('jwt-bearer-issuer-trust-shared')) {
    const anyClients = (await ctx.store.clients.list()).flatMap((other) => other.trusted_issuers ?? []);
    const shared = anyClients.find((trusted) => trusted.issuer === iss);
    if (shared) return shared;
  }
  if (ctx.defects.has('jwt-bearer-untrusted-issuer')) return { issuer: iss };
  throw invalidGrant(ctx, `client ${client.client_id} does not trust assertions issued by ${iss}`);
}

// ── Signature: the issuer's keys, fetched and cached ────────────────────────────────────────────────────────────

/** RFC 7523 §3 item 9: the JWT is signed by the issuer, with an accepted asymmetric algorithm. */
async function verifySignature(ctx: IssuerContext, trust: TrustedIssuerConfig, assertion: string): Promise<void> {
  const alg = headerAlgorithm(ctx, assertion);
  if (alg === 'none' && ctx.defects.has('jwt-bearer-alg-none-accepted')) return;
  const accepted = acceptedAlgorithms(trust);
  if (!accepted.includes(alg)) {
    throw invalidGrant(ctx, `assertions from ${trust.issuer} must be signed with ${accepted.join(', ')}, not ${alg}`);
  }
  if (ctx.defects.has('jwt-bearer-signature-unchecked')) return;
  const keys = await issuerKeys(ctx, trust, headerKid(assertion));
  try {
    await compactVerify(assertion, createLocalJWKSet(keys), { algorithms: accepted });
  } catch (thrown) {
    throw signatureFailure(ctx, trust, thrown);
  }
}

function headerKid(assertion: string): string | undefined {
  const { kid } = decodeProtectedHeader(assertion);
  return typeof kid === 'string' ? kid : undefined;
}

function headerAlgorithm(ctx: IssuerContext, assertion: string): string {
  try {
    const { alg } = decodeProtectedHeader(assertion);
    if (typeof alg === 'string') return alg;
  } catch {
    // Falls through to the refusal below.
  }
  throw invalidGrant(ctx, 'the assertion header names no signing algorithm');
}

/** Seed 004: the issuer's configured algorithms, else any asymmetric one; symmetric and `none` are never accepted. */
function acceptedAlgorithms(trust: TrustedIssuerConfig): string[] {
  const asymmetric: readonly string[] = ASYMMETRIC_ALGORITHMS;
  return (trust.algorithms ?? [...asymmetric]).filter((alg) => asymmetric.includes(alg));
}

function signatureFailure(ctx: IssuerContext, trust: TrustedIssuerConfig, thrown: unknown): OAuthError {
  if (thrown instanceof OAuthError) return thrown;
  if (thrown instanceof errors.JWKSNoMatchingKey) {
    return invalidGrant(ctx, `no key of ${trust.issuer} matches the assertion's kid and alg`);
  }
  return invalidGrant(ctx, `the assertion signature does not verify with the keys of ${trust.issuer}`);
}

/** The issuer's keys (configured JWKS URL, else derived from its metadata), cached, refetched for an unknown kid. */
async function issuerKeys(ctx: IssuerContext, trust: TrustedIssuerConfig, kid: string | undefined) {
  const load = async () => {
    const jwksUri = trust.jwks_uri ?? (await rememberedJwksUri(ctx.store, ctx.fetch, trust.issuer));
    return fetchKeySet(ctx.fetch, jwksUri);
  };
  const cacheKey = `${trust.issuer} ${trust.jwks_uri ?? '(discovered)'}`;
  try {
    return await cachedKeySet(ctx.store, cacheKey, {
      now: ctx.clock.now(),
      kid,
      load,
      maxAgeMs: KEYS_TTL_MS,
      cooldownMs: REFETCH_COOLDOWN_MS,
    });
  } catch (thrown) {
    throw outboundFailure(ctx, `the keys of ${trust.issuer}`, thrown);
  }
}

function outboundFailure(ctx: IssuerContext, what: string, thrown: unknown): OAuthError {
  if (thrown instanceof OAuthError) return thrown;
  return invalidGrant(ctx, `${what} could not be loaded: ${thrown instanceof Error ? thrown.message : 'error'}`);
}

// ── Claims: RFC 7523 §3 items 2-7 ───────────────────────────────────────────────────────────────────────────────

function checkClaims(ctx: IssuerContext, payload: Record<string, unknown>): AssertionClaims {
  const { defects } = ctx;
  const now = epochSeconds(ctx.clock);
  const iss = payload.iss as string;
  const lenient = defects.has('jwt-bearer-required-claims-optional');
  // §3 item 2: the subject the token will be about.
  const hasSub = typeof payload.sub === 'string' && payload.sub !== '';
  if (!hasSub && !lenient) throw invalidGrant(ctx, 'the assertion has no sub');
  const sub = hasSub ? (payload.sub as string) : iss;
  // §3 item 3: the audience identifies this server (its issuer, or its token endpoint URL).
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  const ours = [ctx.issuer, ctx.endpoint('token')];
  if (!audiences.some((aud) => ours.includes(aud as string)) && !defects.has('jwt-bearer-audience-unchecked')) {
    throw invalidGrant(ctx, `the assertion aud must name this server (${ours.join(' or ')})`);
  }
  // §3 item 4: exp is required and must not have passed (with a small skew).
  const exp = numericClaim(ctx, payload, 'exp');
  if (exp === undefined && !lenient) throw invalidGrant(ctx, 'the assertion has no exp');
  if (exp !== undefined && exp + CLOCK_SKEW_SECONDS <= now && !defects.has('jwt-bearer-expiry-unchecked')) {
    throw invalidGrant(ctx, 'the assertion has expired');
  }
  // §3 item 5: not to be accepted before nbf.
  const nbf = numericClaim(ctx, payload, 'nbf');
  if (nbf !== undefined && nbf - CLOCK_SKEW_SECONDS > now && !defects.has('jwt-bearer-nbf-ignored')) {
    throw invalidGrant(ctx, 'the assertion is not valid yet (nbf is in the future)');
  }
  // §3 item 6: an iat in the future, or unreasonably far in the past, is refused.
  const iat = numericClaim(ctx, payload, 'iat');
  if (iat !== undefined && iat - CLOCK_SKEW_SECONDS > now)
    throw invalidGrant(ctx, 'the assertion iat is in the future');
  if (iat !== undefined && now - iat > MAX_ASSERTION_AGE_SECONDS) {
    throw invalidGrant(ctx, `the assertion was issued more than ${MAX_ASSERTION_AGE_SECONDS / 3600} hours ago`);
  }
  // §3 item 7: a jti, when present, is a non-empty string.
  const { jti } = payload;
  if (jti !== undefined && (typeof jti !== 'string' || jti === '')) {
    throw invalidGrant(ctx, 'the assertion jti must be a non-empty string');
  }
  return { iss, sub, exp, jti };
}

/** RFC 7519 §2 NumericDate: a finite number of seconds, when present. */
function numericClaim(ctx: IssuerContext, payload: Record<string, unknown>, name: string): number | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidGrant(ctx, `the assertion ${name} must be a NumericDate (seconds since the epoch)`);
  }
  return value;
}

/** RFC 7523 §3 item 7: each jti of an issuer is accepted once, and remembered until the assertion expires. */
async function checkNotReplayed(ctx: IssuerContext, claims: AssertionClaims): Promise<void> {
  if (claims.jti === undefined) return;
  const now = epochSeconds(ctx.clock);
  const until = Math.max((claims.exp ?? now + MAX_ASSERTION_AGE_SECONDS) + CLOCK_SKEW_SECONDS, now + 1);
  const fresh = await ctx.store.assertionIds.use(`jwt-bearer ${claims.iss} ${claims.jti}`, until, now);
  if (!fresh && !ctx.defects.has('jwt-bearer-jti-replay')) {
    throw invalidGrant(ctx, 'the assertion was already used (its jti was seen before)');
  }
}

// ── Userinfo: the workload's login id (seed 004) ────────────────────────────────────────────────────────────────

/**
 * Seed 004: the issuer's userinfo endpoint, called with the presented JWT as the bearer token, names the login id in
 * `login_id_field` (default `sub`). OIDC Core §5.3.2: a userinfo answer about another subject must not be used.
 */
async function userinfoLoginId(
  ctx: IssuerContext,
  trust: TrustedIssuerConfig,
  endpoint: string,
  assertion: string,
  claims: AssertionClaims,
): Promise<string> {
  const profile = await fetchJsonObject(ctx.fetch, endpoint, { authorization: `Bearer ${assertion}` }).catch(
    (thrown: unknown) => {
      throw outboundFailure(ctx, `the userinfo of ${claims.sub}`, thrown);
    },
  );
  if (profile.sub !== claims.sub && !ctx.defects.has('jwt-bearer-userinfo-sub-unchecked')) {
    throw invalidGrant(ctx, `the userinfo endpoint of ${trust.issuer} describes another subject than the assertion`);
  }
  const field = trust.login_id_field ?? 'sub';
  const loginId = profile[field];
  if (typeof loginId !== 'string' || loginId === '') {
    throw invalidGrant(ctx, `the userinfo of ${claims.sub} has no "${field}" to use as the login id`);
  }
  return loginId;
}
