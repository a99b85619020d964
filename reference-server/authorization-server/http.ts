import { randomFillSync, timingSafeEqual } from 'node:crypto';
import { OAuthError } from './errors.ts';

/** Upper bound on any request body the server reads (registration documents, token and login forms). */
export const MAX_BODY_BYTES = 64 * 1024;

/** The media type of the request body, lowercased, without parameters such as charset. */
export function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Reads a body up to `limit` bytes, cancelling the stream once it grows past it (then undefined). */
export async function readCappedBytes(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array | undefined> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads the body as text, refusing more than `limit` bytes without buffering them. A body with a declared length
 * within the limit is read whole (HTTP/1.1 framing delivers no more than it declares; the listener reads it without a
 * web stream); one without (chunked) is counted as it arrives.
 */
export async function readBodyText(request: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const declaredLength = request.headers.get('content-length');
  const declared = Number(declaredLength ?? '0');
  if (declared > limit) throw bodyTooLarge(limit);
  const bytes =
    declaredLength !== null && Number.isSafeInteger(declared)
      ? new Uint8Array(await request.arrayBuffer())
      : await readCappedBytes(request.body, limit);
  if (bytes === undefined || bytes.byteLength > limit) throw bodyTooLarge(limit);
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new OAuthError('invalid_request', 'the request body is not valid UTF-8');
  }
}

function bodyTooLarge(limit: number): OAuthError {
  return new OAuthError('invalid_request', `the request body exceeds ${limit / 1024} KiB`);
}

/** OAuth 2.1 §3.2: token-style requests are POSTed as application/x-www-form-urlencoded. */
export async function readForm(request: Request): Promise<URLSearchParams> {
  if (mediaType(request) !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', 'send the parameters as application/x-www-form-urlencoded');
  }
  return new URLSearchParams(await readBodyText(request));
}

/**
 * OAuth 2.1 §3.1/§3.2: a parameter sent without a value counts as omitted, and none may appear more than once.
 */
export function singleParam(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name).filter((value) => value !== '');
  if (values.length > 1) throw new OAuthError('invalid_request', `the ${name} parameter appears more than once`);
  return values[0];
}

export function parseCookies(request: Request): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const pair of (request.headers.get('cookie') ?? '').split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 1) continue;
    const name = pair.slice(0, separator).trim();
    const value = pair.slice(separator + 1).trim();
    if (!cookies.has(name)) cookies.set(name, safeDecode(value));
  }
  return cookies;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export interface CookieOptions {
  secure: boolean;
  maxAgeSeconds: number;
}

/** Session cookies: unreadable by scripts, not sent on cross-site POSTs, sent only over TLS when the issuer uses it. */
export function serializeCookie(name: string, value: string, { secure, maxAgeSeconds }: CookieOptions): string {
  const attributes = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  attributes.push(`Max-Age=${maxAgeSeconds}`);
  if (secure) attributes.push('Secure');
  return attributes.join('; ');
}

/** Random bytes are drawn from the CSPRNG this many at a time and handed out once each (as Node's randomUUID does). */
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomPoolOffset = 0;

/** A random identifier with `bytes` bytes of entropy, base64url encoded. */
export function randomToken(bytes = 32): string {
  if (randomPoolOffset + bytes > randomPool.length) {
    randomPool = randomFillSync(Buffer.allocUnsafe(Math.max(RANDOM_POOL_BYTES, bytes)));
    randomPoolOffset = 0;
  }
  const token = randomPool.toString('base64url', randomPoolOffset, randomPoolOffset + bytes);
  randomPool.fill(0, randomPoolOffset, randomPoolOffset + bytes);
  randomPoolOffset += bytes;
  return token;
}

export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Compares secrets in time independent of where they first differ. Only a difference in length shows (secrets issued
 * here all have one length).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  if (left.length !== right.length) return !timingSafeEqual(left, left);
  return timingSafeEqual(left, right);
}

export function redirectResponse(location: string, status: 302 | 303, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers: { Location: location, 'Cache-Control': 'no-store', ...headers } });
}
