import { type ChildProcess, fork } from 'node:child_process';

/** Where a token endpoint is and the machine client that asks it (client_credentials, client_secret_basic). */
export interface TokenEndpoint {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  resource: string;
  scope: string;
}

export type ServerKind = 'reference' | 'oidc-provider' | 'static';

export type ServerMessage =
  | { type: 'ready'; endpoint: TokenEndpoint }
  | { type: 'usage'; cpuMicros: number; rss: number };

export interface ServerUsage {
  cpuMicros: number;
  rss: number;
}

export interface ServerProcess {
  endpoint: TokenEndpoint;
  /** CPU time (user + system) the server process has used so far, and its resident memory. */
  usage(): Promise<ServerUsage>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;

/** Starts a server of `kind` on 127.0.0.1 in a child process (same Node flags, so TypeScript loads as here). */
export function startServerProcess(kind: ServerKind): Promise<ServerProcess> {
  const child = fork(new URL('./token-server-process.ts', import.meta.url), [kind], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${kind} server did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`${error.message}\n${stderr}`));
    };
    child.once('exit', (code) => fail(new Error(`${kind} server exited (code ${code}) before it was ready`)));
    child.once('message', (message: ServerMessage) => {
      if (message.type !== 'ready') return fail(new Error(`${kind} server sent ${message.type} before ready`));
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(serverProcess(child, message.endpoint));
    });
  });
}

function serverProcess(child: ChildProcess, endpoint: TokenEndpoint): ServerProcess {
  return {
    endpoint,
    usage: () =>
      new Promise((resolve) => {
        const onMessage = (message: ServerMessage) => {
          if (message.type !== 'usage') return;
          child.off('message', onMessage);
          resolve({ cpuMicros: message.cpuMicros, rss: message.rss });
        };
        child.on('message', onMessage);
        child.send({ type: 'usage' });
      }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send({ type: 'stop' });
      }),
  };
}
