import { type ServedHandler, serveOnLoopback } from '../harness/network/serve.ts';
import type { FetchHandler } from '../harness/network/types.ts';
import { resourceMetadataUrl } from './resource-server/index.ts';
import { createReferenceSystem, type ReferenceSystemOptions } from './system.ts';

export interface ServeOptions {
  /** The AS listens here and the MCP server on port + 1; 0 picks free ports for both. Default 9000. */
  port?: number;
  /** Default 'interactive': a person signs in on the real login page. */
  interaction?: 'auto-approve' | 'interactive';
  /** Further issuers the MCP server trusts (e.g. a harness token lab on loopback), each with its rules. */
  extraTrustedIssuers?: ReferenceSystemOptions['extraTrustedIssuers'];
  /** A downstream API the tool `downstream_report` calls with an exchanged token (served by someone else). */
  downstream?: ReferenceSystemOptions['downstream'];
  accessTokenFormat?: ReferenceSystemOptions['accessTokenFormat'];
}

export interface ServedReferenceSystem {
  urls: { issuer: string; resource: string; prm: string; asMetadata: string };
  close(): Promise<void>;
}

/**
 * The reference system on 127.0.0.1: the listeners start first (their ports fix the origins), then the system is built
 * for those origins and put behind them.
 */
export async function serveReferenceSystem(options: ServeOptions = {}): Promise<ServedReferenceSystem> {
  const port = options.port ?? 9000;
  const as = await listenLate(port);
  const mcp = await listenLate(port === 0 ? 0 : port + 1).catch(async (error: unknown) => {
    await as.served.close();
    throw error;
  });
  const system = await createReferenceSystem({
    interaction: options.interaction ?? 'interactive',
    origins: { as: as.served.origin, mcp: mcp.served.origin },
    ...(options.extraTrustedIssuers ? { extraTrustedIssuers: options.extraTrustedIssuers } : {}),
    ...(options.downstream ? { downstream: options.downstream } : {}),
    ...(options.accessTokenFormat ? { accessTokenFormat: options.accessTokenFormat } : {}),
  });
  as.attach(handlerFor(system.handlers, as.served.origin));
  mcp.attach(handlerFor(system.handlers, mcp.served.origin));
  return {
    urls: {
      issuer: system.issuer,
      resource: system.resource,
      prm: resourceMetadataUrl(system.resource),
      asMetadata: `${system.issuer}/.well-known/oauth-authorization-server`,
    },
    close: async () => {
      await Promise.all([as.served.close(), mcp.served.close()]);
    },
  };
}

/** A loopback listener whose handler is supplied once the origin it serves is known; until then it answers 503. */
async function listenLate(port: number): Promise<{ served: ServedHandler; attach(handler: FetchHandler): void }> {
  let current: FetchHandler = async () => new Response('starting', { status: 503, headers: { 'Retry-After': '1' } });
  const served = await serveOnLoopback((request) => current(request), port);
  return {
    served,
    attach: (handler) => {
      current = handler;
    },
  };
}

function handlerFor(handlers: Map<string, FetchHandler>, origin: string): FetchHandler {
  const handler = handlers.get(origin);
  if (!handler) throw new Error(`the reference system has no handler for ${origin}`);
  return handler;
}
