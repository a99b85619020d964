import {
  base64url,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyOptions,
  jwtVerify,
  UnsecuredJWT,
} from 'jose';
import type { Clock } from '../../harness/clock.ts';
import type { Fetch } from '../../harness/network/types.ts';
import type { Defects } from '../defects.ts';
import { type IssuerDirectory, IssuerDiscoveryError, type TrustedIssuer } from './issuer-directory.ts';

/** An access token that passed every check, reduced to what the MCP server needs. */
export interface VerifiedAccessToken {
  token: string;
  issuer: string;
  subject: string;
  clientId: string;
  scopes: string[];
  audience: string[];
  expiresAt: number;
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
  introspection?: IntrospectionCredentials;
}

export type TokenVerifier = (token: string) => Promise<VerifiedAccessToken>;

/** RFC 9068 §4, RFC 8725 §3.1: asymmetric algorithms only; never `none`, never a shared-secret HMAC. */
const ACCEPTED_ALGORITHMS = ['ES256', 'RS256', 'PS256'];
/** RFC 9068 §2.2: claims every JWT access token carries. */
const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];

/** RFC 9068 §4: validates a JWT access token, then (optionally) asks the issuer whether it is still active. */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { resource, issuers, clock, defects, introspection } = options;
  const expectedAudience = defects.has('rs-audience-trailing-slash') ? `${resource}/` : resource;

  return async (token) => {
    const issuer = unverifiedIssuer(token);
    if (!issuers.isTrusted(issuer))
      throw new InvalidTokenError('the token was issued by an issuer this resource does not trust');
    const verifyOptions: JWTVerifyOptions = {
      algorithms: ACCEPTED_ALGORITHMS,
      typ: 'at+jwt',
      issuer,
      audience: defects.has('audience-unchecked') ? undefined : expectedAudience,
      currentDate: new Date(clock.now()),
      requiredClaims: REQUIRED_CLAIMS,
    };
    const payload = await verifyJwt(token, verifyOptions, () => issuers.lookup(issuer), defects);
    const verified = toVerifiedToken(token, payload);
    // A resource server that skips signature or expiry checks trusts the token as decoded and asks no one; asking the
    // issuer would hide the planted gap.
    const trustsTokenAsDecoded = defects.has('signature-unchecked') || defects.has('expiry-unchecked');
    if (introspection && !trustsTokenAsDecoded) {
      await assertStillActive(token, await lookup(issuers, issuer), introspection, options.fetch);
    }
    return verified;
  };
}

async function verifyJwt(
  token: string,
  options: JWTVerifyOptions,
  trustedIssuer: () => Promise<TrustedIssuer>,
  defects: Defects,
): Promise<JWTPayload> {
  try {
    if (defects.has('signature-unchecked')) return decodeWithoutSignature(token, options);
    const { keys } = await trustedIssuer();
    return (await jwtVerify(token, keys, options)).payload;
  } catch (error) {
    // jose checks exp last, so an expired-token error means every other claim passed.
    if (defects.has('expiry-unchecked') && error instanceof errors.JWTExpired) return error.payload;
    throw new InvalidTokenError(describeFailure(error, token));
  }
}

/** The claims as jose would check them, with the signature ignored: the header is re-labelled `alg: none`. */
function decodeWithoutSignature(token: string, options: JWTVerifyOptions): JWTPayload {
  const [, payload] = token.split('.');
  const header = base64url.encode(JSON.stringify({ ...decodeProtectedHeader(token), alg: 'none' }));
  return UnsecuredJWT.decode(`${header}.${payload}.`, options).payload;
}

function unverifiedIssuer(token: string): unknown {
  try {
    decodeProtectedHeader(token);
    return decodeJwt(token).iss;
  } catch {
    throw new MalformedTokenError('the token is not a well-formed JWT');
  }
}

function toVerifiedToken(token: string, payload: JWTPayload): VerifiedAccessToken {
  const { iss, sub, aud, exp, client_id: clientId, scope } = payload;
  if (typeof sub !== 'string' || typeof clientId !== 'string' || typeof iss !== 'string' || typeof exp !== 'number') {
    throw new InvalidTokenError('the token claims iss, sub, client_id and exp must be strings and a number');
  }
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
    expiresAt: exp,
  };
}

/** RFC 7662 §2: the issuer confirms the token is still active (not revoked), authenticating the resource server. */
async function assertStillActive(
  token: string,
  issuer: TrustedIssuer,
  credentials: IntrospectionCredentials,
  fetch: Fetch,
): Promise<void> {
  if (!issuer.introspectionEndpoint) {
    throw new InvalidTokenError('the issuer offers no introspection endpoint, so the token cannot be confirmed active');
  }
  let active: unknown;
  try {
    const response = await fetch(issuer.introspectionEndpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
        Authorization: basicAuthorization(credentials),
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    if (!response.ok) throw new Error(`introspection answered ${response.status}`);
    active = ((await response.json()) as { active?: unknown }).active;
  } catch (error) {
    throw new InvalidTokenError(`the token could not be confirmed active: ${describe(error)}`);
  }
  if (active !== true) throw new InvalidTokenError('the token is no longer active (revoked or expired at the issuer)');
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded. */
function basicAuthorization({ client_id, client_secret }: IntrospectionCredentials): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${btoa(`${encode(client_id)}:${encode(client_secret)}`)}`;
}

async function lookup(issuers: IssuerDirectory, issuer: string): Promise<TrustedIssuer> {
  try {
    return await issuers.lookup(issuer);
  } catch (error) {
    throw new InvalidTokenError(describeFailure(error, ''));
  }
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
    case 'aud':
      return 'the token was not issued for this resource (aud does not include it)';
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
