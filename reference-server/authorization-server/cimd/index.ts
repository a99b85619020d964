/**
 * OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a `client_id` that is an https URL
 * names a JSON document the AS fetches (with SSRF defences) and uses as the client's registration.
 */
import type { Clock } from '../../../harness/clock.ts';
import type { Fetch } from '../../../harness/network/types.ts';
import type { Defects } from '../../defects.ts';
import type { ClientStore } from '../../store/index.ts';
import type { IssuerContext } from '../context.ts';

export interface CimdOptions {
  fetch: Fetch;
  clock: Clock;
  defects: Defects;
  /**
   * Hosts (`host` or `host:port`) a document may come from although they are loopback or private (test rigs only);
   * everything else on special-use addresses is refused.
   */
  allowHosts?: readonly string[];
}

/** CIMD §5: metadata announcing support. */
export function cimdMetadata(_ctx: IssuerContext): Record<string, unknown> {
  return {};
}

/** The client store, with URL-shaped client_ids resolved through their metadata documents. */
export function withClientIdMetadataDocuments(clients: ClientStore, _options: CimdOptions): ClientStore {
  return clients;
}
