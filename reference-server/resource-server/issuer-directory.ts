import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import type { Fetch } from '../../harness/network/types.ts';

/** The parts of an authorization server's RFC 8414 metadata a resource server relies on. */
export interface TrustedIssuer {
  issuer: string;
  keys: JWTVerifyGetKey;
  introspectionEndpoint?: string;
}

/** Why an issuer's metadata or keys could not be obtained. */
export class IssuerDiscoveryError extends Error {
  override name = 'IssuerDiscoveryError';
}

/**
 * Looks up trusted issuers on demand through their RFC 8414 metadata and keeps the answer. Only issuers in the trust
 * list are ever contacted, so a token cannot steer the resource server to a URL of its choosing.
 */
export class IssuerDirectory {
  readonly #trusted: ReadonlySet<string>;
  readonly #fetch: Fetch;
  readonly #cache = new Map<string, Promise<TrustedIssuer>>();

  constructor(trusted: Iterable<string>, fetch: Fetch) {
    this.#trusted = new Set(trusted);
    this.#fetch = fetch;
  }

  isTrusted(issuer: unknown): issuer is string {
    return typeof issuer === 'string' && this.#trusted.has(issuer);
  }

  /** The issuer's keys and endpoints; a failed lookup is not kept, so the next request tries again. */
  lookup(issuer: string): Promise<TrustedIssuer> {
    if (!this.isTrusted(issuer)) return Promise.reject(new IssuerDiscoveryError(`issuer ${issuer} is not trusted`));
    let entry = this.#cache.get(issuer);
    if (!entry) {
      entry = this.#discover(issuer);
      entry.catch(() => this.#cache.delete(issuer));
      this.#cache.set(issuer, entry);
    }
    return entry;
  }

  /** RFC 8414 §3: fetch the metadata and check its `issuer` is the one asked for (§3.3). */
  async #discover(issuer: string): Promise<TrustedIssuer> {
    const metadataUrl = authorizationServerMetadataUrl(issuer);
    let metadata: Record<string, unknown>;
    try {
      const response = await this.#fetch(metadataUrl, { headers: { accept: 'application/json' } });
      if (!response.ok) throw new IssuerDiscoveryError(`${metadataUrl} answered ${response.status}`);
      metadata = (await response.json()) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof IssuerDiscoveryError) throw error;
      throw new IssuerDiscoveryError(`${metadataUrl} could not be read: ${describe(error)}`);
    }
    if (metadata.issuer !== issuer) {
      throw new IssuerDiscoveryError(`${metadataUrl} names issuer ${String(metadata.issuer)}, expected ${issuer}`);
    }
    if (typeof metadata.jwks_uri !== 'string') throw new IssuerDiscoveryError(`${metadataUrl} has no jwks_uri`);
    const fetch = this.#fetch;
    const keys = createRemoteJWKSet(new URL(metadata.jwks_uri), {
      [customFetch]: (url, init) => fetch(url, init),
    });
    const introspectionEndpoint =
      typeof metadata.introspection_endpoint === 'string' ? metadata.introspection_endpoint : undefined;
    return { issuer, keys, ...(introspectionEndpoint ? { introspectionEndpoint } : {}) };
  }
}

/** RFC 8414 §3.1: the well-known suffix is inserted between the host and any path of the issuer. */
export function authorizationServerMetadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
