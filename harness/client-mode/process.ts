import { spawn } from 'node:child_process';

/** Captured output per stream; what goes beyond is counted and dropped. */
export const OUTPUT_LIMIT_BYTES = 1024 * 1024;
export const DEFAULT_CLIENT_TIMEOUT_MS = 30_000;

export interface ClientProcessOptions {
  /** A shell command line; the MCP server URL is appended as its last argument. */
  command: string;
  mcpUrl: string;
  /** Extra environment (e.g. MCP_CONFORMANCE_SCENARIO, MCP_CONFORMANCE_CONTEXT), on top of this process's. */
  env?: Record<string, string>;
  timeoutMs?: number;
  outputLimitBytes?: number;
}

export interface CapturedOutput {
  text: string;
  /** Bytes the client wrote beyond the limit. */
  droppedBytes: number;
}

export interface ClientProcessOutcome {
  /** Exit code, or null when a signal ended the process (or it never started). */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Why the process could not be started, if it could not. */
  spawnError?: string;
  stdout: CapturedOutput;
  stderr: CapturedOutput;
  durationMs: number;
}

/**
 * Runs `command <mcp-url>` in its own process group; at the timeout the whole group is killed (SIGKILL), so a hanging
 * client or the children it started never stall the run. Output beyond the limit is counted, not kept.
 */
export function runClientProcess(options: ClientProcessOptions): Promise<ClientProcessOutcome> {
  const started = performance.now();
  const limit = options.outputLimitBytes ?? OUTPUT_LIMIT_BYTES;
  const child = spawn(`${options.command} ${shellQuote(options.mcpUrl)}`, {
    shell: true,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const stdout = boundedCapture(limit);
  const stderr = boundedCapture(limit);
  child.stdout.on('data', stdout.add);
  child.stderr.on('data', stderr.add);

  return new Promise((resolve) => {
    let timedOut = false;
    let spawnError: string | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS);
    child.once('error', (error) => {
      spawnError = error.message;
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      // Children the client left behind go with it.
      killGroup(child.pid);
      resolve({
        exitCode,
        signal,
        timedOut,
        ...(spawnError !== undefined ? { spawnError } : {}),
        stdout: stdout.result(),
        stderr: stderr.result(),
        durationMs: Math.round(performance.now() - started),
      });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

function boundedCapture(limit: number) {
  const chunks: Buffer[] = [];
  let kept = 0;
  let droppedBytes = 0;
  return {
    add: (chunk: Buffer) => {
      const room = limit - kept;
      if (room > 0) {
        const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
        chunks.push(part);
        kept += part.length;
      }
      droppedBytes += Math.max(0, chunk.length - Math.max(room, 0));
    },
    result: (): CapturedOutput => ({ text: Buffer.concat(chunks).toString('utf8'), droppedBytes }),
  };
}

/** POSIX single quotes: the URL reaches the client as one argument whatever it contains. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
