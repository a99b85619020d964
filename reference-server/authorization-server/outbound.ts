/**
 * The authorization server's outbound HTTP: trusted issuers' metadata and key sets, userinfo endpoints, clients'
 * `jwks_uri`. Every call is bounded in time and size, so a slow or huge answer cannot stall the server.
 */
import type { JSONWebKeySet } from 'jose';
import type { Fetch } from '../../harness/network/types.ts';
import { readCappedBytes } from './http.ts';

export const OUTBOUND_TIMEOUT_MS = 5_000;
export const OUTBOUND_MAX_BYTES = 64 * 1024;

/** Why an outbound document could not be used; callers turn it into their endpoint's OAuth error. */
export class OutboundError extends Error {
  override name = 'OutboundError';
}

/** A JSON object answered 200 at `url` (no redirects followed), within the time and size bounds. */
export async function fetchJsonObject(
  fetch: Fetch,
  url: string,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json', ...headers },
      redirect: 'manual',
      signal: AbortSignal.timeout(OUTBOUND_TIMEOUT_MS),
    });
  } catch (thrown) {
    throw new OutboundError(`${url} could not be fetched (${thrown instanceof Error ? thrown.message : 'error'})`);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new OutboundError(`${url} answered HTTP ${response.status}`);
  }
  const bytes = await readCappedBytes(response.body, OUTBOUND_MAX_BYTES);
  if (bytes === undefined) throw new OutboundError(`${url} answered more than ${OUTBOUND_MAX_BYTES / 1024} KiB`);
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // Falls through to the refusal below.
  }
  throw new OutboundError(`${url} did not answer a JSON object`);
}

/** A JWK Set (RFC 7517 §5): a JSON object with a `keys` array. */
export async function fetchKeySet(fetch: Fetch, jwksUri: string): Promise<JSONWebKeySet> {
  const document = await fetchJsonObject(fetch, jwksUri);
  if (!Array.isArray(document.keys)) throw new OutboundError(`the key set at ${jwksUri} has no "keys" array`);
  return { keys: document.keys } as JSONWebKeySet;
}

/**
 * An issuer's `jwks_uri` from its metadata: OpenID Connect Discovery §4, then RFC 8414 §3.1 (suffix inserted before
 * the path). Only a document naming exactly this issuer counts (OIDC Discovery §4.3, RFC 8414 §3.3).
 */
export async function discoverJwksUri(fetch: Fetch, issuer: string): Promise<string> {
  const { origin, pathname } = new URL(issuer);
  const path = pathname.replace(/\/$/, '');
  const candidates = [
    `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
    `${origin}/.well-known/oauth-authorization-server${path}`,
  ];
  for (const url of candidates) {
    const metadata = await fetchJsonObject(fetch, url).catch(() => undefined);
    if (metadata?.issuer === issuer && typeof metadata.jwks_uri === 'string') return metadata.jwks_uri;
  }
  throw new OutboundError(`no OpenID or RFC 8414 metadata naming ${issuer} with a jwks_uri was found`);
}

const discoveredJwksUris = new WeakMap<object, Map<string, string>>();

/** `discoverJwksUri`, remembered per server (`owner`): key refetches after a rotation need only the key set. */
export async function rememberedJwksUri(owner: object, fetch: Fetch, issuer: string): Promise<string> {
  let known = discoveredJwksUris.get(owner);
  if (!known) {
    known = new Map();
    discoveredJwksUris.set(owner, known);
  }
  const remembered = known.get(issuer);
  if (remembered) return remembered;
  const jwksUri = await discoverJwksUri(fetch, issuer);
  known.set(issuer, jwksUri);
  return jwksUri;
}

interface CachedKeySet {
  keys: JSONWebKeySet;
  fetchedAt: number;
  /** When a refetch last failed to find the `kid` it was made for. */
  fruitlessAt?: number;
}

export interface KeySetLookup {
  /** Epoch milliseconds from the server's clock. */
  now: number;
  /** The `kid` the JWT names: an unknown one means the issuer may have rotated its keys. */
  kid: string | undefined;
  load(): Promise<JSONWebKeySet>;
  maxAgeMs: number;
  /** After a refetch that did not find the `kid`, no further refetch for this long (forged kids cannot hammer). */
  cooldownMs: number;
  /** A defect switch: once cached, keys are never fetched again. */
  neverRefetch?: boolean;
}

const keySetCaches = new WeakMap<object, Map<string, CachedKeySet>>();

/**
 * Remote keys cached per server (`owner`, e.g. its store) and `cacheKey`: reused while fresh, fetched again when old
 * or when the `kid` is unknown (key rotation), at most once per cooldown while such refetches find nothing.
 */
export async function cachedKeySet(owner: object, cacheKey: string, lookup: KeySetLookup): Promise<JSONWebKeySet> {
  let cache = keySetCaches.get(owner);
  if (!cache) {
    cache = new Map();
    keySetCaches.set(owner, cache);
  }
  const cached = cache.get(cacheKey);
  const hasKid = (keys: JSONWebKeySet) => lookup.kid === undefined || keys.keys.some((key) => key.kid === lookup.kid);
  if (cached && lookup.neverRefetch) return cached.keys;
  if (cached && lookup.now - cached.fetchedAt < lookup.maxAgeMs) {
    if (hasKid(cached.keys)) return cached.keys;
    if (cached.fruitlessAt !== undefined && lookup.now - cached.fruitlessAt < lookup.cooldownMs) return cached.keys;
  }
  const keys = await lookup.load();
  cache.set(cacheKey, { keys, fetchedAt: lookup.now, ...(hasKid(keys) ? {} : { fruitlessAt: lookup.now }) });
  return keys;
}
