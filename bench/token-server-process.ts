import { serveOnLoopback } from '../harness/network/serve.ts';
import { serveReferenceSystem } from '../reference-server/serve.ts';
import { REFERENCE_SCOPES } from '../reference-server/system.ts';
import { PEER_M2M_CLIENT, startOidcProvider } from '../test/peers/oidc-provider.ts';
import type { ServerKind, ServerMessage, TokenEndpoint } from './token-servers.ts';

/**
 * A server under load, in a process of its own (so the load generator does not share its thread): the reference
 * system, node-oidc-provider, or a trivial handler on the same HTTP stack as the reference system (the HTTP floor).
 * Started by token-servers.ts; reports its endpoint, then answers CPU usage questions until told to stop.
 */

interface Served {
  endpoint: TokenEndpoint;
  close(): Promise<void>;
}

async function serveReference(): Promise<Served> {
  const served = await serveReferenceSystem({ port: 0, interaction: 'auto-approve' });
  const { client_id, client_secret } = served.clients.m2m;
  return {
    endpoint: {
      tokenUrl: `${served.urls.issuer}/token`,
      clientId: client_id,
      clientSecret: client_secret,
      resource: served.urls.resource,
      scope: REFERENCE_SCOPES.basic,
    },
    close: () => served.close(),
  };
}

async function serveOidcProvider(): Promise<Served> {
  const peer = await startOidcProvider();
  return {
    endpoint: {
      tokenUrl: `${peer.issuer}/token`,
      clientId: PEER_M2M_CLIENT.client_id,
      clientSecret: PEER_M2M_CLIENT.client_secret,
      resource: peer.resource,
      scope: REFERENCE_SCOPES.basic,
    },
    close: () => peer.close(),
  };
}

/** The HTTP floor: the same listener (@hono/node-server) answering a fixed small JSON body to any request. */
async function serveStatic(): Promise<Served> {
  const body = JSON.stringify({ access_token: 'x'.repeat(400), token_type: 'Bearer', expires_in: 900 });
  const served = await serveOnLoopback(
    async () => new Response(body, { headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } }),
  );
  return {
    endpoint: { tokenUrl: `${served.origin}/token`, clientId: 'none', clientSecret: 'none', resource: '', scope: '' },
    close: () => served.close(),
  };
}

const SERVERS: Record<ServerKind, () => Promise<Served>> = {
  reference: serveReference,
  'oidc-provider': serveOidcProvider,
  static: serveStatic,
};

function send(message: ServerMessage): void {
  process.send?.(message);
}

const kind = process.argv[2] as ServerKind;
const start = SERVERS[kind];
if (!start) {
  process.stderr.write(`unknown server kind ${String(kind)}\n`);
  process.exit(2);
}
const served = await start();
process.on('message', (message: { type: string }) => {
  if (message.type === 'usage') send({ type: 'usage', cpuMicros: cpuMicros(), rss: process.memoryUsage.rss() });
  if (message.type === 'stop') void served.close().finally(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', endpoint: served.endpoint });

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
