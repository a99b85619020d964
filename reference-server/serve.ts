import { type ServedHandler, serveOnLoopback } from '../harness/network/serve.ts';
import type { FetchHandler } from '../harness/network/types.ts';
import { resourceMetadataUrl } from './resource-server/index.ts';
import { createReferenceSystem, type ReferenceSystemOptions } from './system.ts';

export interface ServeOptions {
  /**
   * The AS listens here, the MCP server on port + 1, the mailbox on port + 2, then the mock identity systems: the
   * homegrown identity API (+ 3), the upstream OpenID provider (+ 4), the tenant SAML IdP (+ 5). 0 picks free ports.
   * Default 9000.
   */
  port?: number;
  /** Default 'interactive': a person signs in on the real login page. */
  interaction?: 'auto-approve' | 'interactive';
  /** Further issuers the MCP server trusts (e.g. a harness token lab on loopback), each with its rules. */
  extraTrustedIssuers?: ReferenceSystemOptions['extraTrustedIssuers'];
  /** A downstream API the tool `downstream_report` calls with an exchanged token (served by someone else). */
  downstream?: ReferenceSystemOptions['downstream'];
  accessTokenFormat?: ReferenceSystemOptions['accessTokenFormat'];
  /** A workload identity issuer the JWT bearer client trusts (e.g. the harness's, on loopback). */
  workloadIssuer?: string;
  /** An enterprise IdP whose ID-JAGs the enterprise client may redeem (e.g. the harness's, on loopback). */
  enterpriseIdp?: string;
  /** Client ID Metadata Documents from loopback https hosts (e.g. the harness's): the hosts and the CA (PEM). */
  cimdAllowHosts?: string[];
  cimdCa?: string;
}

export interface ServedReferenceSystem {
  urls: {
    issuer: string;
    resource: string;
    prm: string;
    asMetadata: string;
    mailbox: string;
    /** The mock identity systems behind the reference consent flows (seeds 000, 001, 004). */
    homegrownAuth: string;
    upstreamOidc: string;
    samlIdp: string;
  };
  /** The admin API's bearer token, which also signs in to the console at `${issuer}/console`. */
  adminToken: string;
  /** The mock identity systems it serves (e.g. to add people to the homegrown identity API). */
  idps: Awaited<ReturnType<typeof createReferenceSystem>>['idps'];
  /** The pre-registered clients (ids and secrets), as the reference system describes them. */
  clients: Awaited<ReturnType<typeof createReferenceSystem>>['clients'];
  close(): Promise<void>;
}

/**
 * The reference system on 127.0.0.1: the listeners start first (their ports fix the origins), then the system is built
 * for those origins and put behind them.
 */
export async function serveReferenceSystem(options: ServeOptions = {}): Promise<ServedReferenceSystem> {
  const port = options.port ?? 9000;
  const as = await listenLate(port);
  const listeners = [as];
  const closeAll = () => Promise.all(listeners.map((listener) => listener.served.close()));
  const next = async (offset: number) => {
    const listener = await listenLate(port === 0 ? 0 : port + offset).catch(async (error: unknown) => {
      await closeAll();
      throw error;
    });
    listeners.push(listener);
    return listener;
  };
  const mcp = await next(1);
  const mail = await next(2);
  const idps = { homegrown: await next(3), upstreamOidc: await next(4), saml: await next(5) };
  const system = await createReferenceSystem({
    interaction: options.interaction ?? 'interactive',
    origins: {
      as: as.served.origin,
      mcp: mcp.served.origin,
      mail: mail.served.origin,
      homegrown: idps.homegrown.served.origin,
      upstreamOidc: idps.upstreamOidc.served.origin,
      saml: idps.saml.served.origin,
    },
    ...(options.workloadIssuer ? { workloadIssuer: options.workloadIssuer } : {}),
    ...(options.enterpriseIdp ? { enterpriseIdp: options.enterpriseIdp } : {}),
    ...(options.cimdAllowHosts ? { cimdAllowHosts: options.cimdAllowHosts } : {}),
    ...(options.cimdCa ? { cimdCa: options.cimdCa } : {}),
    ...(options.extraTrustedIssuers ? { extraTrustedIssuers: options.extraTrustedIssuers } : {}),
    ...(options.downstream ? { downstream: options.downstream } : {}),
    ...(options.accessTokenFormat ? { accessTokenFormat: options.accessTokenFormat } : {}),
  });
  as.attach(handlerFor(system.handlers, as.served.origin));
  mcp.attach(handlerFor(system.handlers, mcp.served.origin));
  for (const listener of [mail, ...Object.values(idps)]) {
    listener.attach(handlerFor(system.handlers, listener.served.origin));
  }
  return {
    urls: {
      issuer: system.issuer,
      resource: system.resource,
      prm: resourceMetadataUrl(system.resource),
      asMetadata: `${system.issuer}/.well-known/oauth-authorization-server`,
      mailbox: system.mailboxUrl,
      homegrownAuth: idps.homegrown.served.origin,
      upstreamOidc: idps.upstreamOidc.served.origin,
      samlIdp: idps.saml.served.origin,
    },
    clients: system.clients,
    adminToken: system.adminToken,
    idps: system.idps,
    close: async () => {
      await closeAll();
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
