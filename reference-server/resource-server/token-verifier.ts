import {
  base64url,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyOptions,
  jwtVerify,
  type ProtectedHeaderParameters,
  UnsecuredJWT,
} from 'jose';
import type { Clock } from '../../harness/clock.ts';
import type { Fetch } from '../../harness/network/types.ts';
import type { Defect, Defects } from '../defects.ts';
import { audienceProblem } from './audience.ts';
import {
  type DiscoveredIssuer,
  type IssuerDirectory,
  IssuerDiscoveryError,
  type TrustedIssuer,
} from './issuer-directory.ts';
import { ACCEPTED_ALGORITHMS, verificationKey } from './token-keys.ts';

/** An access token that passed every check, reduced to what the MCP server needs. */
export interface VerifiedAccessToken {
  token: string;
  issuer: string;
  subject: string;
  clientId: string;
  scopes: string[];
  audience: string[];
  expiresAt?: number;
}

/** The token is unusable; the message becomes the challenge's `error_description`. */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

/** The token is not even a JWT. */
export class MalformedTokenError extends InvalidTokenError {
  override name = 'MalformedTokenError';
}

export interface IntrospectionCredentials {
  client_id: string;
  client_secret: string;
}

export interface TokenVerifierOptions {
  resource: string;
  issuers: IssuerDirectory;
  fetch: Fetch;
  clock: Clock;
  defects: Defects;
  /** RFC 7662 client credentials: opaque tokens are introspected, and JWTs checked still active (revocation). */
  introspection?: IntrospectionCredentials;
}

export type TokenVerifier = (token: string) => Promise<VerifiedAccessToken>;

/** RFC 9068 §2.2: claims every JWT access token carries (aud is checked separately, scheme and host case-blind). */
const REQUIRED_CLAIMS = ['iss', 'exp', 'sub', 'client_id', 'iat', 'jti'];

/**
 * Defects that make the server trust its own AS's tokens as decoded: such a server asks no one, since asking the
 * issuer would hide the planted gap. (The key-confusion defects are planted on tokens from other trusted issuers,
 * which are never introspected, so they leave this path alone.)
 */
const TRUSTS_TOKEN_AS_DECODED: readonly Defect[] = ['signature-unchecked', 'expiry-unchecked', 'revocation-unchecked'];

/**
 * RFC 9068 §4: a JWT access token is validated locally (issuer, signature, typ, times, audience, the issuer's own
 * rules), then optionally confirmed active at the issuer; any other token is validated by RFC 7662 introspection.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { defects, introspection } = options;
  const asksIssuer = introspection !== undefined && !TRUSTS_TOKEN_AS_DECODED.some((defect) => defects.has(defect));

  return async (token) => {
    const decoded = decodeUnverified(token);
    if (!decoded) {
      if (defects.has('rs-500-on-malformed-token')) throw new MalformedTokenError('the token is not a well-formed JWT');
      return verifyOpaque(token, options);
    }
    const { payload, issuer } = await verifyJwt(token, decoded.header, decoded.claims, options);
    const verified = toVerifiedToken(token, payload);
    checkIssuerRules(payload, issuer.rules, options);
    if (asksIssuer && issuer.discovered.introspectionEndpoint) {
      const active = await introspect(token, issuer.discovered, introspection, options.fetch);
      if (!active) throw new InvalidTokenError('the token is no longer active (revoked or expired at the issuer)');
    }
    return verified;
  };
}

interface DecodedJwt {
  header: ProtectedHeaderParameters;
  claims: JWTPayload;
}

function decodeUnverified(token: string): DecodedJwt | undefined {
  try {
    return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
  } catch {
    return undefined;
  }
}

/** The issuer a token was verified against: its published metadata and the rules this resource holds it to. */
interface VerifiedIssuer {
  discovered: DiscoveredIssuer;
  rules: TrustedIssuer;
}

/** RFC 9068 §4 steps 2–5, RFC 8725 §3.8: only a trusted `iss` is looked up, and its own keys verify the token. */
async function verifyJwt(
  token: string,
  header: ProtectedHeaderParameters,
  claims: JWTPayload,
  options: TokenVerifierOptions,
): Promise<{ payload: JWTPayload; issuer: VerifiedIssuer }> {
  const { issuers, defects } = options;
  if (issuers.isTrusted(claims.iss)) {
    const issuer = await trustedIssuer(issuers, claims.iss);
    return { payload: await verifyWithIssuer(token, header, claims, issuer, options, claims.iss), issuer };
  }
  if (!defects.has('issuer-unchecked')) {
    throw new InvalidTokenError('the token was issued by an issuer this resource does not trust');
  }
  // The planted bug: any trusted issuer's key that verifies the token is taken as proof, whatever `iss` says.
  let failure: unknown = new InvalidTokenError('no trusted issuer has a key that verifies the token');
  for (const name of issuers.issuers) {
    try {
      const issuer = await trustedIssuer(issuers, name);
      return { payload: await verifyWithIssuer(token, header, claims, issuer, options, undefined), issuer };
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}

async function trustedIssuer(issuers: IssuerDirectory, name: string): Promise<VerifiedIssuer> {
  const rules = issuers.rules(name) ?? { issuer: name };
  try {
    return { discovered: await issuers.lookup(name), rules };
  } catch (error) {
    throw new InvalidTokenError(describeFailure(error, ''));
  }
}

async function verifyWithIssuer(
  token: string,
  header: ProtectedHeaderParameters,
  claims: JWTPayload,
  issuer: VerifiedIssuer,
  options: TokenVerifierOptions,
  expectedIssuer: string | undefined,
): Promise<JWTPayload> {
  const { defects, clock, fetch } = options;
  try {
    const { key, algorithms } = await verificationKey(header, issuer.discovered, defects, fetch, clock);
    const verifyOptions: JWTVerifyOptions = {
      algorithms,
      ...(defects.has('typ-unchecked') ? {} : { typ: 'at+jwt' }),
      ...(expectedIssuer === undefined ? {} : { issuer: expectedIssuer }),
      currentDate: new Date(verificationTime(claims, clock, defects)),
      requiredClaims: defects.has('exp-optional') ? REQUIRED_CLAIMS.filter((c) => c !== 'exp') : REQUIRED_CLAIMS,
      ...(defects.has('crit-ignored') ? { crit: ignoredCriticalParameters(header) } : {}),
    };
    if (defects.has('signature-unchecked')) return decodeWithoutSignature(token, verifyOptions);
    try {
      return (await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], verifyOptions)).payload;
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey && defects.has('unknown-kid-unverified')) {
        return decodeWithoutSignature(token, verifyOptions);
      }
      throw error;
    }
  } catch (error) {
    // jose checks exp last, so an expired-token error means every other claim passed.
    if (error instanceof errors.JWTExpired) {
      if (defects.has('expiry-unchecked')) return error.payload;
      // Checked at a moved clock (the nbf defect), exp is checked again against the real one.
      const { exp } = error.payload;
      const movedClock = verificationTime(claims, clock, defects) !== clock.now();
      if (movedClock && typeof exp === 'number' && exp * 1000 > clock.now()) return error.payload;
    }
    throw new InvalidTokenError(describeFailure(error, token));
  }
}

/** RFC 7519 §4.1.5: nbf is checked against the clock; the planted bug moves "now" up to nbf, so nbf never fails. */
function verificationTime(claims: JWTPayload, clock: Clock, defects: Defects): number {
  const now = clock.now();
  return defects.has('nbf-unchecked') && typeof claims.nbf === 'number' ? Math.max(now, claims.nbf * 1000) : now;
}

/** The planted bug: every parameter the token marks critical is declared understood (and then ignored). */
function ignoredCriticalParameters(header: ProtectedHeaderParameters): Record<string, boolean> {
  const crit = Array.isArray(header.crit) ? header.crit : [];
  return Object.fromEntries(crit.map((name) => [name, false]));
}

/** The claims as jose would check them, with the signature ignored: the header is re-labelled `alg: none`. */
function decodeWithoutSignature(token: string, options: JWTVerifyOptions): JWTPayload {
  const [, payload] = token.split('.');
  const header = base64url.encode(JSON.stringify({ ...decodeProtectedHeader(token), alg: 'none' }));
  const { crit: _ignored, ...claimOptions } = options;
  return UnsecuredJWT.decode(`${header}.${payload}.`, claimOptions).payload;
}

/** RFC 9068 §4 step 3 (aud names this resource) and the per-issuer rules (claims such as `acr` it must carry). */
function checkIssuerRules(payload: JWTPayload, rules: TrustedIssuer, options: TokenVerifierOptions): void {
  const { defects, resource } = options;
  const ownAudience = defects.has('rs-audience-trailing-slash') ? `${resource}/` : resource;
  const audience = audienceProblem(payload.aud, rules.allowedAudiences ?? [ownAudience], defects);
  if (audience) throw new InvalidTokenError(audience);
  if (defects.has('required-claim-unchecked')) return;
  for (const [claim, expected] of Object.entries(rules.requiredClaims ?? {})) {
    const accepted = Array.isArray(expected) ? expected : [expected];
    const value = payload[claim];
    if (typeof value !== 'string' || !accepted.includes(value)) {
      throw new InvalidTokenError(
        `tokens from ${rules.issuer} must carry ${claim}=${accepted.join(' or ')} (got ${value === undefined ? 'none' : JSON.stringify(value)})`,
      );
    }
  }
}

function toVerifiedToken(token: string, payload: JWTPayload): VerifiedAccessToken {
  const { iss, sub, aud, exp, client_id: clientId, scope } = payload;
  if (typeof sub !== 'string' || typeof clientId !== 'string' || typeof iss !== 'string') {
    throw new InvalidTokenError('the token claims iss, sub and client_id must be strings');
  }
  if (exp !== undefined && typeof exp !== 'number') throw new InvalidTokenError('the token exp claim must be a number');
  if (scope !== undefined && typeof scope !== 'string') {
    throw new InvalidTokenError('the token scope claim must be a space-separated string');
  }
  return {
    token,
    issuer: iss,
    subject: sub,
    clientId,
    scopes: scope ? scope.split(' ').filter(Boolean) : [],
    audience: aud === undefined ? [] : Array.isArray(aud) ? aud : [aud],
    ...(exp === undefined ? {} : { expiresAt: exp }),
  };
}

/**
 * RFC 7662 §2: a token that is not a JWT is opaque to this resource; the issuers that offer introspection are asked in
 * turn, and the first to call it active vouches for it. Its answer is held to the same rules as a JWT's claims.
 */
async function verifyOpaque(token: string, options: TokenVerifierOptions): Promise<VerifiedAccessToken> {
  const { issuers, introspection, clock, defects } = options;
  const unknown = new InvalidTokenError('the token is not a JWT, and no trusted issuer reports it active');
  if (!introspection) throw unknown;
  for (const name of issuers.issuers) {
    const discovered = await issuers.lookup(name).catch(() => undefined);
    if (!discovered?.introspectionEndpoint) continue;
    const answer = await introspect(token, discovered, introspection, options.fetch);
    if (!answer) continue;
    const claims: JWTPayload = { iss: name, ...answer };
    if (claims.iss !== name) throw new InvalidTokenError(`the introspection answer of ${name} names another issuer`);
    if (typeof claims.exp === 'number' && claims.exp * 1000 <= clock.now() && !defects.has('expiry-unchecked')) {
      throw new InvalidTokenError('the token has expired');
    }
    checkIssuerRules(claims, issuers.rules(name) ?? { issuer: name }, options);
    return toVerifiedToken(token, claims);
  }
  throw unknown;
}

/** RFC 7662 §2: the issuer's answer for an active token, or undefined when inactive; the resource authenticates. */
async function introspect(
  token: string,
  issuer: DiscoveredIssuer,
  credentials: IntrospectionCredentials,
  fetch: Fetch,
): Promise<JWTPayload | undefined> {
  let answer: Record<string, unknown>;
  try {
    const response = await fetch(issuer.introspectionEndpoint ?? '', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
        Authorization: basicAuthorization(credentials),
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    if (!response.ok) throw new Error(`introspection answered ${response.status}`);
    answer = (await response.json()) as Record<string, unknown>;
  } catch (error) {
    throw new InvalidTokenError(`the token could not be confirmed active: ${describe(error)}`);
  }
  return answer.active === true ? (answer as JWTPayload) : undefined;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded. */
export function basicAuthorization({ client_id, client_secret }: IntrospectionCredentials): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${btoa(`${encode(client_id)}:${encode(client_secret)}`)}`;
}

function describeFailure(error: unknown, token: string): string {
  if (error instanceof InvalidTokenError) return error.message;
  if (error instanceof IssuerDiscoveryError) return `the issuer's signing keys could not be obtained: ${error.message}`;
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return describeClaimFailure(error);
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return `tokens signed with alg ${headerAlg(token)} are not accepted (${ACCEPTED_ALGORITHMS.join(', ')} only)`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return "the signature does not verify with the issuer's keys";
  if (error instanceof errors.JWKSNoMatchingKey) return "no key in the issuer's JWKS matches the token";
  if (error instanceof errors.JOSENotSupported)
    return `the token uses a feature this resource does not support: ${error.message}`;
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid)
    return 'the token is not a well-formed JWT';
  return `the token could not be validated: ${describe(error)}`;
}

function describeClaimFailure(error: InstanceType<typeof errors.JWTClaimValidationFailed>): string {
  if (error.reason === 'missing') return `the token lacks the required ${error.claim} claim (RFC 9068 §2.2)`;
  switch (error.claim) {
    case 'typ':
      return 'the token is not a JWT access token: header typ must be at+jwt (RFC 9068 §4)';
    case 'iss':
      return 'the token was issued by an issuer this resource does not trust';
    case 'nbf':
      return 'the token is not valid yet (nbf)';
    default:
      return `the token ${error.claim} claim is invalid`;
  }
}

function headerAlg(token: string): string {
  try {
    return String(decodeProtectedHeader(token).alg);
  } catch {
    return 'unknown';
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
