import type { Defects } from '../defects.ts';

/**
 * RFC 3986 §6.2.2.1: the scheme and host of a URI are case-insensitive, so `HTTPS://MCP.Example/mcp` names the same
 * resource as `https://mcp.example/mcp`; the path stays case-sensitive and is compared exactly.
 */
export function canonicalResource(uri: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/s.exec(uri);
  if (!match) return uri;
  const [, scheme = '', authority = '', rest = ''] = match;
  return `${scheme.toLowerCase()}${authority.toLowerCase()}${rest}`;
}

/** Why a token's `aud` does not name this resource, or undefined when it does (RFC 9068 §4, RFC 8707 §2). */
export function audienceProblem(aud: unknown, allowed: string[], defects: Defects): string | undefined {
  if (defects.has('audience-unchecked')) return undefined;
  if (aud === undefined) {
    return defects.has('missing-aud-accepted') ? undefined : 'the token lacks the required aud claim (RFC 9068 §2.2)';
  }
  if (Array.isArray(aud) && defects.has('aud-array-rejected')) return 'the token aud must be a single string';
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.every((entry) => typeof entry === 'string')) return 'the token aud claim must be a string or strings';
  const canonical = (uri: string) => (defects.has('resource-case-sensitive') ? uri : canonicalResource(uri));
  const accepted = new Set(allowed.map(canonical));
  if (audiences.some((entry) => accepted.has(canonical(entry)))) return undefined;
  return 'the token was not issued for this resource (aud does not include it)';
}
