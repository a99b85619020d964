import type { AddedRequirement } from '../../requirements.ts';

/** Client identity requirements the shared catalogue lacks, in its style. */
export const IDENTITY_REQUIREMENTS: Record<string, AddedRequirement> = {
  'CL-DCR-RETRY-BOUNDED': {
    keyword: 'SHOULD',
    text: 'After a refused dynamic registration, retry at most a small number of times (with adjusted metadata), then stop with the error instead of repeating the request',
    source: 'RFC 7591 §3.2.2; MCP 2026-07-28 Client Registration (Application Type and Redirect URI Constraints)',
  },
  'CL-TOKEN-NO-FOREIGN-ORIGIN': {
    keyword: 'MUST NOT',
    text: 'Send an access token or client credentials to any origin other than the MCP server it was issued for and its authorization server, e.g. by re-attaching Authorization after a cross-origin redirect',
    source:
      'RFC 6750 §5.3, RFC 9700 §4.9, MCP Token Handling; Fetch §4.4 (Authorization dropped on cross-origin redirects)',
  },
};
