/**
 * CIMD §3: a client identifier URL has the https scheme and a path; it has no single-dot or double-dot path segments,
 * no fragment and no username or password. It should not have a query (accepted here) and may have a port.
 */

/** Only identifiers starting like this are metadata document URLs (CIMD §6: generated ids never start so). */
export const CIMD_PREFIX = 'https://';

/** True when the client_id names a metadata document rather than a client registered here. */
export function isDocumentClientId(clientId: string): boolean {
  return clientId.startsWith(CIMD_PREFIX);
}

const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/** Why this client_id is not a valid CIMD client identifier URL, or undefined when it is. Checks the raw string. */
export function clientIdUrlProblem(clientId: string): string | undefined {
  if (!isDocumentClientId(clientId) || !URL.canParse(clientId)) return 'the client_id is not an https URL';
  if (clientId.includes('#')) return 'the client_id URL has a fragment';
  const rest = clientId.slice(CIMD_PREFIX.length);
  const authorityEnd = rest.search(/[/?]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  if (authority.includes('@')) return 'the client_id URL has a username or password';
  const path = authorityEnd < 0 ? '' : (rest.slice(authorityEnd).split('?')[0] ?? '');
  if (path === '' || path === '/') return 'the client_id URL has no path (e.g. https://app.example/client.json)';
  if (path.split('/').some((segment) => DOT_SEGMENT.test(segment))) {
    return 'the client_id URL has a "." or ".." path segment';
  }
  return undefined;
}
