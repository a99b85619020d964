import type { AddedRequirement } from '../../requirements.ts';

/** Client-side token lifecycle requirements the shared catalogue lacks, in its style. */
export const LIFECYCLE_REQUIREMENTS: Record<string, AddedRequirement> = {
  'CL-RT-USE': {
    keyword: 'SHOULD',
    text: 'When the MCP server rejects an expired access token and the client holds a refresh token of the same AS, obtain a new access token with the refresh token grant before sending the user through authorization again',
    source: 'OAuth 2.1 §1.3.2, §4.3; MCP authorization "Token Handling"',
  },
  'CL-RT-ROTATION': {
    keyword: 'MUST',
    text: 'After a refresh that returns a new refresh token, discard the old one: present only the newest refresh token, never one twice (a rotated token presented again revokes the grant)',
    source: 'OAuth 2.1 §4.3.1, §4.3.3; RFC 9700 §4.14.2; MCP authorization "Token Theft" (rotation for public clients)',
  },
  'CL-RT-OFFLINE-ACCESS-ADVERTISED': {
    keyword: 'MUST NOT (derived)',
    text: 'Request offline_access only when the authorization server metadata lists it in scopes_supported',
    source: 'MCP 2026-07-28 "Refresh Tokens" (SEP-2207); conformance check sep-2207-offline-access-not-requested',
  },
  'CL-TOKEN-REJECTED': {
    keyword: 'MUST',
    text: 'On 401 invalid_token to a request carrying an access token, stop using that token, obtain a new one (refresh, else a new authorization) a bounded number of times, then retry',
    source: 'RFC 6750 §3.1; MCP authorization "Error Handling" and "Token Requirements"',
  },
  'CL-TOKEN-REJECTED-DROP': {
    keyword: 'SHOULD',
    text: 'After 401 invalid_token, present that access token no more (requests in flight or queued meanwhile wait for the renewed token)',
    source:
      'RFC 6750 §3.1 (the token is invalid: presenting it again cannot succeed); MCP authorization "Error Handling"',
  },
};
