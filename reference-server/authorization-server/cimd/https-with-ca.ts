/**
 * A `fetch` over node:https that also trusts one extra certificate authority: documents served on loopback ports by a
 * test rig carry certificates of a CA generated for the run, which the platform fetch does not trust.
 */
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import type { Fetch } from '../../../harness/network/types.ts';
import { unbracketed } from './address.ts';

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

function responseHeaders(raw: NodeJS.Dict<string | string[]>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    for (const item of [value ?? []].flat()) headers.append(name, item);
  }
  return headers;
}

/** GET/HEAD only (all a document fetch needs); never follows redirects, whatever `init.redirect` says. */
export function fetchTrustingCa(caPem: string): Fetch {
  const ca = [...rootCertificates, caPem];
  return (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const host = unbracketed(url.hostname);
    return new Promise<Response>((resolve, reject) => {
      const outgoing = httpsRequest(
        url,
        {
          method: request.method,
          headers: Object.fromEntries(request.headers),
          ca,
          // TLS SNI names a host, never an address (RFC 6066 §3).
          ...(isIP(host) ? {} : { servername: host }),
          signal: request.signal,
        },
        (incoming) => {
          const status = incoming.statusCode ?? 502;
          const body = NULL_BODY_STATUSES.has(status) ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>);
          if (!body) incoming.resume();
          resolve(new Response(body, { status, headers: responseHeaders(incoming.headers) }));
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
  };
}
