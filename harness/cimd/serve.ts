import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { FetchHandler } from '../network/types.ts';
import { issueServerCertificate, loadOrCreateTestCa } from './test-ca.ts';

export interface ServedOverHttps {
  /** `https://127.0.0.1:PORT` */
  origin: string;
  port: number;
  /** The CA certificate the target must trust to fetch from `origin`. */
  caFile: string;
  /** True when this run generated the CA (a target started before cannot trust it yet). */
  caCreated: boolean;
  close(): Promise<void>;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost'];

/**
 * Serves `handler` over https on 127.0.0.1 (never another interface) with a certificate for 127.0.0.1 and localhost,
 * issued by the test CA at `caFile` (created there when absent). Port 0 picks a free port.
 */
export async function serveOverHttpsOnLoopback(
  handler: FetchHandler,
  { port, caFile }: { port: number; caFile: string },
): Promise<ServedOverHttps> {
  const { ca, created } = await loadOrCreateTestCa(caFile);
  const certificate = await issueServerCertificate(ca, LOOPBACK_NAMES);
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: handler,
        port,
        hostname: '127.0.0.1',
        createServer,
        serverOptions: { key: certificate.privateKeyPem, cert: certificate.certificatePem },
      },
      (info: AddressInfo) => {
        resolve({
          origin: `https://127.0.0.1:${info.port}`,
          port: info.port,
          caFile,
          caCreated: created,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
            }),
        });
      },
    );
    server.once('error', reject);
  });
}
