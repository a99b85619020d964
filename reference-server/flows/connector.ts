/** Generic HTTP connector: one templated request, its JSON response mapped into `connectors.<name>`. */

import { hasDefect } from './defects.ts';
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

/** A connector's answer, and whether a deliberate defect turned a failed call into this answer. */
export interface ConnectorCall {
  response: ConnectorResponse;
  failureAccepted: boolean;
}

type ConnectorDeps = Pick<FlowDeps, 'fetch' | 'defects'>;

export async function callConnector(
  step: ConnectorStep,
  context: FlowContext,
  deps: ConnectorDeps,
  onMissing: MissingValuePolicy,
): Promise<ConnectorCall> {
  const request = buildRequest(step, context, onMissing);
  const signal = AbortSignal.timeout(Math.min(step.timeoutMs, MAX_TIMEOUT_MS));
  let raw: RawAnswer;
  try {
    raw = await withinDeadline(exchange(request, deps.fetch, signal), signal, step);
  } catch (error) {
    if (error instanceof ConnectorTimeout && hasDefect(deps, 'connector-timeout-ignored')) {
      return { response: { status: 200, body: null }, failureAccepted: true };
    }
    throw error;
  }
  return interpret(raw, step, deps);
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
interface RawAnswer {
  status: number;
  contentType: string;
  text: string;
}

class ConnectorTimeout extends FlowError {}

async function withinDeadline(
  pending: Promise<RawAnswer>,
  signal: AbortSignal,
  step: ConnectorStep,
): Promise<RawAnswer> {
  const timedOut = () => new ConnectorTimeout(`connector ${step.name}: timed out after ${step.timeoutMs} ms`);
  const aborted = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(timedOut()), { once: true });
  });
  aborted.catch(() => {});
  try {
    return await Promise.race([pending, aborted]);
  } catch (error) {
    if (error instanceof FlowError) throw error;
    if (signal.aborted) throw timedOut();
    throw new FlowError(
      `connector ${step.name}: request failed (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/** Seed 000 connectors: 5xx and non-JSON replies are flow errors; a 4xx is an answer the flow's conditions judge. */
function interpret(raw: RawAnswer, step: ConnectorStep, deps: ConnectorDeps): ConnectorCall {
  if (raw.status >= 500) {
    if (!hasDefect(deps, 'connector-5xx-treated-as-success')) {
      throw new FlowError(`connector ${step.name}: server error ${raw.status}`);
    }
    return { response: { status: 200, body: parseLeniently(raw.text) }, failureAccepted: true };
  }
  let body: JsonValue;
  let failureAccepted = false;
  try {
    body = parseBody(raw, step, deps);
  } catch (error) {
    if (!(error instanceof MalformedJson && hasDefect(deps, 'connector-malformed-json-accepted'))) throw error;
    body = {};
    failureAccepted = true;
  }
  if (raw.status >= 400 && raw.status < 500 && hasDefect(deps, 'invalid-credentials-accepted')) {
    return { response: { status: 200, body }, failureAccepted: true };
  }
  return { response: { status: raw.status, body }, failureAccepted };
}

class MalformedJson extends FlowError {}

function parseBody(raw: RawAnswer, step: ConnectorStep, deps: ConnectorDeps): JsonValue {
  if (raw.text === '') return null;
  const labelledJson = /^application\/([a-z0-9.+-]*\+)?json\b/i.test(raw.contentType.trim());
  if (!labelledJson && !hasDefect(deps, 'connector-content-type-unchecked')) {
    throw new FlowError(
      `connector ${step.name}: expected a JSON response, got content-type ${JSON.stringify(raw.contentType)}`,
    );
  }
  try {
    return JSON.parse(raw.text) as JsonValue;
  } catch {
    throw new MalformedJson(`connector ${step.name}: response body is not valid JSON`);
  }
}

function parseLeniently(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return null;
  }
}
