import { type AddressInfo, createServer } from 'node:net';
import { serve } from '@hono/node-server';
import type { FetchHandler } from './types.ts';

export interface ServedHandler {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  port: number;
  close(): Promise<void>;
}

/** Serves a fetch handler on 127.0.0.1 (never another interface). Port 0 picks a free port. */
export function serveOnLoopback(handler: FetchHandler, port = 0): Promise<ServedHandler> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: handler, port, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({
        origin: `http://127.0.0.1:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.once('error', reject);
  });
}

/** Ports free on 127.0.0.1 right now, held together while chosen so they differ. */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  const ports = await Promise.all(
    servers.map(
      (server) =>
        new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            if (address && typeof address === 'object') resolve(address.port);
            else reject(new Error('no port assigned'));
          });
        }),
    ),
  );
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
