import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { freeLoopbackPorts } from '../../harness/network/serve.ts';
import type { TargetFileInput } from '../../harness/target.ts';

export interface McpSdkDemoPeer {
  /** `http://localhost:PORT/mcp`, exactly as the demo names itself in its protected resource metadata. */
  resource: string;
  /** `http://localhost:PORT/`, exactly as its authorization server advertises itself (with the trailing slash). */
  issuer: string;
  close(): Promise<void>;
}

/** The demo serves one scope; its authorization endpoint approves every request at once (no login, no consent). */
const DEMO_SCOPE = 'mcp:tools';
/** A tool of the demo that needs no argument (the harness calls tools with arguments of its own choosing). */
const DEMO_TOOL = 'list-files';
const DEMO_SCRIPT = '@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 3_000;
const POLL_INTERVAL_MS = 100;
const OUTPUT_TAIL_CHARS = 2_000;

/**
 * The v1 MCP TypeScript SDK's example server (`simpleStreamableHttp.js`), shipped in `@modelcontextprotocol/sdk`.
 * `undefined` when the package or the example is not installed.
 */
export function mcpSdkDemoPath(): string | undefined {
  const searched = createRequire(import.meta.url).resolve.paths('@modelcontextprotocol/sdk') ?? [];
  return searched.map((modules) => join(modules, DEMO_SCRIPT)).find((path) => existsSync(path));
}

/**
 * Starts the SDK demo, unmodified, as a child process: `--oauth` adds its demo authorization server (DCR, an authorize
 * endpoint that approves at once, opaque tokens checked by introspection), `--oauth-strict` makes the MCP server accept
 * only tokens issued for itself. Resolves once both its AS metadata and its protected resource metadata answer.
 */
export async function startMcpSdkDemo(options: { strict?: boolean } = {}): Promise<McpSdkDemoPeer> {
  const script = mcpSdkDemoPath();
  if (!script) throw new Error('the MCP SDK demo server is not installed (npm install @modelcontextprotocol/sdk)');
  const [mcpPort, authPort] = await freeLoopbackPorts(2);
  const flags = options.strict === false ? ['--oauth'] : ['--oauth', '--oauth-strict'];
  const child = spawn(process.execPath, [script, ...flags], {
    env: { ...process.env, MCP_PORT: String(mcpPort), MCP_AUTH_PORT: String(authPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = tailOf(child);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const close = async () => {
    process.off('exit', killOnExit);
    await stopChild(child);
  };
  const peer: McpSdkDemoPeer = {
    resource: `http://localhost:${mcpPort}/mcp`,
    issuer: `http://localhost:${authPort}/`,
    close,
  };
  try {
    await untilAnswering(child, output, [
      `${peer.issuer}.well-known/oauth-authorization-server`,
      `http://localhost:${mcpPort}/.well-known/oauth-protected-resource/mcp`,
    ]);
  } catch (error) {
    await close();
    throw error;
  }
  return peer;
}

/**
 * A target file for the demo: the harness registers its own clients (DCR) and "logs in" by following the authorize
 * redirect, since the demo approves without a page.
 */
export function mcpSdkDemoTarget(
  peer: Pick<McpSdkDemoPeer, 'resource' | 'issuer'>,
  overrides: Partial<TargetFileInput> = {},
): TargetFileInput {
  return {
    name: 'mcp-sdk-demo (v1 SDK)',
    resource: peer.resource,
    issuer: peer.issuer,
    allowInsecureHttp: true,
    scopes: { basic: DEMO_SCOPE },
    tools: { basic: DEMO_TOOL },
    login: { mode: 'auto' },
    suites: ['discovery', 'registration', 'pkce', 'authorization-code', 'resource-server'],
    ...overrides,
  };
}

/** The last characters the child wrote, kept for the error message when it does not start. */
function tailOf(child: ChildProcess): () => string {
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail.trim();
}

async function untilAnswering(child: ChildProcess, output: () => string, urls: string[]): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const pending = new Set(urls);
  while (pending.size > 0) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the MCP SDK demo exited (${child.exitCode ?? child.signalCode}) before answering:\n${output()}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the MCP SDK demo did not answer ${[...pending].join(', ')} within ${START_TIMEOUT_MS} ms:\n${output()}`,
      );
    }
    for (const url of pending) if (await answers(url)) pending.delete(url);
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** SIGTERM (the demo handles only SIGINT, so this ends it at once), then SIGKILL if it lingers. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const stopped = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), STOP_TIMEOUT_MS).unref()),
  ]);
  if (!stopped) {
    child.kill('SIGKILL');
    await exited;
  }
}
