const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/**
 * The port the harness serves `url` on: it must be plain http on 127.0.0.1 or localhost (both served on 127.0.0.1)
 * with an explicit port, because the harness never listens on another interface and cannot terminate TLS there.
 * Throws an Error naming `field` otherwise.
 */
export function loopbackPort(url: string, field: string): number {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${field}: must be an absolute URL (got "${url}")`);
  }
  if (parsed.protocol !== 'http:' || !LOOPBACK_HOSTS.has(parsed.hostname)) {
    throw new Error(
      `${field}: the harness serves it on 127.0.0.1 only, so it must be http://127.0.0.1:PORT or http://localhost:PORT (got "${url}")`,
    );
  }
  if (parsed.port === '') {
    throw new Error(
      `${field}: needs an explicit port for the harness to listen on, e.g. http://127.0.0.1:7777 (got "${url}")`,
    );
  }
  return Number(parsed.port);
}
