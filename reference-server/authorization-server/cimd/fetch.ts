/**
 * Retrieval of a Client ID Metadata Document (CIMD §4): one GET, no redirects followed, 200 only, JSON only, at most
 * `maxBytes` read from the wire (whatever Content-Length claims), within `timeoutMs`.
 */
import type { Fetch } from '../../../harness/network/types.ts';
import { readCappedBytes } from '../http.ts';
import { addressProblem, type HostPolicy } from './address.ts';

/** Why a document (or a key set it points to) was not accepted; the client stays unknown. */
export class DocumentRejected extends Error {
  override name = 'DocumentRejected';
}

export interface RetrievalRules {
  fetch: Fetch;
  hosts: HostPolicy;
  maxBytes: number;
  timeoutMs: number;
  /** Defect switches: each relaxes exactly one rule. */
  followRedirects: boolean;
  anyStatus: boolean;
  anyContentType: boolean;
  unlimitedSize: boolean;
  noTimeout: boolean;
}

export interface RetrievedJson {
  body: unknown;
  cacheControl: string | null;
}

/** CIMD §4.1: `application/json`, or a more specific `application/<something>+json`. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json$/i;

function isJsonMediaType(contentType: string | null): boolean {
  const essence = contentType?.split(';')[0]?.trim() ?? '';
  return JSON_MEDIA_TYPE.test(essence);
}

/** Reads at most `maxBytes` of the body, cancelling the stream as soon as it grows past the cap. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new DocumentRejected(`the document declares ${declared} bytes; at most ${maxBytes} are accepted`);
  }
  const bytes = await readCappedBytes(response.body, maxBytes);
  if (bytes === undefined) throw new DocumentRejected(`the document is larger than ${maxBytes} bytes`);
  return new TextDecoder().decode(bytes);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new DocumentRejected('the document is not valid JSON');
  }
}

async function exchange(url: URL, rules: RetrievalRules, signal: AbortSignal): Promise<RetrievedJson> {
  const response = await rules.fetch(url.href, {
    headers: { Accept: 'application/json' },
    // CIMD §4: redirects are never followed; a 3xx is just another non-200 answer.
    redirect: rules.followRedirects ? 'follow' : 'manual',
    signal,
  });
  if (response.status !== 200 && !rules.anyStatus) {
    await response.body?.cancel();
    throw new DocumentRejected(`the document URL answered ${response.status}; only 200 is success (CIMD §4)`);
  }
  const contentType = response.headers.get('content-type');
  if (!isJsonMediaType(contentType) && !rules.anyContentType) {
    await response.body?.cancel();
    throw new DocumentRejected(`the document is served as "${contentType ?? 'no content type'}", not JSON`);
  }
  const text = await readCapped(response, rules.unlimitedSize ? Number.POSITIVE_INFINITY : rules.maxBytes);
  return { body: parseJson(text), cacheControl: response.headers.get('cache-control') };
}

/** Rejects after `ms`, aborting the request; the race also ends fetches that ignore the abort signal. */
function withDeadline<T>(work: (signal: AbortSignal) => Promise<T>, ms: number, url: URL): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new DocumentRejected(`${url.href} did not answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([work(controller.signal), deadline]).finally(() => clearTimeout(timer));
}

/** CIMD §4 and §6: fetches a JSON document, refusing special-use addresses before any request is made. */
export async function retrieveJson(url: URL, rules: RetrievalRules): Promise<RetrievedJson> {
  if (url.protocol !== 'https:') throw new DocumentRejected(`${url.href} is not an https URL`);
  const refusal = await addressProblem(url, rules.hosts);
  if (refusal) throw new DocumentRejected(`refused to fetch ${url.href}: ${refusal}`);
  try {
    if (rules.noTimeout) return await exchange(url, rules, new AbortController().signal);
    return await withDeadline((signal) => exchange(url, rules, signal), rules.timeoutMs, url);
  } catch (thrown) {
    if (thrown instanceof DocumentRejected) throw thrown;
    const reason = thrown instanceof Error ? thrown.message : String(thrown);
    throw new DocumentRejected(`fetching ${url.href} failed: ${reason}`);
  }
}
