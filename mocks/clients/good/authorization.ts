import * as oauth from 'oauth4webapi';
import { JourneyError } from '../client-kit.ts';
import type { ClientIdentity } from './identity.ts';
import type { ClientJourney } from './journey.ts';
import { resourceIndicatorOf } from './journey.ts';

const MAX_AUTHORIZE_HOPS = 10;

interface AuthorizationCallback {
  parameters: URLSearchParams;
  codeVerifier: string;
}

/**
 * OAuth 2.1 §4.1, RFC 7636, RFC 8707, RFC 9207: authorize with PKCE S256, a random state and the resource (the user
 * agent is played by following redirects to the redirect URI); the response must carry the same state and, where the
 * AS advertises it, its own `iss`; then redeem the code with its verifier and the same resource.
 */
export async function authorizeWithCode(
  journey: ClientJourney,
  as: oauth.AuthorizationServer,
  identity: ClientIdentity,
  scope: string | undefined,
): Promise<oauth.TokenEndpointResponse> {
  const callback = await authorize(journey, as, identity.client, scope);
  journey.step('authorization response: state and iss validated');
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    identity.client,
    identity.authentication,
    callback.parameters,
    journey.redirectUri,
    callback.codeVerifier,
    { ...journey.http, additionalParameters: { resource: resourceIndicatorOf(journey) } },
  );
  const tokens = await oauth.processAuthorizationCodeResponse(as, identity.client, response);
  journey.step('token response: access token received');
  return tokens;
}

async function authorize(
  journey: ClientJourney,
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  scope: string | undefined,
): Promise<AuthorizationCallback> {
  if (!as.authorization_endpoint) throw new JourneyError('the AS metadata has no authorization_endpoint');
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: journey.redirectUri,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    resource: resourceIndicatorOf(journey),
    ...(scope ? { scope } : {}),
  }).toString();
  const callbackUrl = await followToRedirectUri(journey, url);
  return { parameters: oauth.validateAuthResponse(as, client, callbackUrl, state), codeVerifier };
}

async function followToRedirectUri(journey: ClientJourney, start: URL): Promise<URL> {
  const expected = new URL(journey.redirectUri);
  let next = start;
  for (let hop = 0; hop < MAX_AUTHORIZE_HOPS; hop++) {
    const response = await journey.fetch(next, { redirect: 'manual' });
    await response.arrayBuffer();
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) {
      throw new JourneyError(
        `the authorization endpoint answered ${response.status} without redirecting (login needed?)`,
      );
    }
    const target = new URL(location, next);
    if (target.origin === expected.origin && target.pathname === expected.pathname) return target;
    next = target;
  }
  throw new JourneyError(
    `the authorization did not reach ${journey.redirectUri} within ${MAX_AUTHORIZE_HOPS} redirects`,
  );
}

/**
 * OAuth 2.1 §4.3, RFC 8707 §2.2: a new access token for the same MCP server from the refresh token, without the user;
 * the token response may rotate the refresh token (§4.3.3: the old one is then discarded by the caller).
 */
export async function refreshAccessToken(
  journey: ClientJourney,
  as: oauth.AuthorizationServer,
  identity: ClientIdentity,
  refreshToken: string,
): Promise<oauth.TokenEndpointResponse> {
  const response = await oauth.refreshTokenGrantRequest(as, identity.client, identity.authentication, refreshToken, {
    ...journey.http,
    additionalParameters: { resource: resourceIndicatorOf(journey) },
  });
  const tokens = await oauth.processRefreshTokenResponse(as, identity.client, response);
  journey.step(`refresh token grant: new access token${tokens.refresh_token ? ' and rotated refresh token' : ''}`);
  return tokens;
}
