/**
 * CIMD §4.4: the server may cache a document, honouring HTTP caching (RFC 9111) within its own bounds. A stored
 * response is reused only while fresh (RFC 9111 §4.2); `no-store` forbids storing and `no-cache` reuse without
 * revalidation (§5.2.2.4-5), so both mean "fetch again next time" here.
 */

export interface CacheBounds {
  /** Lifetime when the document sends no max-age. */
  defaultSeconds: number;
  /** Lower bound applied to a max-age (never to no-store / no-cache). */
  minSeconds: number;
  /** Upper bound: a document is fetched again at least this often. */
  maxSeconds: number;
}

export const DEFAULT_CACHE_BOUNDS: CacheBounds = { defaultSeconds: 300, minSeconds: 0, maxSeconds: 24 * 60 * 60 };

interface Directives {
  noStore: boolean;
  noCache: boolean;
  /** undefined: absent; NaN: present but not a delta-seconds value. */
  maxAge: number | undefined;
}

function parseCacheControl(header: string | null): Directives {
  const directives: Directives = { noStore: false, noCache: false, maxAge: undefined };
  for (const part of (header ?? '').split(',')) {
    const [rawName, rawValue] = part.split('=', 2);
    const name = rawName?.trim().toLowerCase();
    const value = rawValue?.trim().replace(/^"(.*)"$/, '$1');
    if (name === 'no-store') directives.noStore = true;
    else if (name === 'no-cache') directives.noCache = true;
    else if (name === 'max-age') directives.maxAge = value !== undefined && /^\d+$/.test(value) ? Number(value) : NaN;
  }
  return directives;
}

function clamp(seconds: number, bounds: CacheBounds): number {
  return Math.min(Math.max(seconds, bounds.minSeconds), bounds.maxSeconds);
}

/** How many seconds a document fetched with this Cache-Control may be reused (0: not at all). */
export function cacheLifetimeSeconds(header: string | null, bounds: CacheBounds, ignoreNoStore = false): number {
  const { noStore, noCache, maxAge } = parseCacheControl(header);
  if (!ignoreNoStore) {
    if (noStore || noCache) return 0;
    // RFC 9111 §4.2.1: an invalid max-age makes the response stale at once.
    if (Number.isNaN(maxAge)) return 0;
  }
  return clamp(maxAge === undefined || Number.isNaN(maxAge) ? bounds.defaultSeconds : maxAge, bounds);
}
