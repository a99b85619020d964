/** Generic HTTP connector: one templated request, its JSON response mapped into `connectors.<name>`. */

import { renderHeader, renderJson, renderUrl } from './templates.ts';
import type {
  ConnectorResponse,
  ConnectorStep,
  FlowContext,
  FlowDeps,
  JsonValue,
  MissingValuePolicy,
} from './types.ts';
import { FlowError } from './types.ts';

const MAX_TIMEOUT_MS = 30_000;

export async function callConnector(
  step: ConnectorStep,
  context: FlowContext,
  fetch: FlowDeps['fetch'],
  onMissing: MissingValuePolicy,
): Promise<ConnectorResponse> {
  const request = buildRequest(step, context, onMissing);
  const signal = AbortSignal.timeout(Math.min(step.timeoutMs, MAX_TIMEOUT_MS));
  return withinDeadline(exchange(request, fetch, signal), signal, step);
}

function buildRequest(step: ConnectorStep, context: FlowContext, onMissing: MissingValuePolicy) {
  const url = parseHttpUrl(renderUrl(step.url, context, onMissing), step);
  const headers = new Headers();
  for (const [name, template] of Object.entries(step.headers ?? {})) {
    headers.set(name, renderHeader(template, context, onMissing));
  }
  let body: string | undefined;
  if (step.body !== undefined) {
    body = JSON.stringify(renderJson(step.body, context, onMissing));
    headers.set('content-type', 'application/json');
  }
  return { url, method: step.method, headers, body };
}

function parseHttpUrl(text: string, step: ConnectorStep): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FlowError(`connector ${step.name}: URL ${JSON.stringify(text)} is not absolute`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new FlowError(`connector ${step.name}: URL must be http(s) (got ${url.protocol})`);
  }
  return url;
}

interface PreparedRequest {
  url: URL;
  method: string;
  headers: Headers;
  body: string | undefined;
}

async function exchange(request: PreparedRequest, fetch: FlowDeps['fetch'], signal: AbortSignal) {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal,
    redirect: 'manual',
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

/** Seed 000 connectors: network errors, timeouts, 5xx and non-JSON replies are flow errors, never crashes. */
async function withinDeadline(
  pending: Promise<{ status: number; contentType: string; text: string }>,
  signal: AbortSignal,
  step: ConnectorStep,
): Promise<ConnectorResponse> {
  const aborted = new Promise<never>((_, reject) => {
    signal.addEventListener(
      'abort',
      () => reject(new FlowError(`connector ${step.name}: timed out after ${step.timeoutMs} ms`)),
      {
        once: true,
      },
    );
  });
  aborted.catch(() => {});
  let raw: { status: number; contentType: string; text: string };
  try {
    raw = await Promise.race([pending, aborted]);
  } catch (error) {
    if (error instanceof FlowError) throw error;
    if (signal.aborted) throw new FlowError(`connector ${step.name}: timed out after ${step.timeoutMs} ms`);
    throw new FlowError(
      `connector ${step.name}: request failed (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (raw.status >= 500) throw new FlowError(`connector ${step.name}: server error ${raw.status}`);
  return { status: raw.status, body: parseBody(raw.text, raw.contentType, step) };
}

function parseBody(text: string, contentType: string, step: ConnectorStep): JsonValue {
  if (text === '') return null;
  if (!/^application\/([a-z0-9.+-]*\+)?json\b/i.test(contentType.trim())) {
    throw new FlowError(
      `connector ${step.name}: expected a JSON response, got content-type ${JSON.stringify(contentType)}`,
    );
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new FlowError(`connector ${step.name}: response body is not valid JSON`);
  }
}
