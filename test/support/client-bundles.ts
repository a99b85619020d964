/**
 * The mock MCP clients as single-file bundles, built once before the tests: client-mode tests start a client process
 * per scenario, and a bundle starts in a fraction of the time tsx needs to compile the client's module graph.
 */
import { mkdir, rename } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = new URL('../../', import.meta.url);
const BUNDLE_DIR = new URL('node_modules/.cache/mcp-auth-conformance/clients/', ROOT);

/** The command-line clients of mocks/clients/bin that tests run as processes. */
export const BUNDLED_CLIENTS = ['good-client', 'misbehaving-client', 'sdk-client'] as const;
export type BundledClient = (typeof BUNDLED_CLIENTS)[number];

/** `node <bundle>`: the client as a command line (valid once `setup` has run). */
export function bundledClientCommand(client: BundledClient): string {
  return `${JSON.stringify(process.execPath)} ${JSON.stringify(fileURLToPath(bundlePath(client)))}`;
}

function bundlePath(client: BundledClient): URL {
  return new URL(`${client}.mjs`, BUNDLE_DIR);
}

/** vitest globalSetup: bundles every client (written beside, then renamed, so a reader never sees half a file). */
export async function setup(): Promise<void> {
  await mkdir(BUNDLE_DIR, { recursive: true });
  await Promise.all(BUNDLED_CLIENTS.map((client) => bundle(client)));
}

async function bundle(client: BundledClient): Promise<void> {
  const target = fileURLToPath(bundlePath(client));
  const partial = `${target}.${process.pid}.partial`;
  await build({
    entryPoints: [fileURLToPath(new URL(`mocks/clients/bin/${client}.ts`, ROOT))],
    outfile: partial,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // Bundled CommonJS dependencies still call require() for Node built-ins.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  await rename(partial, target);
}
