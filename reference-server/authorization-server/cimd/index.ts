/**
 * OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a `client_id` that is an https URL
 * names a JSON document the AS fetches (with SSRF defences) and uses as the client's registration.
 *
 * Every client lookup goes through `withClientIdMetadataDocuments`, so authorize, token, introspection and revocation
 * all see the same answer: a valid, fresh document is a client; anything else (a bad URL, a refused address, a failed
 * fetch, a broken document) is an unknown client — /authorize shows its error page and /token answers invalid_client.
 * Clients seen through a document are kept in the wrapped store (`registeredBy: 'client-id-metadata-document'`) so the
 * Clients hub lists them; such a record is only handed out while its document is fresh in the cache.
 */
import { type Clock, epochSeconds } from '../../../harness/clock.ts';
import type { Fetch } from '../../../harness/network/types.ts';
import type { Defects } from '../../defects.ts';
import type { ClientRecord, ClientStore } from '../../store/index.ts';
import type { IssuerContext } from '../context.ts';
import { type HostPolicy, type HostResolver, resolveWithDns } from './address.ts';
import { type CacheBounds, cacheLifetimeSeconds, DEFAULT_CACHE_BOUNDS } from './cache-lifetime.ts';
import { clientIdUrlProblem, isDocumentClientId } from './client-id-url.ts';
import { CIMD_REGISTERED_BY, clientFromDocument, type DocumentClient, keySetFromJwksUri } from './document.ts';
import { DocumentRejected, type RetrievalRules, retrieveJson } from './fetch.ts';
import { fetchTrustingCa } from './https-with-ca.ts';

export type { HostResolver } from './address.ts';
export { isSpecialUseAddress, resolveWithDns } from './address.ts';
export type { CacheBounds } from './cache-lifetime.ts';
export { cacheLifetimeSeconds, DEFAULT_CACHE_BOUNDS } from './cache-lifetime.ts';
export { clientIdUrlProblem, isDocumentClientId } from './client-id-url.ts';
export { CIMD_REGISTERED_BY } from './document.ts';
export { fetchTrustingCa } from './https-with-ca.ts';

/** CIMD §6: the recommended maximum document size. */
export const CIMD_MAX_DOCUMENT_BYTES = 5 * 1024;
/** A key set at a document's jwks_uri may hold several keys (rotation), so it gets more room. */
export const CIMD_MAX_JWKS_BYTES = 64 * 1024;
export const CIMD_FETCH_TIMEOUT_MS = 5000;
/** Bounds the memory an attacker can make the server spend on failures of made-up URLs. */
const MAX_REMEMBERED_FAILURES = 1000;

export interface CimdOptions {
  fetch: Fetch;
  clock: Clock;
  defects: Defects;
  /**
   * Hosts (`host` or `host:port`) a document may come from although they are loopback or private (test rigs only);
   * everything else on special-use addresses is refused.
   */
  allowHosts?: readonly string[];
  /** Default: `resolveWithDns` (reserved `.test` / `.example` names are not looked up; see address.ts). */
  resolveHost?: HostResolver;
  /** PEM of an extra CA to trust: documents are then fetched with node:https instead of `fetch`. */
  ca?: string;
  maxBytes?: number;
  timeoutMs?: number;
  cache?: Partial<CacheBounds>;
}

/** The client store, plus why a URL-shaped client_id was last refused (for pages, logs and tests). */
export interface CimdClientStore extends ClientStore {
  lastFailure(clientId: string): string | undefined;
}

/** CIMD §5: an AS publishing RFC 8414 metadata includes this flag. */
export function cimdMetadata(ctx: IssuerContext): Record<string, unknown> {
  if (ctx.defects.has('cimd-metadata-flag-missing')) return {};
  return { client_id_metadata_document_supported: true };
}

/** Seed 004 (Clients hub): what administrators set on a client survives each refetch of its document. */
function administratorFields(stored: ClientRecord | undefined): Partial<ClientRecord> {
  if (!stored) return {};
  const { description, tags, skip_consent: skipConsent } = stored;
  return {
    ...(description !== undefined ? { description } : {}),
    ...(tags !== undefined ? { tags } : {}),
    ...(skipConsent !== undefined ? { skip_consent: skipConsent } : {}),
  };
}

function retrievalRules(options: CimdOptions, hosts: HostPolicy): RetrievalRules {
  const { defects } = options;
  return {
    fetch: options.ca ? fetchTrustingCa(options.ca) : options.fetch,
    hosts,
    maxBytes: options.maxBytes ?? CIMD_MAX_DOCUMENT_BYTES,
    timeoutMs: options.timeoutMs ?? CIMD_FETCH_TIMEOUT_MS,
    followRedirects: defects.has('cimd-redirects-followed'),
    anyStatus: defects.has('cimd-non-200-accepted'),
    anyContentType: defects.has('cimd-non-json-accepted'),
    unlimitedSize: defects.has('cimd-size-unlimited'),
    noTimeout: defects.has('cimd-no-fetch-timeout'),
  };
}

/** The client store, with URL-shaped client_ids resolved through their metadata documents. */
export function withClientIdMetadataDocuments(clients: ClientStore, options: CimdOptions): CimdClientStore {
  const { clock, defects } = options;
  const bounds: CacheBounds = { ...DEFAULT_CACHE_BOUNDS, ...options.cache };
  const rules = retrievalRules(options, {
    allowHosts: options.allowHosts ?? [],
    resolve: options.resolveHost ?? resolveWithDns,
    unchecked: defects.has('cimd-private-address-fetched'),
  });
  /** client_id → epoch ms until which its stored record may be used without fetching the document again. */
  const freshUntil = new Map<string, number>();
  const failures = new Map<string, { reason: string; at: number }>();
  const inFlight = new Map<string, Promise<ClientRecord | undefined>>();

  function rememberFailure(clientId: string, reason: string): void {
    failures.delete(clientId);
    failures.set(clientId, { reason, at: clock.now() });
    const oldest = failures.keys().next().value;
    if (failures.size > MAX_REMEMBERED_FAILURES && oldest !== undefined) failures.delete(oldest);
  }

  /** CIMD §6 (SSRF): a jwks_uri inside a document is fetched under the same rules as the document. */
  async function withKeys(client: DocumentClient): Promise<DocumentClient> {
    if (!client.jwks_uri) return client;
    const fetched = await retrieveJson(new URL(client.jwks_uri), { ...rules, maxBytes: CIMD_MAX_JWKS_BYTES });
    return { ...client, jwks: keySetFromJwksUri(fetched.body) };
  }

  /** CIMD §4.4: how long this document may be reused, within the server's bounds. */
  function lifetimeMs(cacheControl: string | null): number {
    if (defects.has('cimd-fetched-every-request')) return 0;
    if (defects.has('cimd-cache-forever')) return Number.POSITIVE_INFINITY;
    return cacheLifetimeSeconds(cacheControl, bounds, defects.has('cimd-cache-ignores-no-store')) * 1000;
  }

  // CIMD §4: fetch, validate, register; §4.3: a failure leaves the client unknown; §4.4: failures are never cached.
  async function resolveDocument(
    clientId: string,
    stored: ClientRecord | undefined,
  ): Promise<ClientRecord | undefined> {
    try {
      const urlProblem = clientIdUrlProblem(clientId);
      if (urlProblem && !defects.has('cimd-url-rules-unchecked')) throw new DocumentRejected(urlProblem);
      const fetched = await retrieveJson(new URL(clientId), rules);
      const client = await withKeys(
        clientFromDocument(clientId, fetched.body, {
          acceptMismatchedClientId: defects.has('cimd-client-id-mismatch-accepted'),
          acceptSharedSecret: defects.has('cimd-shared-secret-accepted'),
        }),
      );
      const record: ClientRecord = {
        ...client,
        client_id_issued_at: stored?.client_id_issued_at ?? epochSeconds(clock),
        ...administratorFields(stored),
      };
      await clients.save(record);
      failures.delete(clientId);
      const lifetime = lifetimeMs(fetched.cacheControl);
      if (lifetime > 0) freshUntil.set(clientId, clock.now() + lifetime);
      else freshUntil.delete(clientId);
      return record;
    } catch (thrown) {
      if (!(thrown instanceof DocumentRejected)) throw thrown;
      freshUntil.delete(clientId);
      rememberFailure(clientId, thrown.message);
      return undefined;
    }
  }

  /** The `cimd-errors-cached` defect: a failure is remembered for the default lifetime and not retried. */
  function cachedFailure(clientId: string): boolean {
    const failure = failures.get(clientId);
    if (!failure || !defects.has('cimd-errors-cached')) return false;
    return clock.now() < failure.at + bounds.defaultSeconds * 1000;
  }

  async function get(clientId: string): Promise<ClientRecord | undefined> {
    const stored = await clients.get(clientId);
    if (!isDocumentClientId(clientId)) return stored;
    // CIMD §6 (pre-registering document URLs): a client registered here under a URL is used as registered.
    if (stored && stored.registeredBy !== CIMD_REGISTERED_BY) return stored;
    if (stored && clock.now() < (freshUntil.get(clientId) ?? 0)) return stored;
    if (cachedFailure(clientId)) return undefined;
    const pending = inFlight.get(clientId);
    if (pending) return pending;
    const resolution = resolveDocument(clientId, stored).finally(() => inFlight.delete(clientId));
    inFlight.set(clientId, resolution);
    return resolution;
  }

  return {
    get,
    save: (client) => clients.save(client),
    async delete(clientId) {
      freshUntil.delete(clientId);
      failures.delete(clientId);
      return clients.delete(clientId);
    },
    list: () => clients.list(),
    lastFailure: (clientId) => failures.get(clientId)?.reason,
  };
}
