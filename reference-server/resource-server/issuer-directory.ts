import type { JSONWebKeySet } from 'jose';
import type { Fetch } from '../../harness/network/types.ts';

/** An issuer this resource server accepts tokens from, with the rules its tokens must also meet. */
export interface TrustedIssuer {
  issuer: string;
  /** Claims every token of this issuer must carry: the value, or one of the values listed (e.g. an `acr`). */
  requiredClaims?: Record<string, string | string[]>;
  /** Audiences a token of this issuer may be issued for; default: this resource only. */
  allowedAudiences?: string[];
}

/** The parts of a trusted issuer's RFC 8414 metadata a resource server relies on. */
export interface DiscoveredIssuer {
  issuer: string;
  /** The published key set as a document, read anew at each call (token-keys.ts caches it by the injected clock). */
  jwks(): Promise<JSONWebKeySet>;
  introspectionEndpoint?: string;
  tokenEndpoint?: string;
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
  readonly #trusted: ReadonlyMap<string, TrustedIssuer>;
  readonly #fetch: Fetch;
  readonly #cache = new Map<string, Promise<DiscoveredIssuer>>();

  constructor(trusted: Iterable<TrustedIssuer>, fetch: Fetch) {
    this.#trusted = new Map([...trusted].map((rule) => [rule.issuer, rule]));
    this.#fetch = fetch;
  }

  isTrusted(issuer: unknown): issuer is string {
    return typeof issuer === 'string' && this.#trusted.has(issuer);
  }

  /** The rules of a trusted issuer. */
  rules(issuer: string): TrustedIssuer | undefined {
    return this.#trusted.get(issuer);
  }

  get issuers(): string[] {
    return [...this.#trusted.keys()];
  }

  /** The issuer's keys and endpoints; a failed lookup is not kept, so the next request tries again. */
  lookup(issuer: string): Promise<DiscoveredIssuer> {
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
  async #discover(issuer: string): Promise<DiscoveredIssuer> {
    const metadataUrl = authorizationServerMetadataUrl(issuer);
    const metadata = await this.#readJson(metadataUrl);
    if (metadata.issuer !== issuer) {
      throw new IssuerDiscoveryError(`${metadataUrl} names issuer ${String(metadata.issuer)}, expected ${issuer}`);
    }
    const jwksUri = metadata.jwks_uri;
    if (typeof jwksUri !== 'string') throw new IssuerDiscoveryError(`${metadataUrl} has no jwks_uri`);
    const endpoint = (name: string) => (typeof metadata[name] === 'string' ? metadata[name] : undefined);
    const introspectionEndpoint = endpoint('introspection_endpoint');
    const tokenEndpoint = endpoint('token_endpoint');
    return {
      issuer,
      jwks: async () => (await this.#readJson(jwksUri)) as unknown as JSONWebKeySet,
      ...(introspectionEndpoint ? { introspectionEndpoint } : {}),
      ...(tokenEndpoint ? { tokenEndpoint } : {}),
    };
  }

  async #readJson(url: string): Promise<Record<string, unknown>> {
    try {
      const response = await this.#fetch(url, { headers: { accept: 'application/json' } });
      if (!response.ok) throw new IssuerDiscoveryError(`${url} answered ${response.status}`);
      const body: unknown = await response.json();
      if (typeof body !== 'object' || body === null) throw new IssuerDiscoveryError(`${url} is not a JSON object`);
      return body as Record<string, unknown>;
    } catch (error) {
      if (error instanceof IssuerDiscoveryError) throw error;
      throw new IssuerDiscoveryError(`${url} could not be read: ${describe(error)}`);
    }
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
