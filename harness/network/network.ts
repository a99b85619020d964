import { AsyncLocalStorage } from 'node:async_hooks';
import type { Fetch, FetchHandler, RecordedExchange, RecordedRequest, RecordedResponse } from './types.ts';

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
  /**
   * Unrecorded answers of mounted handlers are passed through as given: not copied, not capped (the deadline still
   * holds for the answer itself). For simulations of the harness's own in-memory system, where copying every body
   * costs more than the handlers' work; never for networks that mount a target's code.
   */
  passMountedAnswersThrough?: boolean;
}

type ExchangeSink = RecordedExchange[];

const evidenceScope = new AsyncLocalStorage<ExchangeSink>();
const MAX_EVIDENCE_BODY = 16 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const utf8 = new TextDecoder();

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
  readonly #passMountedAnswersThrough: boolean;
  /** Fetch that records into the current evidence scope: what checks and the harness use. */
  readonly fetch: Fetch;
  /** Fetch for the system under test's own outbound calls (e.g. an RS fetching JWKS): routed, not check evidence. */
  readonly internalFetch: Fetch;

  constructor(options: NetworkOptions = {}) {
    for (const host of options.allowedHosts ?? []) this.#allowedHosts.add(host.toLowerCase());
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 2 * 1024 * 1024;
    this.maxRedirects = options.maxRedirects ?? 8;
    this.#passMountedAnswersThrough = options.passMountedAnswersThrough ?? false;
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
    let { request, body } = await readRequestOnce(input, init);
    const followRedirects = (init?.redirect ?? (input instanceof Request ? input.redirect : 'follow')) === 'follow';
    for (let hop = 0; ; hop++) {
      const response = await this.#exchange(request, body, recorded);
      const location = response.headers.get('location');
      if (!followRedirects || !REDIRECT_STATUSES.has(response.status) || !location) return response;
      if (hop >= this.maxRedirects) throw new NetworkError(`too many redirects (>${this.maxRedirects})`, request.url);
      const keepBody = response.status === 307 || response.status === 308;
      body = keepBody ? body : undefined;
      request = new Request(new URL(location, request.url), {
        method: keepBody ? request.method : 'GET',
        headers: request.headers,
        body,
        redirect: 'manual',
      });
    }
  }

  async #exchange(request: Request, body: RequestBody | undefined, recorded: boolean): Promise<Response> {
    const startedAt = Date.now();
    const recordedRequest = recorded ? describeRequest(request, body) : undefined;
    const passThrough = !recordedRequest && this.#passMountedAnswersThrough && this.isMounted(request.url);
    try {
      const { response, bytes } = await this.#respond(request, passThrough);
      if (recordedRequest && bytes) {
        this.#recordOutcome(recordedRequest, startedAt, { response: describeResponse(response, bytes) });
      }
      return response;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (recordedRequest) this.#recordOutcome(recordedRequest, startedAt, { error: message });
      throw error;
    }
  }

  #recordOutcome(
    request: RecordedRequest,
    startedAt: number,
    outcome: Pick<RecordedExchange, 'response' | 'error'>,
  ): void {
    this.record({
      request,
      ...outcome,
      startedAt: new Date(startedAt).toISOString(),
      durationMs: Date.now() - startedAt,
    });
  }

  /**
   * The answer with its whole body read (capped), both before one deadline that starts when the request is sent; passed
   * through, the answer as given (its body neither read nor capped), before the same deadline.
   */
  async #respond(request: Request, passThrough: boolean): Promise<{ response: Response; bytes?: Uint8Array }> {
    const substitute = await this.#applyFaults(request);
    const deadline = new Deadline(this.timeoutMs, request.url);
    try {
      const raw = substitute ?? (await this.#dispatch(request, deadline));
      if (passThrough) return { response: raw };
      return await readLimited(raw, { maxBytes: this.maxResponseBytes, deadline });
    } finally {
      deadline.clear();
    }
  }

  /** Planted faults in order: latency first, then a dropped connection or a substituted answer. */
  async #applyFaults(request: Request): Promise<Response | undefined> {
    for (const fault of this.#faults) {
      if (!fault.match(request)) continue;
      if (fault.latencyMs) await delay(fault.latencyMs);
      if (fault.drop) throw new NetworkError(`connection dropped (fault) for ${request.url}`, request.url);
      if (fault.respond) return fault.respond(request);
    }
    return undefined;
  }

  async #dispatch(request: Request, deadline: Deadline): Promise<Response> {
    const url = new URL(request.url);
    const handler = this.#routes.get(url.origin);
    if (handler) return deadline.within(handler(request), `no answer within ${this.timeoutMs} ms`);
    if (!this.#allowedHosts.has(url.host) && !this.#allowedHosts.has(url.hostname)) {
      throw new NetworkError(
        `refused to contact ${url.origin}: host not declared in the target (add it to "allowHosts")`,
        request.url,
      );
    }
    try {
      return await realFetch(request, { redirect: 'manual', signal: deadline.signal });
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

/** A request body as read once: it is both the forwarded body (again on a 307/308 hop) and the evidence. */
type RequestBody = string | Uint8Array<ArrayBuffer>;

/**
 * The request to forward and its body, read exactly once: a string or form body is taken as given, any other body
 * (a stream, a Blob, a Request's own) is read into bytes and the forwarded request is rebuilt from them.
 */
async function readRequestOnce(
  input: string | URL | Request,
  init: RequestInit | undefined,
): Promise<{ request: Request; body: RequestBody | undefined }> {
  const given = textOf(init?.body);
  const request = new Request(input, init);
  if (given !== undefined) return { request, body: given };
  if (!request.body) return { request, body: undefined };
  const bytes = new Uint8Array(await request.arrayBuffer());
  const rebuilt = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: bytes,
    redirect: request.redirect,
    signal: request.signal,
  });
  return { request: rebuilt, body: bytes };
}

/** The text of a body given as a string or as form parameters (as `fetch` serializes them); undefined otherwise. */
function textOf(body: BodyInit | null | undefined): string | undefined {
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  return undefined;
}

const LATE = Symbol('late');

/**
 * One timer per exchange: the handler's answer and its whole body must both arrive before it fires. A request sent
 * over the wire gets an abort signal from the same timer.
 */
class Deadline {
  readonly #late: Promise<typeof LATE>;
  #timer: NodeJS.Timeout | undefined;
  #controller: AbortController | undefined;

  constructor(
    ms: number,
    readonly url: string,
  ) {
    this.#late = new Promise((resolve) => {
      this.#timer = setTimeout(() => {
        resolve(LATE);
        this.#controller?.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError'));
      }, ms);
    });
  }

  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  /** What `work` gives, or a NetworkError saying `lateMessage` about the URL when the deadline passes first. */
  async within<T>(work: Promise<T>, lateMessage: string): Promise<T> {
    const outcome = await Promise.race([work, this.#late]);
    if (outcome === LATE) throw new NetworkError(`${this.url}: ${lateMessage}`, this.url);
    return outcome;
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

interface BodyLimits {
  maxBytes: number;
  /** The exchange's deadline (and its URL): a response whose body never ends is cut off when it passes. */
  deadline: Deadline;
}

const BODY_UNFINISHED = 'the response body did not end in time';

interface LimitedResponse {
  /** The answer rebuilt from the bytes read, for the caller to consume. */
  response: Response;
  bytes: Uint8Array<ArrayBuffer>;
}

async function readLimited(response: Response, limits: BodyLimits): Promise<LimitedResponse> {
  const bytes = await readCapped(response, limits);
  const nullBody = response.status === 204 || response.status === 304 || (response.status >= 300 && bytes.length === 0);
  const copy = new Response(nullBody ? null : bytes, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  return { response: copy, bytes };
}

async function readCapped(response: Response, limits: BodyLimits): Promise<Uint8Array<ArrayBuffer>> {
  if (!response.body) return new Uint8Array(new ArrayBuffer(0));
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await readBefore(reader, limits);
    if (done) break;
    total += value.byteLength;
    if (total > limits.maxBytes) {
      await reader.cancel().catch(() => {});
      const { url } = limits.deadline;
      throw new NetworkError(`${url}: response body larger than ${limits.maxBytes} bytes`, url);
    }
    chunks.push(value);
  }
  return concatenate(chunks, total);
}

function concatenate(chunks: Uint8Array[], total: number): Uint8Array<ArrayBuffer> {
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
  { deadline }: BodyLimits,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  try {
    return await deadline.within(reader.read(), BODY_UNFINISHED);
  } catch (error) {
    await reader.cancel().catch(() => {});
    if (error instanceof NetworkError) throw error;
    const { url } = deadline;
    // The wire request's abort signal may fire first and abort the body stream: the same verdict.
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new NetworkError(`${url}: ${BODY_UNFINISHED}`, url);
    }
    throw new NetworkError(
      `${url}: the response body broke off (${error instanceof Error ? error.message : String(error)})`,
      url,
    );
  }
}

function describeRequest(request: Request, body: RequestBody | undefined): RecordedRequest {
  const text = body === undefined ? '' : clip(typeof body === 'string' ? body : utf8.decode(body));
  return {
    method: request.method,
    url: request.url,
    headers: headersToRecord(request.headers),
    ...(text ? { body: text } : {}),
  };
}

function describeResponse(response: Response, bytes: Uint8Array): RecordedResponse {
  return { status: response.status, headers: headersToRecord(response.headers), body: clip(utf8.decode(bytes)) };
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
