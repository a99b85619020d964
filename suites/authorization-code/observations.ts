import { BlockedError } from '../../harness/check.ts';
import type { Authorization, AuthorizeOptions, OAuthClientSide } from '../../harness/oauth.ts';
import { summarizeAuthorization } from '../../harness/oauth.ts';

/** A response_type no authorization server supports: OAuth 2.1 §4.1.2.1 makes every AS redirect it back as an error. */
export const UNSUPPORTED_RESPONSE_TYPE = 'conformance_unsupported';

/** Where a harness-chosen stranger would like the user agent (and the code) to go. */
export const ATTACKER_REDIRECT_URI = 'https://attacker.example/callback';

/** Parameters an authorization response adds to the redirect URI (OAuth 2.1 §4.1.2, RFC 9207 §2, RFC 6749 §4.2.2). */
const RESPONSE_PARAMETERS = [
  'code',
  'state',
  'iss',
  'error',
  'error_description',
  'error_uri',
  'access_token',
  'token_type',
  'expires_in',
  'scope',
];

/** A correct authorization request that must end in a code; anything else blocks the calling check. */
export async function successfulAuthorization(
  oauth: OAuthClientSide,
  options: AuthorizeOptions = {},
): Promise<Authorization> {
  const authorization = await oauth.authorize(options);
  if (!authorization.code) {
    throw new BlockedError('authorization request', `no code issued (${summarizeAuthorization(authorization)})`);
  }
  return authorization;
}

/** An authorization request with an unsupported response_type: a valid client and redirect URI, so an error redirect. */
export function unsupportedResponseType(oauth: OAuthClientSide): Promise<Authorization> {
  return oauth.authorize({ responseType: UNSUPPORTED_RESPONSE_TYPE });
}

/** The error redirect of `unsupportedResponseType`, or a block when the AS answered some other way. */
export async function errorRedirect(oauth: OAuthClientSide): Promise<Authorization> {
  const authorization = await unsupportedResponseType(oauth);
  if (authorization.response.kind !== 'redirect' || !authorization.error) {
    throw new BlockedError(
      'error redirect',
      `response_type=${UNSUPPORTED_RESPONSE_TYPE} was expected to come back as an error redirect, but ` +
        summarizeAuthorization(authorization),
    );
  }
  return authorization;
}

/** The `iss` of an authorization response, or undefined when it carries none (or did not redirect). */
export function issParameter(authorization: Authorization): string | undefined {
  return authorization.params?.get('iss') ?? undefined;
}

/** Every parameter of a redirect, from the query and from the fragment (an implicit response uses the fragment). */
export function redirectParameters(authorization: Authorization): URLSearchParams {
  const merged = new URLSearchParams();
  if (authorization.response.kind !== 'redirect') return merged;
  const { url } = authorization.response;
  for (const [name, value] of url.searchParams) merged.append(name, value);
  for (const [name, value] of new URLSearchParams(url.hash.replace(/^#/, ''))) merged.append(name, value);
  return merged;
}

/** True when the AS sent the user agent to exactly `uri` (ignoring the response parameters it appended). */
export function redirectedTo(authorization: Authorization, uri: string): boolean {
  if (authorization.response.kind !== 'redirect') return false;
  const reached = new URL(authorization.response.url);
  reached.hash = '';
  for (const name of RESPONSE_PARAMETERS) reached.searchParams.delete(name);
  const expected = new URL(uri);
  return reached.origin === expected.origin && reached.pathname === expected.pathname && sameQuery(reached, expected);
}

function sameQuery(a: URL, b: URL): boolean {
  const sorted = (url: URL) => [...url.searchParams].map(([name, value]) => `${name}=${value}`).sort();
  return sorted(a).join('&') === sorted(b).join('&');
}

/** A URI on the same origin as `uri` with a different last path segment. */
export function siblingPath(uri: string): string {
  const url = new URL(uri);
  url.pathname = url.pathname.replace(/[^/]*$/, 'conformance-other');
  return url.href;
}

/** `uri` with one more path segment (a prefix match would accept it). */
export function extraPathSegment(uri: string): string {
  const url = new URL(uri);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/conformance-extra`;
  return url.href;
}

/** `uri` with one more query parameter (a prefix match would accept it). */
export function extraQueryParameter(uri: string): string {
  const url = new URL(uri);
  url.searchParams.append('conformance', 'extra');
  return url.href;
}
