/** Deliberate defects of the Client ID Metadata Document fetcher (draft-ietf-oauth-client-id-metadata-document). */
export const CIMD_DEFECTS = {
  'cimd-client-id-mismatch-accepted': 'a document whose client_id differs from its URL is accepted',
} as const;
