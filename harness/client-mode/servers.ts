import { randomBytes } from 'node:crypto';
import type { ReferenceSystem } from '../../reference-server/system.ts';
import { epochSeconds } from '../clock.ts';
import { type ServedHandler, serveOnLoopback } from '../network/serve.ts';
import type { FetchHandler } from '../network/types.ts';
import { createTrafficRecorder, type ScenarioServer, type TrafficRecorder } from './recorder.ts';
import type {
  ScenarioServerOptions,
  ScenarioSetup,
  SecretAuthMethod,
  ServerAdaptation,
  ServerLies,
} from './scenario.ts';

export interface ScenarioServers extends ScenarioSetup {
  recorder: TrafficRecorder;
  close(): Promise<void>;
}

const AS_METADATA_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];

/**
 * The loopback callbacks a pre-registered client may use: the mock clients' and the one the official suite's example
 * clients listen on.
 */
const PRE_REGISTERED_REDIRECT_URIS = (reference: string) => [reference, 'http://localhost:3000/callback'];

/** RFC 8414 §3.1 and OpenID Discovery, at the root issuer or a path issuer (inserted or appended). */
function isAuthorizationServerMetadata(pathname: string): boolean {
  return AS_METADATA_PATHS.some((path) => pathname.startsWith(path) || pathname.endsWith(path));
}
const PRM_PATH_PREFIX = '/.well-known/oauth-protected-resource';

/** Running scenario servers by issuer, so a scenario can configure the servers it was given (see configureScenarioServers). */
const running = new Map<string, (options: ScenarioServerOptions) => void>();

/**
 * The reference AS and MCP server on two 127.0.0.1 ports, and a foreign origin on a third, behind the recorder,
 * configured as the scenario asks. The listeners start first, since their ports fix the origins the system is built
 * for; until then they answer 503.
 */
export async function startScenarioServers(options: ScenarioServerOptions = {}): Promise<ScenarioServers> {
  const listeners: LateBoundListener[] = [];
  let issuer: string | undefined;
  const close = async () => {
    if (issuer !== undefined) running.delete(issuer);
    await Promise.all(listeners.map((listener) => listener.served.close()));
  };
  try {
    for (let count = 0; count < 3; count++) listeners.push(await lateBoundListener());
    const [as, mcp, foreign] = listeners as [LateBoundListener, LateBoundListener, LateBoundListener];
    const { createReferenceSystem } = await import('../../reference-server/system.ts');
    const origins = { as: as.served.origin, mcp: mcp.served.origin, foreign: foreign.served.origin };
    const system = await createReferenceSystem({
      ...(typeof options.system === 'function' ? options.system(origins) : options.system),
      interaction: 'auto-approve',
      federation: {},
      origins: { as: as.served.origin, mcp: mcp.served.origin },
    });
    const authorizationServer = await configurableAuthorizationServer(
      system,
      handlerAt(system.handlers, as.served.origin),
    );
    authorizationServer.configure(options);
    issuer = system.issuer;
    running.set(issuer, authorizationServer.configure);
    const setup: ScenarioSetup = {
      mcpUrl: system.resource,
      issuer: system.issuer,
      foreignOrigin: foreign.served.origin,
      system,
    };
    const adapted = adaptedHandlers(setup, options.adaptations ?? [], {
      as: authorizationServer.handler,
      mcp: lyingResourceServer(handlerAt(system.handlers, mcp.served.origin), authorizationServer.lies),
      foreign: async () => new Response('Not Found', { status: 404 }),
    });
    const recorder = createTrafficRecorder();
    as.attach(recorder.wrap('as', authorizationServer.advertising(adapted.as)));
    mcp.attach(recorder.wrap('mcp', authorizationServer.advertising(adapted.mcp)));
    foreign.attach(recorder.wrap('foreign', adapted.foreign));
    return { ...setup, recorder, close };
  } catch (error) {
    await close();
    throw error;
  }
}

type ServerHandlers = Record<ScenarioServer, FetchHandler>;

/** The handlers with each adaptation applied in order (made once per run, so their state is this run's). */
function adaptedHandlers(
  setup: ScenarioSetup,
  adaptations: readonly ServerAdaptation[],
  handlers: ServerHandlers,
): ServerHandlers {
  return adaptations.reduce<ServerHandlers>((current, adaptation) => {
    const wrap = adaptation(setup);
    return {
      as: wrap.as ? wrap.as(current.as) : current.as,
      mcp: wrap.mcp ? wrap.mcp(current.mcp) : current.mcp,
      foreign: wrap.foreign ? wrap.foreign(current.foreign) : current.foreign,
    };
  }, handlers);
}

/**
 * Applies a scenario's server options to the running servers of `issuer`, before the client starts (the AS holds its
 * requests until the configuration is stored). Throws when no scenario servers run at that issuer.
 */
export function configureScenarioServers(issuer: string, options: ScenarioServerOptions): void {
  const configure = running.get(issuer);
  if (!configure) throw new Error(`no scenario servers run at ${issuer}`);
  configure(options);
}

/**
 * The reference AS whose registration policy, pre-registered client, advertised auth methods and lies a scenario sets.
 */
async function configurableAuthorizationServer(system: ReferenceSystem, handler: FetchHandler) {
  const [{ configureRegistrationPolicy }, { fromPreRegistered }, { REFERENCE_REDIRECT_URI }] = await Promise.all([
    import('../../reference-server/authorization-server/endpoints/register.ts'),
    import('../../reference-server/authorization-server/clients.ts'),
    import('../../reference-server/system.ts'),
  ]);
  const store = system.authorizationServer.store;
  let pending: Promise<void> = Promise.resolve();
  let advertised: SecretAuthMethod | undefined;
  let lies: ServerLies = {};
  let cimd = false;
  return {
    lies: () => lies,
    configure(options: ScenarioServerOptions): void {
      if (options.registration !== undefined) configureRegistrationPolicy(store, { enabled: options.registration });
      if (options.lies) lies = options.lies;
      if (options.clientIdMetadataDocuments !== undefined) cimd = options.clientIdMetadataDocuments;
      const client = options.preRegisteredClient;
      if (!client) return;
      advertised = client.token_endpoint_auth_method;
      const record = fromPreRegistered(
        {
          ...client,
          redirect_uris: PRE_REGISTERED_REDIRECT_URIS(REFERENCE_REDIRECT_URI),
          client_name: 'Pre-registered conformance client',
        },
        epochSeconds(system.clock),
      );
      pending = pending.then(() => store.clients.save(record));
    },
    handler: (async (request) => {
      await pending;
      return forgedAuthorizationResponse(await handler(request), lies);
    }) satisfies FetchHandler,
    /**
     * RFC 8414 §2: AS metadata, wherever the scenario serves it, names only the token endpoint auth methods the
     * scenario's client may use, and client_id_metadata_document_supported only where the scenario offers CIMD (as
     * the official suite does).
     */
    advertising:
      (inner: FetchHandler): FetchHandler =>
      async (request) => {
        const response = await inner(request);
        if (!isAuthorizationServerMetadata(new URL(request.url).pathname)) return response;
        return withJsonMembers(response, {
          ...(advertised ? { token_endpoint_auth_methods_supported: [advertised] } : {}),
          client_id_metadata_document_supported: cimd ? true : undefined,
        });
      },
  };
}

/**
 * OAuth 2.1 §4.1.2, RFC 9207 §2: the redirect back to the client carries `state` and `iss`; a lying AS replaces them,
 * so the client must notice the response is not the answer to its request (or not from its AS).
 */
function forgedAuthorizationResponse(response: Response, lies: ServerLies): Response {
  const location = response.headers.get('location');
  if (!location || !URL.canParse(location) || (!lies.authorizationState && lies.authorizationIss === undefined)) {
    return response;
  }
  const target = new URL(location);
  if (!target.searchParams.has('code') && !target.searchParams.has('error')) return response;
  if (lies.authorizationState) target.searchParams.set('state', randomBytes(16).toString('base64url'));
  if (lies.authorizationIss !== undefined) target.searchParams.set('iss', lies.authorizationIss);
  const headers = new Headers(response.headers);
  headers.set('location', target.href);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** RFC 9728 §3.3: a lying MCP server names another `resource` in its protected resource metadata. */
function lyingResourceServer(handler: FetchHandler, lies: () => ServerLies): FetchHandler {
  return async (request) => {
    const response = await handler(request);
    const resource = lies().prmResource;
    return resource !== undefined && new URL(request.url).pathname.startsWith(PRM_PATH_PREFIX)
      ? withJsonMembers(response, { resource })
      : response;
  };
}

/** The JSON document of a 200 response with `members` set (other responses pass unchanged). */
async function withJsonMembers(response: Response, members: Record<string, unknown>): Promise<Response> {
  if (response.status !== 200) return response;
  const document = (await response.json()) as Record<string, unknown>;
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  return Response.json({ ...document, ...members }, { headers });
}

function handlerAt(handlers: Map<string, FetchHandler>, origin: string): FetchHandler {
  const handler = handlers.get(origin);
  if (!handler) throw new Error(`the reference system serves nothing at ${origin}`);
  return handler;
}

interface LateBoundListener {
  served: ServedHandler;
  attach(handler: FetchHandler): void;
}

async function lateBoundListener(): Promise<LateBoundListener> {
  let current: FetchHandler = async () => new Response('starting', { status: 503, headers: { 'Retry-After': '1' } });
  const served = await serveOnLoopback((request) => current(request));
  return {
    served,
    attach: (handler) => {
      current = handler;
    },
  };
}
