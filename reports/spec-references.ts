import type { SpecVersion } from '../harness/results.ts';

/** Where the text behind each requirement-ID prefix of the catalogue lives. */
const DOCUMENTS: Record<string, (spec: SpecVersion) => string> = {
  GEN: mcpAuthorization,
  RS: mcpAuthorization,
  CL: mcpAuthorization,
  AS: mcpAuthorization,
  RS03: () => 'https://modelcontextprotocol.io/specification/2025-03-26/basic/authorization',
  CL03: () => 'https://modelcontextprotocol.io/specification/2025-03-26/basic/authorization',
  CC: () => 'https://modelcontextprotocol.io/extensions/auth/oauth-client-credentials',
  EMA: () => 'https://modelcontextprotocol.io/extensions/auth/enterprise-managed-authorization',
  OA21: () => 'https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1-13',
  BCP: () => rfc(9700),
  CIMD: () => 'https://datatracker.ietf.org/doc/html/draft-ietf-oauth-client-id-metadata-document-00',
  CIBA: () => 'https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html',
  OIDCD: () => 'https://openid.net/specs/openid-connect-discovery-1_0.html',
  DPOP: () => rfc(9449),
};

function mcpAuthorization(spec: SpecVersion): string {
  return `https://modelcontextprotocol.io/specification/${spec}/basic/authorization`;
}

function rfc(number: number): string {
  return `https://www.rfc-editor.org/rfc/rfc${number}.html`;
}

/** The document a requirement ID (e.g. `R8414-ISSUER-MATCH`, `AS-PKCE-S256`) comes from, if known. */
export function requirementUrl(requirementId: string, spec: SpecVersion): string | undefined {
  const prefix = requirementId.split('-', 1)[0] ?? '';
  const rfcNumber = /^R(\d{4})$/.exec(prefix)?.[1];
  if (rfcNumber) return rfc(Number(rfcNumber));
  return DOCUMENTS[prefix]?.(spec);
}
