import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { FetchHandler } from '../network/types.ts';
import { CANARY_KINDS, type CimdDocumentKind, claimedClientId, clientMetadata, documentResponse } from './documents.ts';

/** One request that reached the document host or a canary. */
export interface FetchRecord {
  method: string;
  url: string;
  /** ISO time the request arrived. */
  at: string;
  /** The status the harness answered. */
  status: number;
}

/** One hosted document, fresh per use so an AS's cache of one check never answers another. */
export interface HostedDocument {
  kind: CimdDocumentKind;
  /** The document URL. */
  url: string;
  /** The client_id to send: `url`, except where the document claims another shape of it. */
  clientId: string;
  /** The redirect URI to request with (the target's; `unlisted-redirect-uri` does not list it). */
  redirectUri: string;
  /** What the document lists in `redirect_uris`. */
  listedRedirectUris: readonly string[];
  /** URLs a conforming AS never requests for this document: redirect targets and special-use addresses. */
  forbiddenUrls: readonly string[];
  /** False when a forbidden URL is out of the harness's sight (a canary address on an external target). */
  forbiddenObservable: boolean;
  /** The private key of a `private-key-jwt` document. */
  privateJwk?: JWK;
  /** Requests for `url` so far. */
  fetches(): FetchRecord[];
  /** Requests for any of `forbiddenUrls` so far. */
  forbiddenFetches(): FetchRecord[];
}

export interface CimdHostOptions {
  /** Where documents are served, e.g. `https://cimd.conformance.test` or `https://127.0.0.1:7800`. */
  origin: string;
  /** The redirect URI good documents list (the target's). */
  redirectUri: string;
  /** Origins on special-use IP addresses; requests reaching them are recorded, never answered usefully. */
  canaries?: Partial<CanaryOrigins>;
  /** True when the canary origins are mounted where the harness sees requests (in memory). */
  observesCanaries: boolean;
  /** The test CA certificate the target trusts for `origin` (served over https on loopback). */
  caFile?: string;
  now?: () => number;
}

export interface CanaryOrigins {
  /** RFC 1918 private address. */
  private: string;
  /** RFC 3927 link-local (the cloud metadata address). */
  linkLocal: string;
}

export const DEFAULT_CANARY_ORIGINS: CanaryOrigins = {
  private: 'https://10.0.0.7',
  linkLocal: 'https://169.254.169.254',
};

/** The harness's Client ID Metadata Document host: documents, redirects, canaries, and a record of every request. */
export interface CimdHost {
  origin: string;
  canaryOrigins: CanaryOrigins;
  observesCanaries: boolean;
  /** The test CA certificate the target must trust, when the host is served over https on loopback. */
  caFile?: string;
  /** Serves `origin`. */
  handler: FetchHandler;
  /** Serves every canary origin (mount it at each of `canaryOrigins`). */
  canaryHandler: FetchHandler;
  /** A fresh document of `kind` at its own URL. */
  document(kind: CimdDocumentKind): Promise<HostedDocument>;
  /** Every request that reached the host or a canary, in arrival order. */
  requests(): FetchRecord[];
}

interface Entry {
  kind: CimdDocumentKind;
  url: string;
  publicJwk?: JWK;
}

const DOCUMENT_PATH = /^\/clients\/([a-z0-9-]+)\/([A-Za-z0-9-]+)$/;
const MOVED_PATH = /^\/moved\/([A-Za-z0-9-]+)$/;

export function createCimdHost(options: CimdHostOptions): CimdHost {
  const origin = new URL(options.origin).origin;
  const canaryOrigins = { ...DEFAULT_CANARY_ORIGINS, ...options.canaries };
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const records: FetchRecord[] = [];

  const record = (request: Request, response: Response): Response => {
    records.push({
      method: request.method,
      url: request.url,
      at: new Date(now()).toISOString(),
      status: response.status,
    });
    return response;
  };
  const recordsFor = (urls: readonly string[]) => records.filter((entry) => urls.includes(entry.url));

  /** Where the 302 of a `redirect*` document points. */
  const movedUrl = (entry: Entry, id: string) =>
    `${entry.kind === 'redirect-to-private' ? canaryOrigins.private : origin}/moved/${id}`;

  const answer = (request: Request, served: string): Response => {
    const url = new URL(request.url);
    if (request.method !== 'GET') return new Response('documents are fetched with GET', { status: 405 });
    const asDocument = DOCUMENT_PATH.exec(url.pathname);
    const asMoved = MOVED_PATH.exec(url.pathname);
    const id = asDocument?.[2] ?? asMoved?.[1];
    const entry = id ? entries.get(id) : undefined;
    if (!entry || !id) return notFound();
    if (asMoved) {
      // The document a redirect points to claims the original URL, so only the redirect itself can make it fail.
      return documentResponse({ kind: 'public', url: entry.url, redirectUri: options.redirectUri });
    }
    if (new URL(entry.url).origin !== served || asDocument?.[1] !== entry.kind) return notFound();
    if (entry.kind === 'redirect' || entry.kind === 'redirect-to-private') {
      return new Response(null, { status: 302, headers: { location: movedUrl(entry, id) } });
    }
    return documentResponse({
      kind: entry.kind,
      url: entry.url,
      redirectUri: options.redirectUri,
      ...(entry.publicJwk ? { publicJwk: entry.publicJwk } : {}),
    });
  };

  return {
    origin,
    canaryOrigins,
    observesCanaries: options.observesCanaries,
    ...(options.caFile ? { caFile: options.caFile } : {}),
    handler: async (request) => record(request, answer(request, origin)),
    canaryHandler: async (request) => record(request, answer(request, new URL(request.url).origin)),
    async document(kind) {
      const id = crypto.randomUUID();
      const canary = kind in CANARY_KINDS ? canaryOrigins[CANARY_KINDS[kind as keyof typeof CANARY_KINDS]] : undefined;
      const url = `${canary ?? origin}/clients/${kind}/${id}`;
      const keys = kind === 'private-key-jwt' ? await keyPair() : undefined;
      const entry: Entry = { kind, url, ...(keys ? { publicJwk: keys.publicJwk } : {}) };
      entries.set(id, entry);
      const forbiddenUrls = [
        ...(canary ? [url] : []),
        ...(kind === 'redirect' || kind === 'redirect-to-private' ? [movedUrl(entry, id)] : []),
      ];
      const onCanary = canary !== undefined || kind === 'redirect-to-private';
      const listed = clientMetadata({ kind, url, redirectUri: options.redirectUri }).redirect_uris;
      return {
        kind,
        url,
        clientId: claimedClientId(kind, url),
        redirectUri: options.redirectUri,
        listedRedirectUris: Array.isArray(listed) ? listed.map(String) : [],
        forbiddenUrls,
        forbiddenObservable: !onCanary || options.observesCanaries,
        ...(keys ? { privateJwk: keys.privateJwk } : {}),
        fetches: () => recordsFor([url]),
        forbiddenFetches: () => recordsFor(forbiddenUrls),
      };
    },
    requests: () => [...records],
  };
}

function notFound(): Response {
  return new Response(JSON.stringify({ error: 'not_found' }), {
    status: 404,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

async function keyPair(): Promise<{ publicJwk: JWK; privateJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = crypto.randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256' };
  return { publicJwk, privateJwk };
}
