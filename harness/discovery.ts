import { type Challenge, parseChallenges } from './challenges.ts';
import { CheckFailure, CheckSkipped } from './check.ts';
import { describeReply, type HttpReply, isJsonObject, readReply } from './http.ts';
import { initializeRequest, MCP_ACCEPT } from './mcp.ts';
import { NetworkError } from './network/network.ts';
import type { Session } from './session.ts';
import { appendWellKnown, hasPath, insertWellKnown, rootWellKnown } from './well-known.ts';

export type JsonObject = Record<string, unknown>;

export interface UnauthenticatedObservation {
  reply: HttpReply;
  challenges: Challenge[];
  bearer?: Challenge;
}

export interface MetadataDocument {
  url: string;
  reply: HttpReply;
  metadata: JsonObject;
}

export interface ProtectedResourceMetadata extends MetadataDocument {
  /** Where it was found: the challenge's `resource_metadata`, or a well-known URL. */
  source: 'header' | 'path-inserted' | 'root';
}

export interface AuthorizationServerMetadata extends MetadataDocument {
  kind: 'oauth-authorization-server' | 'openid-configuration';
  /** The issuer identifier the well-known URL was built from. */
  issuer: string;
}

export const PRM_SUFFIX = 'oauth-protected-resource';
export const AS_SUFFIX = 'oauth-authorization-server';
export const OIDC_SUFFIX = 'openid-configuration';

/** Discovery as an MCP client does it (MCP 2025-11-25 §Authorization Server Discovery), each step once per run. */
export class Discovery {
  constructor(private readonly session: Session) {}

  private get fetch() {
    return this.session.sut.network.fetch;
  }

  resource(): string {
    const resource = this.session.target.resource;
    if (!resource) throw new CheckSkipped('the target declares no MCP server ("resource")');
    return resource;
  }

  async getJson(url: string): Promise<HttpReply> {
    return readReply(await this.fetch(url, { headers: { accept: 'application/json' } }), url);
  }

  /** One candidate of a discovery sequence: a failure to fetch it is noted in `tried` and the sequence goes on. */
  private async tryGetJson(url: string, tried: string[]): Promise<HttpReply | undefined> {
    try {
      return await this.getJson(url);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      tried.push(`${url} → ${error.message}`);
      return undefined;
    }
  }

  /** An MCP `initialize` POST with no credentials: the request every client starts with. */
  unauthenticated(): Promise<UnauthenticatedObservation> {
    return this.session.step('unauthenticated MCP request', async () => {
      const resource = this.resource();
      const response = await this.fetch(resource, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: MCP_ACCEPT },
        body: JSON.stringify(initializeRequest(this.session.spec)),
      });
      const challenges = await parseChallenges(response);
      const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
      const reply = await readReply(response, resource);
      return { reply, challenges, ...(bearer ? { bearer } : {}) };
    });
  }

  /** RFC 9728 via MCP's order: the challenge's `resource_metadata`, then path-inserted, then root well-known URL. */
  protectedResourceMetadata(): Promise<ProtectedResourceMetadata> {
    return this.session.step('protected resource metadata discovery', async () => {
      const resource = this.resource();
      const { bearer } = await this.unauthenticated();
      const candidates: Array<[ProtectedResourceMetadata['source'], string]> = [];
      const pointer = bearer?.parameters.resource_metadata;
      if (pointer) candidates.push(['header', pointer]);
      candidates.push(['path-inserted', insertWellKnown(resource, PRM_SUFFIX)]);
      if (hasPath(resource)) candidates.push(['root', rootWellKnown(resource, PRM_SUFFIX)]);
      const tried: string[] = [];
      for (const [source, url] of candidates) {
        const reply = await this.tryGetJson(url, tried);
        if (reply?.status === 200 && isJsonObject(reply.json)) return { source, url, reply, metadata: reply.json };
        if (reply) tried.push(`${url} → ${describeReply(reply)}`);
      }
      throw new CheckFailure(`no protected resource metadata found; tried ${tried.join('; ')}`);
    });
  }

  /** The AS issuer: declared in the target, or the first of PRM `authorization_servers`. */
  issuer(): Promise<string> {
    return this.session.step('authorization server identification', async () => {
      if (this.session.target.issuer) return this.session.target.issuer;
      const prm = await this.protectedResourceMetadata();
      const servers = prm.metadata.authorization_servers;
      const first = Array.isArray(servers) ? servers[0] : undefined;
      if (typeof first !== 'string')
        throw new CheckFailure('PRM lists no authorization_servers and the target declares no issuer');
      return first;
    });
  }

  /** RFC 8414 §3 / OIDC Discovery, tried in the order MCP 2025-11-25 prescribes; the first 200 JSON object wins. */
  authorizationServerMetadata(): Promise<AuthorizationServerMetadata> {
    return this.session.step('authorization server metadata discovery', async () => {
      const issuer = await this.issuer();
      const tried: string[] = [];
      for (const [kind, url] of metadataCandidates(issuer)) {
        const reply = await this.tryGetJson(url, tried);
        if (reply?.status === 200 && isJsonObject(reply.json))
          return { kind, issuer, url, reply, metadata: reply.json };
        if (reply) tried.push(`${url} → ${describeReply(reply)}`);
      }
      throw new CheckFailure(`no authorization server metadata for ${issuer}; tried ${tried.join('; ')}`);
    });
  }

  /** The OpenID discovery document when the AS serves one (absent is not an error: RFC 8414 alone suffices). */
  openidConfiguration(): Promise<MetadataDocument | undefined> {
    return this.session.step('openid configuration discovery', async () => {
      const issuer = await this.issuer();
      const urls = hasPath(issuer)
        ? [insertWellKnown(issuer, OIDC_SUFFIX), appendWellKnown(issuer, OIDC_SUFFIX)]
        : [appendWellKnown(issuer, OIDC_SUFFIX)];
      const broken: string[] = [];
      for (const url of urls) {
        const reply = await this.tryGetJson(url, broken);
        if (reply?.status === 200 && isJsonObject(reply.json)) return { url, reply, metadata: reply.json };
      }
      // Absent (an HTTP answer without a document) is fine; an answer that could not even be read is not.
      if (broken.length > 0)
        throw new CheckFailure(`the OpenID discovery document could not be read: ${broken.join('; ')}`);
      return undefined;
    });
  }

  /** A named endpoint of the AS metadata, or a skip saying the AS does not offer it. */
  async endpoint(name: string): Promise<string> {
    const { metadata } = await this.authorizationServerMetadata();
    const value = metadata[name];
    if (typeof value !== 'string') throw new CheckSkipped(`the AS metadata has no ${name}`);
    return value;
  }
}

function metadataCandidates(issuer: string): Array<[AuthorizationServerMetadata['kind'], string]> {
  if (hasPath(issuer)) {
    return [
      ['oauth-authorization-server', insertWellKnown(issuer, AS_SUFFIX)],
      ['openid-configuration', insertWellKnown(issuer, OIDC_SUFFIX)],
      ['openid-configuration', appendWellKnown(issuer, OIDC_SUFFIX)],
    ];
  }
  return [
    ['oauth-authorization-server', insertWellKnown(issuer, AS_SUFFIX)],
    ['openid-configuration', insertWellKnown(issuer, OIDC_SUFFIX)],
  ];
}
