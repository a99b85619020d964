import { redactText } from '../../reports/redact.ts';
import type { FetchHandler, RecordedExchange } from '../network/types.ts';

/** Which of the scenario's servers answered. */
export type ScenarioServer = 'as' | 'mcp' | 'foreign';

/** Response bodies beyond this are clipped in evidence (the client still gets all of it). */
const EVIDENCE_BODY_LIMIT = 16 * 1024;

/**
 * One request the client made, as the checks judge it: the raw values (kept in memory only, never reported) and the
 * redacted exchange that becomes evidence.
 */
export interface ClientRequest {
  /** Order of arrival across all servers of the scenario, from 0. */
  index: number;
  server: ScenarioServer;
  method: string;
  url: URL;
  headers: Headers;
  body: string;
  /** The body's parameters when it is a form (application/x-www-form-urlencoded). */
  form?: URLSearchParams;
  /** The body when it is JSON. */
  json?: unknown;
  status?: number;
  responseHeaders?: Headers;
  responseBody?: string;
  evidence: RecordedExchange;
}

export interface TrafficRecorder {
  /** The handler, answering as before, with every exchange recorded in order. */
  wrap(server: ScenarioServer, handler: FetchHandler): FetchHandler;
  readonly requests: readonly ClientRequest[];
}

export function createTrafficRecorder(): TrafficRecorder {
  const requests: ClientRequest[] = [];
  return {
    requests,
    wrap: (server, handler) => async (request) => {
      const startedAt = new Date();
      const started = performance.now();
      const body = await request.text();
      const entry = parsedRequest(requests.length, server, request, body);
      requests.push(entry);
      const forwarded = new Request(request.url, {
        method: request.method,
        headers: request.headers,
        ...(body !== '' && request.method !== 'GET' && request.method !== 'HEAD' ? { body } : {}),
      });
      let response: Response;
      try {
        response = await handler(forwarded);
      } catch (error) {
        entry.evidence = exchange(entry, startedAt, started, { error: String(error) });
        throw error;
      }
      const responseBody = await response.clone().text();
      entry.status = response.status;
      entry.responseHeaders = response.headers;
      entry.responseBody = responseBody;
      entry.evidence = exchange(entry, startedAt, started, { response });
      return response;
    },
  };
}

function parsedRequest(index: number, server: ScenarioServer, request: Request, body: string): ClientRequest {
  const contentType = request.headers.get('content-type') ?? '';
  const entry: ClientRequest = {
    index,
    server,
    method: request.method,
    url: new URL(request.url),
    headers: new Headers(request.headers),
    body,
    evidence: { request: { method: request.method, url: request.url, headers: {} }, startedAt: '', durationMs: 0 },
  };
  if (contentType.includes('application/x-www-form-urlencoded')) entry.form = new URLSearchParams(body);
  if (contentType.includes('json')) entry.json = parseJson(body);
  return entry;
}

function exchange(
  entry: ClientRequest,
  startedAt: Date,
  started: number,
  outcome: { response: Response } | { error: string },
): RecordedExchange {
  const clippedBody = entry.responseBody?.slice(0, EVIDENCE_BODY_LIMIT);
  return {
    request: {
      method: entry.method,
      url: redactText(entry.url.href),
      headers: redactedHeaders(entry.headers),
      ...(entry.body !== '' ? { body: redactText(entry.body) } : {}),
    },
    ...('response' in outcome
      ? {
          response: {
            status: outcome.response.status,
            headers: redactedHeaders(outcome.response.headers),
            ...(clippedBody ? { body: redactText(clippedBody) } : {}),
          },
        }
      : { error: outcome.error }),
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
  };
}

/** Authorization keeps only its scheme and length; every other value loses embedded secrets. */
function redactedHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = name === 'authorization' ? redactedAuthorization(value) : redactText(value);
  });
  return out;
}

function redactedAuthorization(value: string): string {
  const [scheme = '', ...rest] = value.trim().split(/\s+/);
  return `${scheme} (${rest.join(' ').length} chars)…[redacted]`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
