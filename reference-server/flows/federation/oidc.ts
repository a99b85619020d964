/** Federation to an upstream OpenID provider (OIDC Core §3.1): authorization code + PKCE + nonce, ID token validated. */

import { compactVerify, createLocalJWKSet, decodeJwt, type JSONWebKeySet, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import { hasDefect } from '../defects.ts';
import type { FederatedIdentity, FederateOidcStep, FlowDeps, JsonValue, OidcConnection } from '../types.ts';
import { ClientVisibleFlowError, FlowError } from '../types.ts';
import { CLOCK_SKEW_MS } from './skew.ts';

const DEFAULT_SCOPE = 'openid email profile';
/** Claims about the token itself, not the person: they are not mapped into `federated.claims`. */
const PROTOCOL_CLAIMS = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'nonce',
  'auth_time',
  'azp',
  'at_hash',
]);
/** Upstream errors passed on to the client as they are (RFC 6749 §4.1.2.1); others become server_error. */
const CLIENT_ERRORS = new Set(['access_denied', 'temporarily_unavailable']);

type OidcDeps = Pick<FlowDeps, 'fetch' | 'defects' | 'now' | 'useOnce'>;

/** What a run keeps between the redirect to the upstream and its callback. */
export interface OidcPending {
  connection: OidcConnection;
  server: oauth.AuthorizationServer;
  state: string;
  codeVerifier?: string;
  nonce?: string;
}

function requestOptions(connection: OidcConnection, deps: OidcDeps) {
  const customFetch: typeof fetch = (input, init) => deps.fetch(input as string | URL | Request, init);
  return {
    [oauth.customFetch]: customFetch,
    // Plain http is allowed only for an upstream configured with an http issuer (local test deployments).
    [oauth.allowInsecureRequests]: new URL(connection.issuer).protocol === 'http:',
  };
}

function client(connection: OidcConnection): oauth.Client {
  return { client_id: connection.clientId };
}

/** OIDC Discovery §4: the upstream's metadata, whose `issuer` must equal the configured one. */
async function discover(connection: OidcConnection, deps: OidcDeps): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(connection.issuer);
  try {
    const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...requestOptions(connection, deps) });
    return await oauth.processDiscoveryResponse(issuer, response);
  } catch (error) {
    throw new FlowError(`upstream: discovery at ${connection.issuer} failed (${message(error)})`);
  }
}

/** OIDC Core §3.1.2.1, RFC 7636 §4.2: the authorization request, with `state` = the run's correlation. */
export async function beginOidc(step: FederateOidcStep, connection: OidcConnection, state: string, deps: OidcDeps) {
  const server = await discover(connection, deps);
  if (!server.authorization_endpoint) throw new FlowError(`upstream: ${server.issuer} has no authorization_endpoint`);
  const location = new URL(server.authorization_endpoint);
  const pending: OidcPending = { connection, server, state };
  location.searchParams.set('response_type', 'code');
  location.searchParams.set('client_id', connection.clientId);
  location.searchParams.set('redirect_uri', connection.redirectUri);
  location.searchParams.set('scope', step.scope ?? DEFAULT_SCOPE);
  location.searchParams.set('state', state);
  if (!hasDefect(deps, 'oidc-upstream-no-pkce')) {
    pending.codeVerifier = oauth.generateRandomCodeVerifier();
    location.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(pending.codeVerifier));
    location.searchParams.set('code_challenge_method', 'S256');
  }
  if (!hasDefect(deps, 'oidc-upstream-no-nonce')) {
    pending.nonce = oauth.generateRandomNonce();
    location.searchParams.set('nonce', pending.nonce);
  }
  return { location: location.href, pending };
}

/** OIDC Core §3.1.2.7 and §3.1.3: the callback, the code exchange, the ID token checks, then userinfo. */
export async function finishOidc(
  pending: OidcPending,
  query: URLSearchParams,
  deps: OidcDeps,
): Promise<FederatedIdentity> {
  checkState(pending, query, deps);
  passOnUpstreamError(query, deps);
  const tokens = await redeemCode(pending, query, deps);
  const claims = await validIdTokenClaims(pending, tokens.idToken, deps);
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '') throw new FlowError('upstream: the ID token has no sub');
  const profile = { ...personClaims(claims), ...(await userinfo(pending, tokens.accessToken, sub, deps)) };
  return {
    protocol: 'oidc',
    issuer: pending.server.issuer,
    subject: sub,
    claims: hasDefect(deps, 'oidc-claims-not-mapped') ? {} : profile,
    externalId: `oidc:${pending.server.issuer}|${sub}`,
  };
}

// RFC 6749 §10.12: the callback's state must be the one this run sent (CSRF on the redirect URI).
function checkState(pending: OidcPending, query: URLSearchParams, deps: OidcDeps): void {
  if (hasDefect(deps, 'oidc-state-unchecked') || query.get('state') === pending.state) return;
  throw new FlowError('upstream: the callback state does not belong to this sign-in');
}

// RFC 6749 §4.1.2.1: the upstream's error answer ends the sign-in; the client learns access_denied.
function passOnUpstreamError(query: URLSearchParams, deps: OidcDeps): void {
  const error = query.get('error');
  if (error === null) return;
  if (hasDefect(deps, 'oidc-upstream-error-ignored')) {
    throw new FlowError('upstream: the callback carried no authorization code');
  }
  const description = query.get('error_description');
  const reason = `upstream: ${error}${description ? ` ${description}` : ''}`;
  throw new ClientVisibleFlowError(reason, CLIENT_ERRORS.has(error) ? error : 'server_error');
}

interface UpstreamTokens {
  idToken: string;
  accessToken: string;
}

/** RFC 6749 §4.1.3 and §5.1, RFC 7636 §4.5: the code and its verifier for tokens, authenticated by client secret. */
async function redeemCode(pending: OidcPending, query: URLSearchParams, deps: OidcDeps): Promise<UpstreamTokens> {
  const { server, connection } = pending;
  let response: Response;
  try {
    // RFC 9207: validateAuthResponse checks the callback's `iss`; the state was checked above.
    const callback = oauth.validateAuthResponse(server, client(connection), query, oauth.skipStateCheck);
    response = await oauth.authorizationCodeGrantRequest(
      server,
      client(connection),
      oauth.ClientSecretBasic(connection.clientSecret),
      callback,
      connection.redirectUri,
      pending.codeVerifier ?? oauth.nopkce,
      requestOptions(connection, deps),
    );
  } catch (error) {
    throw new FlowError(`upstream: ${message(error)}`);
  }
  // The token response is read here, not by oauth4webapi, so that the ID token checks below are the deciding ones.
  if (response.status !== 200) throw new FlowError(`upstream: the token endpoint answered ${response.status}`);
  const body: unknown = await response.json().catch(() => undefined);
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (typeof fields.id_token !== 'string' || typeof fields.access_token !== 'string') {
    throw new FlowError('upstream: the token response lacks id_token or access_token');
  }
  return { idToken: fields.id_token, accessToken: fields.access_token };
}

/** OIDC Core §3.1.3.7: signature, iss, aud, exp and nonce, each its own check. */
async function validIdTokenClaims(pending: OidcPending, idToken: string, deps: OidcDeps): Promise<JWTPayload> {
  const claims = await signedClaims(pending, idToken, deps);
  const { server, connection } = pending;
  // §3.1.3.7 item 2: iss is the upstream's issuer identifier.
  if (!hasDefect(deps, 'oidc-id-token-issuer-unchecked') && claims.iss !== server.issuer) {
    throw new FlowError(`upstream: ID token iss ${JSON.stringify(claims.iss)} is not ${server.issuer}`);
  }
  // §3.1.3.7 item 3: aud contains our client ID.
  const audience = [claims.aud].flat();
  if (!hasDefect(deps, 'oidc-id-token-audience-unchecked') && !audience.includes(connection.clientId)) {
    throw new FlowError(`upstream: ID token aud ${JSON.stringify(claims.aud)} does not name ${connection.clientId}`);
  }
  // §3.1.3.7 item 9: the current time is before exp.
  const now = (deps.now ?? Date.now)();
  const expired = typeof claims.exp !== 'number' || claims.exp * 1000 + CLOCK_SKEW_MS <= now;
  if (!hasDefect(deps, 'oidc-id-token-expiry-unchecked') && expired) {
    throw new FlowError('upstream: the ID token has expired');
  }
  await checkNonce(pending, claims, deps);
  return claims;
}

/** §3.1.3.7 item 6: the signature by one of the upstream's published keys (JWKS fetched through deps.fetch). */
async function signedClaims(pending: OidcPending, idToken: string, deps: OidcDeps): Promise<JWTPayload> {
  try {
    if (hasDefect(deps, 'oidc-id-token-signature-unchecked')) return decodeJwt(idToken);
    const keys = createLocalJWKSet(await upstreamKeys(pending, deps));
    const algorithms = pending.server.id_token_signing_alg_values_supported ?? ['RS256'];
    await compactVerify(idToken, keys, { algorithms });
    return decodeJwt(idToken);
  } catch (error) {
    if (error instanceof FlowError) throw error;
    throw new FlowError(`upstream: the ID token signature does not verify (${message(error)})`);
  }
}

async function upstreamKeys(pending: OidcPending, deps: OidcDeps): Promise<JSONWebKeySet> {
  const uri = pending.server.jwks_uri;
  if (!uri) throw new FlowError(`upstream: ${pending.server.issuer} publishes no jwks_uri`);
  const response = await deps.fetch(uri, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new FlowError(`upstream: the JWKS answered ${response.status}`);
  return (await response.json()) as JSONWebKeySet;
}

/** §3.1.2.1 and §3.1.3.7 item 11: the nonce sent comes back, once; a token without one is refused. */
async function checkNonce(pending: OidcPending, claims: JWTPayload, deps: OidcDeps): Promise<void> {
  if (pending.nonce === undefined) return;
  const nonce = claims.nonce;
  if (nonce === undefined) {
    if (hasDefect(deps, 'oidc-missing-nonce-accepted')) return;
    throw new FlowError('upstream: the ID token carries no nonce');
  }
  if (hasDefect(deps, 'oidc-nonce-unchecked')) return;
  if (nonce !== pending.nonce) throw new FlowError('upstream: the ID token nonce is not the one this sign-in sent');
  const now = (deps.now ?? Date.now)();
  const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 + CLOCK_SKEW_MS : now + CLOCK_SKEW_MS;
  if (deps.useOnce && !(await deps.useOnce(`oidc-nonce:${nonce}`, expiresAt))) {
    throw new FlowError('upstream: the ID token nonce was already used (replay)');
  }
}

/** OIDC Core §5.3.2: userinfo claims about the same `sub` complete the ID token's. */
async function userinfo(
  pending: OidcPending,
  accessToken: string,
  sub: string,
  deps: OidcDeps,
): Promise<Record<string, JsonValue>> {
  const { server, connection } = pending;
  if (!server.userinfo_endpoint) return {};
  try {
    const options = requestOptions(connection, deps);
    const response = await oauth.userInfoRequest(server, client(connection), accessToken, options);
    return personClaims(await oauth.processUserInfoResponse(server, client(connection), sub, response));
  } catch (error) {
    throw new FlowError(`upstream: userinfo failed (${message(error)})`);
  }
}

function personClaims(claims: object): Record<string, JsonValue> {
  const person: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (!PROTOCOL_CLAIMS.has(name) && value !== undefined) person[name] = value as JsonValue;
  }
  return person;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
