/** Deliberate defects of the Client ID Metadata Document fetcher (draft-ietf-oauth-client-id-metadata-document). */
export const CIMD_DEFECTS = {
  'cimd-client-id-mismatch-accepted': 'a document whose client_id differs from its URL is accepted',
  'cimd-url-rules-unchecked':
    'client_id URLs with a fragment, userinfo, dot segments or no path are fetched and accepted',
  'cimd-redirects-followed': 'the document fetch follows HTTP redirects',
  'cimd-non-200-accepted': 'a document served with any status (404, 500, …) is accepted',
  'cimd-non-json-accepted': 'a document served with a non-JSON content type (text/html) is accepted',
  'cimd-size-unlimited': 'documents of any size are read and accepted (no 5 KB cap)',
  'cimd-no-fetch-timeout': 'the document fetch waits for as long as the host takes to answer',
  'cimd-private-address-fetched':
    'documents on loopback, private, link-local and other special-use addresses are fetched (SSRF)',
  'cimd-cache-ignores-no-store': 'documents sent with Cache-Control no-store / no-cache are cached anyway',
  'cimd-cache-forever': 'a fetched document is cached forever, whatever its max-age',
  'cimd-fetched-every-request': 'no caching at all: the document is fetched again on every request',
  'cimd-errors-cached': 'a failed fetch or invalid document is remembered and not retried for minutes',
  'cimd-metadata-flag-missing': 'AS metadata omits client_id_metadata_document_supported',
  'cimd-shared-secret-accepted': 'a document with client_secret_basic and a client_secret in it is accepted',
  'cimd-unlisted-redirect-uri-accepted': "an authorization request's redirect_uri need not be listed in the document",
} as const;
