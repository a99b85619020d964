import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { createReferenceSystem } from '../reference-server/system.ts';
import type { Benchmark, BenchOptions, TargetOutcome } from './benchmark.ts';
import { createLoadGenerator, type LoadGenerator, type LoadRequest } from './load.ts';
import { type Contender, measureInterleaved, type RateResult } from './rate.ts';
import { median } from './stats.ts';
import { formatTable } from './table.ts';
import { type ServerKind, type ServerProcess, startServerProcess, type TokenEndpoint } from './token-servers.ts';

/**
 * client_credentials tokens per second: the reference AS (in memory, and on 127.0.0.1) against node-oidc-provider on
 * 127.0.0.1 with the same key type (ES256 JWT access tokens, RFC 9068 style), and against the rate at which jose alone
 * signs a similar ES256 JWT on this machine (the ceiling: a token endpoint does at least that much work).
 */

/** Concurrent signing promises for the ceiling's second row (WebCrypto signs on libuv's thread pool). */
const CEILING_CONCURRENCY = 4;
/** The loopback servers are loaded in turn in this many slices each; the best slice of each is its rate. */
const LOOPBACK_ROUNDS = 5;
/** In-process contenders are measured in this many alternating slices; the best slice of each counts. */
const IN_PROCESS_ROUNDS = 3;
const CEILING_LABEL = 'jose SignJWT ES256 (ceiling)';
const IN_MEMORY_LABEL = 'reference AS in memory (handler)';
/** Load before each measured loopback run, uncounted (connections open, code paths warm). */
const WARM_UP_MS = 500;
/** Issue 8: the reference AS issues ≥ 1.5× the tokens/s of oidc-provider and ≥ 70 % of the jose ceiling. */
const TARGET_VERSUS_PEER = 1.5;
const TARGET_SHARE_OF_CEILING = 70;

interface Row {
  label: string;
  concurrency: number;
  rate: RateResult;
  /** Share of one core the server process used while measured (loopback rows only). */
  serverCpuPercent?: number;
  /** The server process's CPU time per token issued, in µs (loopback rows only). */
  serverCpuMicrosPerToken?: number;
}

/** RFC 6749 §4.4.2 with client_secret_basic (§2.3.1: id and secret form-urlencoded before base64). */
export function clientCredentialsRequest(endpoint: TokenEndpoint): LoadRequest {
  const basic = `${encodeURIComponent(endpoint.clientId)}:${encodeURIComponent(endpoint.clientSecret)}`;
  const form = new URLSearchParams({ grant_type: 'client_credentials', scope: endpoint.scope });
  if (endpoint.resource) form.set('resource', endpoint.resource);
  return {
    url: endpoint.tokenUrl,
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(basic).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: form.toString(),
  };
}

/** The jose ceiling: an ES256 JWT with the claims of an RFC 9068 access token, signed in a loop. */
async function joseCeiling(): Promise<Contender[]> {
  const { privateKey } = await generateKeyPair('ES256');
  const sign = async () => {
    const now = Math.floor(Date.now() / 1000);
    await new SignJWT({ client_id: 'reference-m2m-client', scope: 'mcp:tools', jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'TJ84XaW1Lr0Xd2feYdWR-MZPm9IWB_Do232NYZKFByg' })
      .setIssuer('https://as.reference.test')
      .setSubject('reference-m2m-client')
      .setAudience('https://mcp.reference.test/mcp')
      .setIssuedAt(now)
      .setExpirationTime(now + 900)
      .sign(privateKey);
    return true;
  };
  return [1, CEILING_CONCURRENCY].map((concurrency) => ({ label: CEILING_LABEL, operation: sign, concurrency }));
}

/** The reference AS's fetch handler called directly: the AS's own cost, no HTTP. */
async function referenceInMemory(options: BenchOptions): Promise<Contender[]> {
  const system = await createReferenceSystem({ interaction: 'auto-approve' });
  const handler = system.handlers.get(new URL(system.issuer).origin);
  if (!handler) throw new Error('the reference system has no handler for its issuer');
  const endpoint: TokenEndpoint = {
    tokenUrl: `${system.issuer}/token`,
    clientId: system.clients.m2m.client_id,
    clientSecret: system.clients.m2m.client_secret,
    resource: system.resource,
    scope: system.scopes.basic,
  };
  const template = clientCredentialsRequest(endpoint);
  const issue = async () => {
    const response = await handler(new Request(template.url, template));
    await response.arrayBuffer();
    return response.status === 200;
  };
  return [1, options.inFlight].map((concurrency) => ({ label: IN_MEMORY_LABEL, operation: issue, concurrency }));
}

/** The ceiling and the in-memory AS, measured in alternating slices; one row per contender. */
async function inProcessRows(options: BenchOptions): Promise<Row[]> {
  const contenders = [...(await joseCeiling()), ...(await referenceInMemory(options))];
  const rates = await measureInterleaved(contenders, { rounds: IN_PROCESS_ROUNDS, durationMs: options.durationMs });
  return contenders.map((contender, index) => ({
    label: contender.label,
    concurrency: contender.concurrency,
    rate: rates[index]!,
  }));
}

const LOOPBACK_LABELS: Record<ServerKind, string> = {
  static: 'HTTP floor: fixed JSON, same listener',
  reference: 'reference AS on 127.0.0.1',
  'oidc-provider': 'node-oidc-provider on 127.0.0.1',
};
const LOOPBACK_KINDS: ServerKind[] = ['static', 'reference', 'oidc-provider'];

/** A server in its own process with a load generator of its own, and one token it issued. */
interface LoadedServer {
  kind: ServerKind;
  server: ServerProcess;
  load: LoadGenerator;
  token?: string;
}

async function startLoaded(kind: ServerKind, options: BenchOptions): Promise<LoadedServer> {
  const server = await startServerProcess(kind);
  const request = clientCredentialsRequest(server.endpoint);
  const sample = await fetch(request.url, request);
  const body = (await sample.json().catch(() => ({}))) as { access_token?: unknown };
  if (kind !== 'static' && sample.status !== 200) {
    await server.stop();
    throw new Error(`${LOOPBACK_LABELS[kind]} answered ${sample.status}: ${JSON.stringify(body)}`);
  }
  const load = createLoadGenerator(request, options.inFlight);
  await load.run(WARM_UP_MS);
  return { kind, server, load, ...(typeof body.access_token === 'string' ? { token: body.access_token } : {}) };
}

/** One slice of load on one server, with the CPU time its process spent meanwhile. */
async function loadSlice(loaded: LoadedServer, options: BenchOptions, sliceMs: number): Promise<Row> {
  const before = await loaded.server.usage();
  const started = performance.now();
  const rate = await loaded.load.run(sliceMs);
  const after = await loaded.server.usage();
  const serverCpuMicros = after.cpuMicros - before.cpuMicros;
  return {
    label: LOOPBACK_LABELS[loaded.kind],
    concurrency: options.inFlight,
    rate,
    serverCpuPercent: (serverCpuMicros / 1000 / (performance.now() - started)) * 100,
    serverCpuMicrosPerToken: serverCpuMicros / Math.max(1, rate.succeeded),
  };
}

/**
 * The three servers run side by side, each in its own process, and are loaded in turn in short slices (floor,
 * reference, peer, floor, …), so other work on the machine hits them alike; every slice is kept.
 */
async function loopbackSlices(options: BenchOptions): Promise<{ slices: Row[][]; tokens: Map<ServerKind, string> }> {
  const servers: LoadedServer[] = [];
  try {
    for (const kind of LOOPBACK_KINDS) servers.push(await startLoaded(kind, options));
    const slices: Row[][] = servers.map(() => []);
    const sliceMs = options.durationMs / LOOPBACK_ROUNDS;
    for (let round = 0; round < LOOPBACK_ROUNDS; round++) {
      for (const [index, loaded] of servers.entries()) slices[index]!.push(await loadSlice(loaded, options, sliceMs));
    }
    const tokens = new Map(servers.flatMap((loaded) => (loaded.token ? [[loaded.kind, loaded.token] as const] : [])));
    return { slices, tokens };
  } finally {
    for (const loaded of servers) loaded.load.close();
    await Promise.all(servers.map((loaded) => loaded.server.stop()));
  }
}

/** How comparable two access tokens are: header, claim names and size. */
function describeToken(label: string, token: string | undefined): string {
  if (!token) return `${label}: no token\n`;
  try {
    const header = decodeProtectedHeader(token);
    const claims = Object.keys(decodeJwt(token)).sort().join(' ');
    return `${label}: alg=${header.alg} typ=${header.typ} ${token.length} chars; claims: ${claims}\n`;
  } catch {
    return `${label}: not a JWT (${token.length} chars)\n`;
  }
}

function best(rows: Row[]): Row {
  return rows.reduce((top, row) => (row.rate.perSecond > top.rate.perSecond ? row : top));
}

function rowCells(row: Row): string[] {
  const ms = (value: number | undefined) => (value === undefined ? '' : value.toFixed(2));
  return [
    row.label,
    String(row.concurrency),
    row.rate.perSecond.toFixed(0),
    String(row.rate.failed),
    ms(row.rate.p50Ms),
    ms(row.rate.p99Ms),
    row.serverCpuPercent === undefined ? '' : row.serverCpuPercent.toFixed(0),
    cpuPerToken(row).toFixed(0),
  ];
}

/** CPU µs per token: the server process's for loopback rows, this process's (all threads) for in-process rows. */
function cpuPerToken(row: Row): number {
  return row.serverCpuMicrosPerToken ?? row.rate.cpuMicrosPerSuccess;
}

function leanest(rows: Row[]): number {
  return Math.min(...rows.map(cpuPerToken));
}

export const tokensBenchmark: Benchmark = {
  name: 'tokens',
  title: 'client_credentials tokens/s: reference AS vs node-oidc-provider vs the jose ES256 ceiling',
  async run(options) {
    const inProcess = await inProcessRows(options);
    const ceiling = inProcess.filter((row) => row.label === CEILING_LABEL);
    const inMemory = inProcess.filter((row) => row.label === IN_MEMORY_LABEL);
    const { slices, tokens } = await loopbackSlices(options);
    const [floor = [], reference = [], peer = []] = slices;
    const pairRatios = reference.map((row, round) => row.rate.perSecond / (peer[round]?.rate.perSecond ?? Number.NaN));
    const rows = [...ceiling, ...inMemory, best(floor), best(reference), best(peer)];
    options.write(
      formatTable(
        ['what', 'in flight', 'tokens/s', 'failed', 'p50 ms', 'p99 ms', 'server CPU %', 'CPU µs/token'],
        rows.map(rowCells),
      ),
    );
    options.write(describeToken('reference AS token', tokens.get('reference')));
    options.write(describeToken('oidc-provider token', tokens.get('oidc-provider')));
    const ceilingRate = best(ceiling).rate.perSecond;
    const referenceRate = best(reference).rate.perSecond;
    const peerRate = best(peer).rate.perSecond;
    options.write(
      `best of ${LOOPBACK_ROUNDS} alternating slices: reference ${referenceRate.toFixed(0)}/s, ` +
        `oidc-provider ${peerRate.toFixed(0)}/s; reference ÷ oidc-provider slice by slice: ` +
        `${pairRatios.map((ratio) => ratio.toFixed(2)).join(' ')} (median ${median(pairRatios).toFixed(2)}); reference in memory at ${((best(inMemory).rate.perSecond / ceilingRate) * 100).toFixed(0)} % of the ceiling\n` +
        `by CPU time per token (less sensitive to other load): oidc-provider ÷ reference ${(leanest(peer) / leanest(reference)).toFixed(2)}×; ` +
        `jose sign ÷ reference on 127.0.0.1 ${((leanest(ceiling) / leanest(reference)) * 100).toFixed(0)} %; ` +
        `jose sign ÷ reference in memory ${((leanest(ceiling) / leanest(inMemory)) * 100).toFixed(0)} %\n`,
    );
    const outcomes: TargetOutcome[] = [
      {
        benchmark: 'tokens',
        figure: 'reference AS ÷ oidc-provider (127.0.0.1), median of slices',
        measured: median(pairRatios),
        target: TARGET_VERSUS_PEER,
        unit: '×',
        direction: 'at-least',
      },
      {
        benchmark: 'tokens',
        figure: 'reference AS (127.0.0.1) ÷ jose ceiling',
        measured: (referenceRate / ceilingRate) * 100,
        target: TARGET_SHARE_OF_CEILING,
        unit: '%',
        direction: 'at-least',
      },
    ];
    return outcomes;
  },
};
