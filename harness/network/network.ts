import { AsyncLocalStorage } from 'node:async_hooks';
import type { Fetch, FetchHandler, RecordedExchange, RecordedRequest } from './types.ts';

/** Why the harness refused or could not complete a request; the message names the URL. */
export class NetworkError extends Error {
  constructor(
    message: string,
    readonly url: string,
  ) {
    super(message);
    this.name = 'NetworkError';
  }
}

/** A planted fault: matched against each request before it reaches its handler or the wire. */
export interface Fault {
  match: (request: Request) => boolean;
  latencyMs?: number;
  /** Answer instead of the real handler (e.g. a 500, or malformed JSON). */
  respond?: (request: Request) => Response | Promise<Response>;
  /** Fail as if the connection dropped. */
  drop?: boolean;
}

export interface NetworkOptions {
  /** Hostnames (`host` or `host:port`) that may be reached over the real network. Loopback only unless declared. */
  allowedHosts?: Iterable<string>;
  timeoutMs?: number;
  maxResponseBytes?: number;
  maxRedirects?: number;
}

type ExchangeSink = RecordedExchange[];

const evidenceScope = new AsyncLocalStorage<ExchangeSink>();
const MAX_EVIDENCE_BODY = 16 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Runs `work` with every exchange made through any Network's recorded `fetch` collected into `sink`.
 * The runner wraps each check in one, so evidence is captured without the check assembling it.
 */
export function collectExchanges<T>(sink: ExchangeSink, work: () => Promise<T>): Promise<T> {
  return evidenceScope.run(sink, work);
}

/**
 * The harness's view of the world: origins mounted in memory (no ports, no TLS) and, for real targets, declared hosts
 * over the wire. Every exchange is recorded; timeouts, body-size limits, redirect limits and the host allow-list keep
 * a hostile target from hanging or steering the harness.
 */
export class Network {
  readonly #routes = new Map<string, FetchHandler>();
  readonly #allowedHosts = new Set<string>();
  readonly #faults = new Set<Fault>();
  readonly #listeners = new Set<(exchange: RecordedExchange) => void>();
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly maxRedirects: number;
  /** Fetch that records into the current evidence scope: what checks and the harness use. */
  readonly fetch: Fetch;
  /** Fetch for the system under test's own outbound calls (e.g. an RS fetching JWKS): routed, not check evidence. */
  readonly internalFetch: Fetch;

  constructor(options: NetworkOptions = {}) {
    for (const host of options.allowedHosts ?? []) this.#allowedHosts.add(host.toLowerCase());
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 2 * 1024 * 1024;
    this.maxRedirects = options.maxRedirects ?? 8;
    this.fetch = (input, init) => this.#fetch(input, init, true);
    this.internalFetch = (input, init) => this.#fetch(input, init, false);
  }

  /** Serve `handler` at `origin` (e.g. `https://as.reference.test`) in memory. */
  mount(origin: string, handler: FetchHandler): void {
    this.#routes.set(new URL(origin).origin, handler);
  }

  unmount(origin: string): void {
    this.#routes.delete(new URL(origin).origin);
  }

  isMounted(url: string | URL): boolean {
    return this.#routes.has(new URL(url).origin);
  }

  /** Dispatches a request to the in-memory handler of its origin, if any (used by the msw bridge). */
  async handleInMemory(request: Request): Promise<Response | undefined> {
    const handler = this.#routes.get(new URL(request.url).origin);
    return handler ? handler(request) : undefined;
  }

  allowHost(host: string): void {
    this.#allowedHosts.add(host.toLowerCase());
  }

  isAllowed(url: URL): boolean {
    return this.#routes.has(url.origin) || this.#allowedHosts.has(url.host) || this.#allowedHosts.has(url.hostname);
  }

  addFault(fault: Fault): () => void {
    this.#faults.add(fault);
    return () => this.#faults.delete(fault);
  }

  /** Records an exchange made outside this network's fetch (e.g. by a browser) as evidence of the current scope. */
  record(exchange: RecordedExchange): void {
    evidenceScope.getStore()?.push(exchange);
    for (const listener of this.#listeners) listener(exchange);
  }

  onExchange(listener: (exchange: RecordedExchange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #fetch(input: string | URL | Request, init: RequestInit | undefined, recorded: boolean): Promise<Response> {
    let request = new Request(input, init);
    const followRedirects = (init?.redirect ?? (input instanceof Request ? input.redirect : 'follow')) === 'follow';
    for (let hop = 0; ; hop++) {
      const response = await this.#exchange(request, recorded);
      const location = response.headers.get('location');
      if (!followRedirects || !REDIRECT_STATUSES.has(response.status) || !location) return response;
      if (hop >= this.maxRedirects) throw new NetworkError(`too many redirects (>${this.maxRedirects})`, request.url);
      const next = new URL(location, request.url);
      const keepBody = response.status === 307 || response.status === 308;
      request = new Request(next, {
        method: keepBody ? request.method : 'GET',
        headers: request.headers,
        body: keepBody ? await request.clone().arrayBuffer() : undefined,
        redirect: 'manual',
      });
    }
  }

  async #exchange(request: Request, recorded: boolean): Promise<Response> {
    const url = new URL(request.url);
    const startedAt = Date.now();
    const recordedRequest = await describeRequest(request);
    const finish = (exchange: Omit<RecordedExchange, 'request' | 'startedAt' | 'durationMs'>) => {
      if (!recorded) return;
      const entry: RecordedExchange = {
        request: recordedRequest,
        ...exchange,
        startedAt: new Date(startedAt).toISOString(),
        durationMs: Date.now() - startedAt,
      };
      this.record(entry);
    };
    try {
      const raw = await this.#dispatch(request, url);
      const { response, body } = await limitBody(raw, {
        maxBytes: this.maxResponseBytes,
        deadline: startedAt + this.timeoutMs,
        url: request.url,
      });
      finish({
        response: { status: response.status, headers: headersToRecord(response.headers), body: clip(body) },
      });
      return response;
    } catch (error) {
      finish({ error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  }

  async #dispatch(request: Request, url: URL): Promise<Response> {
    for (const fault of this.#faults) {
      if (!fault.match(request)) continue;
      if (fault.latencyMs) await delay(fault.latencyMs);
      if (fault.drop) throw new NetworkError(`connection dropped (fault) for ${request.url}`, request.url);
      if (fault.respond) return fault.respond(request);
    }
    const handler = this.#routes.get(url.origin);
    if (handler) return withTimeout(handler(request), this.timeoutMs, request.url);
    if (!this.#allowedHosts.has(url.host) && !this.#allowedHosts.has(url.hostname)) {
      throw new NetworkError(
        `refused to contact ${url.origin}: host not declared in the target (add it to "allowHosts")`,
        request.url,
      );
    }
    try {
      return await realFetch(request, { redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const reason = describeFetchFailure(error, this.timeoutMs);
      throw new NetworkError(`${request.method} ${request.url} failed: ${reason}`, request.url);
    }
  }
}

/** The platform fetch captured at load time, before any msw bridge patches the global. */
const realFetch: Fetch = globalThis.fetch.bind(globalThis);

function describeFetchFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}

async function withTimeout<T>(work: Promise<T>, ms: number, url: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NetworkError(`${url}: no answer within ${ms} ms`, url)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface BodyLimits {
  maxBytes: number;
  /** Epoch ms by which the whole body must have arrived (a response that never ends is cut off). */
  deadline: number;
  url: string;
}

async function limitBody(response: Response, limits: BodyLimits): Promise<{ response: Response; body: string }> {
  const bytes = await readCapped(response, limits);
  const nullBody = response.status === 204 || response.status === 304 || (response.status >= 300 && bytes.length === 0);
  const copy = new Response(nullBody ? null : bytes, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  return { response: copy, body: new TextDecoder().decode(bytes) };
}

async function readCapped(
  response: Response,
  { maxBytes, deadline, url }: BodyLimits,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!response.body) return new Uint8Array(new ArrayBuffer(0));
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await readBefore(reader, deadline, url);
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new NetworkError(`${url}: response body larger than ${maxBytes} bytes`, url);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(new ArrayBuffer(total));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** One read of the body, or a NetworkError when the deadline passes first (the stream is then cancelled). */
async function readBefore(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  deadline: number,
  url: string,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new NetworkError(`${url}: the response body did not end in time`, url)),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([reader.read(), late]);
  } catch (error) {
    await reader.cancel().catch(() => {});
    if (error instanceof NetworkError) throw error;
    // The request's own timeout signal may fire first and abort the body stream: the same verdict.
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new NetworkError(`${url}: the response body did not end in time`, url);
    }
    throw new NetworkError(
      `${url}: the response body broke off (${error instanceof Error ? error.message : String(error)})`,
      url,
    );
  } finally {
    clearTimeout(timer);
  }
}

async function describeRequest(request: Request): Promise<RecordedRequest> {
  const body = request.body ? clip(await request.clone().text()) : undefined;
  return {
    method: request.method,
    url: request.url,
    headers: headersToRecord(request.headers),
    ...(body ? { body } : {}),
  };
}

function headersToRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

function clip(text: string): string {
  return text.length > MAX_EVIDENCE_BODY ? `${text.slice(0, MAX_EVIDENCE_BODY)}… [${text.length} chars]` : text;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
