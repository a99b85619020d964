import { type ServedHandler, serveOnLoopback } from '../network/serve.ts';
import type { FetchHandler } from '../network/types.ts';
import { createTrafficRecorder, type TrafficRecorder } from './recorder.ts';

export interface ScenarioServers {
  mcpUrl: string;
  issuer: string;
  recorder: TrafficRecorder;
  close(): Promise<void>;
}

/**
 * The reference AS and MCP server on two 127.0.0.1 ports, behind the recorder. The listeners start first, since their
 * ports fix the origins the system is built for; until then they answer 503.
 */
export async function startScenarioServers(): Promise<ScenarioServers> {
  const as = await lateBoundListener();
  const mcp = await lateBoundListener().catch(async (error: unknown) => {
    await as.served.close();
    throw error;
  });
  const close = async () => {
    await Promise.all([as.served.close(), mcp.served.close()]);
  };
  try {
    const { createReferenceSystem } = await import('../../reference-server/system.ts');
    const system = await createReferenceSystem({
      interaction: 'auto-approve',
      federation: {},
      origins: { as: as.served.origin, mcp: mcp.served.origin },
    });
    const recorder = createTrafficRecorder();
    as.attach(recorder.wrap('as', handlerAt(system.handlers, as.served.origin)));
    mcp.attach(recorder.wrap('mcp', handlerAt(system.handlers, mcp.served.origin)));
    return { mcpUrl: system.resource, issuer: system.issuer, recorder, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function handlerAt(handlers: Map<string, FetchHandler>, origin: string): FetchHandler {
  const handler = handlers.get(origin);
  if (!handler) throw new Error(`the reference system serves nothing at ${origin}`);
  return handler;
}

async function lateBoundListener(): Promise<{ served: ServedHandler; attach(handler: FetchHandler): void }> {
  let current: FetchHandler = async () => new Response('starting', { status: 503, headers: { 'Retry-After': '1' } });
  const served = await serveOnLoopback((request) => current(request));
  return {
    served,
    attach: (handler) => {
      current = handler;
    },
  };
}
