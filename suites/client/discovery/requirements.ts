import type { AddedRequirement } from '../../requirements.ts';

/** Client discovery requirements the shared catalogue lacks, in its style. */
export const DISCOVERY_REQUIREMENTS: Record<string, AddedRequirement> = {
  'CL03-FALLBACK-ONLY-WITHOUT-PRM': {
    keyword: 'MUST',
    text: 'Use the 2025-03-26 fallbacks (RFC 8414 metadata or /authorize, /token, /register at the MCP origin) only when the MCP server has no protected resource metadata; otherwise the AS comes from the PRM',
    source:
      'MCP 2025-06-18 and later "Authorization Server Discovery" (clients MUST use RFC 9728); 2025-03-26 "Server Metadata Discovery"',
  },
};
