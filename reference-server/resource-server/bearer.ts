import type { Defects } from '../defects.ts';

/** What the `Authorization` header of a request carries. */
export type PresentedCredentials =
  | { kind: 'none' }
  | { kind: 'malformed'; reason: string }
  | { kind: 'bearer'; token: string };

/** RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * RFC 6750 §2.1, OAuth 2.1 §5.2: the token travels in the `Authorization` header only (the scheme name is
 * case-insensitive). A token in the query string or a form body is never read, so such a request has no credentials.
 */
export function presentedCredentials(request: Request, defects: Defects): PresentedCredentials {
  const header = request.headers.get('authorization');
  if (header === null || header.trim() === '') return queryToken(request, defects);
  const match = /^(\S+)(?: +(.*))?$/.exec(header.trim());
  const scheme = match?.[1] ?? '';
  const credentials = match?.[2]?.trim() ?? '';
  const isBearer = defects.has('bearer-scheme-case-sensitive')
    ? scheme === 'Bearer'
    : scheme.toLowerCase() === 'bearer';
  if (!isBearer) {
    return { kind: 'malformed', reason: `the Authorization header must use the Bearer scheme (got "${scheme}")` };
  }
  if (credentials === '') {
    if (defects.has('rs-bare-bearer-500')) throw new TypeError('Cannot read the token of a bare Bearer header');
    return { kind: 'malformed', reason: 'the Bearer scheme carries no token' };
  }
  if (!B64TOKEN.test(credentials)) {
    if (defects.has('rs-split-bearer-500')) throw new TypeError('Cannot split the Bearer credential');
    return { kind: 'malformed', reason: 'the Bearer token is not a single b64token (RFC 6750 §2.1)' };
  }
  return { kind: 'bearer', token: credentials };
}

/** OAuth 2.1 §5.2: no query-string tokens (they leak into logs and Referer); the planted bug reads `access_token`. */
function queryToken(request: Request, defects: Defects): PresentedCredentials {
  const token = new URL(request.url).searchParams.get('access_token');
  return defects.has('rs-accepts-query-token') && token ? { kind: 'bearer', token } : { kind: 'none' };
}
