import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { externalSystemUnderTest } from '../external.ts';
import { freeLoopbackPorts } from '../network/serve.ts';
import { parseTargetFile, TargetFileError } from '../target.ts';
import {
  CACHE_MAX_AGE_SECONDS,
  CIMD_DOCUMENT_KINDS,
  type CimdDocumentKind,
  RECOMMENDED_MAX_DOCUMENT_BYTES,
  UNLISTED_ELSEWHERE_REDIRECT_URI,
} from './documents.ts';
import { type CimdHost, createCimdHost, DEFAULT_CANARY_ORIGINS } from './host.ts';
import { serveOverHttpsOnLoopback } from './serve.ts';
import { caKeyFile, loadOrCreateTestCa } from './test-ca.ts';

const ORIGIN = 'https://cimd.conformance.test';
const REDIRECT_URI = 'http://127.0.0.1:5555/callback';

function host(): CimdHost {
  return createCimdHost({ origin: ORIGIN, redirectUri: REDIRECT_URI, observesCanaries: true });
}

/** What the target's AS would get for a URL: the host or a canary answers, as the in-memory network mounts them. */
function fetchFrom(cimd: CimdHost, url: string): Promise<Response> {
  const canary = Object.values(cimd.canaryOrigins).includes(new URL(url).origin);
  return (canary ? cimd.canaryHandler : cimd.handler)(new Request(url));
}

async function served(kind: CimdDocumentKind) {
  const cimd = host();
  const document = await cimd.document(kind);
  const response = await fetchFrom(cimd, document.url);
  return { cimd, document, response, text: await response.text() };
}

describe('the document host', () => {
  it('serves a good public document whose client_id is its URL and which lists the redirect URI', async () => {
    const { document, response, text } = await served('public');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const metadata = JSON.parse(text);
    expect(metadata).toMatchObject({
      client_id: document.url,
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'none',
    });
    expect(typeof metadata.client_name).toBe('string');
    expect(document.url.startsWith(`${ORIGIN}/clients/public/`)).toBe(true);
    expect(document.clientId).toBe(document.url);
  });

  it('gives every document its own URL, so a cache of one never answers another', async () => {
    const cimd = host();
    const [first, second] = [await cimd.document('public'), await cimd.document('public')];
    expect(first.url).not.toBe(second.url);
  });

  it('serves a private_key_jwt document with the public half of a key the harness holds', async () => {
    const { document, text } = await served('private-key-jwt');
    const metadata = JSON.parse(text);
    expect(metadata.token_endpoint_auth_method).toBe('private_key_jwt');
    expect(metadata.jwks.keys).toHaveLength(1);
    expect(metadata.jwks.keys[0].d).toBeUndefined();
    expect(document.privateJwk?.d).toBeTypeOf('string');
    expect(metadata.jwks.keys[0].kid).toBe(document.privateJwk?.kid);
  });

  it.each([
    ['client-id-mismatch', (m: Record<string, unknown>, url: string) => expect(m.client_id).not.toBe(url)],
    ['shared-secret', (m: Record<string, unknown>) => expect(m).toMatchObject({ client_secret: expect.any(String) })],
    [
      'unlisted-redirect-uri',
      (m: Record<string, unknown>) => expect(m.redirect_uris).toEqual([UNLISTED_ELSEWHERE_REDIRECT_URI]),
    ],
    ['missing-redirect-uris', (m: Record<string, unknown>) => expect(m.redirect_uris).toBeUndefined()],
    ['fragment-client-id', (m: Record<string, unknown>, url: string) => expect(m.client_id).toBe(`${url}#client`)],
  ] as const)('serves %s as a 200 JSON document breaking its one rule', async (kind, assertion) => {
    const { document, response, text } = await served(kind);
    expect(response.status).toBe(200);
    assertion(JSON.parse(text), document.url);
  });

  it('pads the oversized document past the recommended 5 KB, still valid JSON', async () => {
    const { text } = await served('oversized');
    expect(Buffer.byteLength(text)).toBeGreaterThan(RECOMMENDED_MAX_DOCUMENT_BYTES);
    expect(() => JSON.parse(text)).not.toThrow();
  });

  it('serves HTML, JSON as text/html, 404 and 500 where asked', async () => {
    const html = await served('not-json');
    expect(html.response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(() => JSON.parse(html.text)).toThrow();
    const jsonAsHtml = await served('json-as-html');
    expect(jsonAsHtml.response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(JSON.parse(jsonAsHtml.text).client_id).toBe(jsonAsHtml.document.url);
    expect((await served('status-404')).response.status).toBe(404);
    const failing = await served('status-500');
    expect(failing.response.status).toBe(500);
    expect(JSON.parse(failing.text)).toEqual({ error: 'server_error' });
  });

  it('sends max-age on one document and no-store on another', async () => {
    expect((await served('cache-max-age')).response.headers.get('cache-control')).toBe(
      `max-age=${CACHE_MAX_AGE_SECONDS}`,
    );
    expect((await served('no-store')).response.headers.get('cache-control')).toBe('no-store');
    expect((await served('public')).response.headers.get('cache-control')).toBeNull();
  });

  it('redirects to a document claiming the original URL, and records the hop as forbidden', async () => {
    const { cimd, document, response } = await served('redirect');
    expect(response.status).toBe(302);
    const location = response.headers.get('location')!;
    expect(document.forbiddenUrls).toEqual([location]);
    expect(document.forbiddenFetches()).toEqual([]);
    const moved = await fetchFrom(cimd, location);
    expect(JSON.parse(await moved.text()).client_id).toBe(document.url);
    expect(document.fetches()).toHaveLength(1);
    expect(document.forbiddenFetches()).toHaveLength(1);
  });

  it('redirects to a private address canary, which records the request', async () => {
    const { cimd, document, response } = await served('redirect-to-private');
    const location = response.headers.get('location')!;
    expect(location.startsWith(`${DEFAULT_CANARY_ORIGINS.private}/`)).toBe(true);
    await fetchFrom(cimd, location);
    expect(document.forbiddenFetches().map((record) => record.url)).toEqual([location]);
  });

  it.each([
    ['private-address', DEFAULT_CANARY_ORIGINS.private],
    ['link-local-address', DEFAULT_CANARY_ORIGINS.linkLocal],
  ] as const)('puts %s documents on a canary origin where any request counts as forbidden', async (kind, origin) => {
    const cimd = host();
    const document = await cimd.document(kind);
    expect(document.url.startsWith(`${origin}/clients/${kind}/`)).toBe(true);
    expect(document.forbiddenUrls).toEqual([document.url]);
    expect(document.forbiddenObservable).toBe(true);
    const response = await fetchFrom(cimd, document.url);
    expect(response.status).toBe(200);
    expect(document.forbiddenFetches()).toHaveLength(1);
  });

  it('says canaries cannot be observed when it does not serve them (external targets)', async () => {
    const cimd = createCimdHost({ origin: ORIGIN, redirectUri: REDIRECT_URI, observesCanaries: false });
    expect((await cimd.document('private-address')).forbiddenObservable).toBe(false);
    expect((await cimd.document('redirect')).forbiddenObservable).toBe(true);
  });

  it('counts every fetch per document, with its time and status', async () => {
    let now = Date.UTC(2026, 0, 1);
    const cimd = createCimdHost({ origin: ORIGIN, redirectUri: REDIRECT_URI, observesCanaries: true, now: () => now });
    const document = await cimd.document('status-500');
    await cimd.handler(new Request(document.url));
    now += 1000;
    await cimd.handler(new Request(document.url));
    expect(document.fetches()).toEqual([
      { method: 'GET', url: document.url, at: '2026-01-01T00:00:00.000Z', status: 500 },
      { method: 'GET', url: document.url, at: '2026-01-01T00:00:01.000Z', status: 500 },
    ]);
  });

  it('answers 404 for unknown ids, a kind at the wrong path, or a canary path on the host — and records them', async () => {
    const cimd = host();
    const document = await cimd.document('public');
    const id = document.url.split('/').at(-1)!;
    expect((await cimd.handler(new Request(`${ORIGIN}/clients/public/unknown`))).status).toBe(404);
    expect((await cimd.handler(new Request(`${ORIGIN}/clients/no-store/${id}`))).status).toBe(404);
    expect(
      (await cimd.canaryHandler(new Request(`${DEFAULT_CANARY_ORIGINS.private}/clients/public/${id}`))).status,
    ).toBe(404);
    expect((await cimd.handler(new Request(document.url, { method: 'POST' }))).status).toBe(405);
    expect(cimd.requests()).toHaveLength(4);
    expect(document.fetches()).toHaveLength(1);
  });

  it('hosts every kind it declares', async () => {
    const cimd = host();
    for (const kind of CIMD_DOCUMENT_KINDS) {
      const document = await cimd.document(kind);
      const response = await fetchFrom(cimd, document.url);
      expect(response.status, kind).not.toBe(405);
      expect(document.fetches(), kind).toHaveLength(1);
    }
  });
});

describe('the test CA and https on loopback', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cimd-ca-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('creates a CA certificate and key once, then reuses them', async () => {
    const caFile = join(directory, 'reuse', 'ca.pem');
    const first = await loadOrCreateTestCa(caFile);
    expect(first.created).toBe(true);
    expect(await readFile(caFile, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(await readFile(caKeyFile(caFile), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const second = await loadOrCreateTestCa(caFile);
    expect(second.created).toBe(false);
    expect(second.ca.certificatePem).toBe(first.ca.certificatePem);
  });

  it('serves documents over https that a client trusting only the CA can fetch, and no other client can', async () => {
    const caFile = join(directory, 'serve', 'ca.pem');
    const [port] = await freeLoopbackPorts(1);
    const origin = `https://127.0.0.1:${port}`;
    const cimd = createCimdHost({ origin, redirectUri: REDIRECT_URI, observesCanaries: false, caFile });
    const server = await serveOverHttpsOnLoopback(cimd.handler, { port: port!, caFile });
    try {
      expect(server.origin).toBe(origin);
      expect(server.caCreated).toBe(true);
      const document = await cimd.document('public');
      const ca = await readFile(caFile, 'utf8');
      const reply = await httpsGet(document.url, ca);
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body).client_id).toBe(document.url);
      expect(document.fetches()).toHaveLength(1);
      await expect(httpsGet(document.url)).rejects.toThrow(/certificate/i);
    } finally {
      await server.close();
    }
  });
});

describe('an external target declaring "cimd"', () => {
  it('gets the host served over https at the declared port for the run, and closed after it', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'cimd-external-'));
    const caFile = join(directory, 'ca.pem');
    const [port] = await freeLoopbackPorts(1);
    const host = `https://127.0.0.1:${port}`;
    const sut = await externalSystemUnderTest(
      parseTargetFile({ name: 'external', issuer: 'https://as.example.com', cimd: { host, caFile } }),
    );
    try {
      expect(sut.cimd?.origin).toBe(host);
      expect(sut.cimd?.caFile).toBe(caFile);
      expect(sut.cimd?.observesCanaries).toBe(false);
      const document = await sut.cimd!.document('no-store');
      const reply = await httpsGet(document.url, await readFile(caFile, 'utf8'));
      expect(reply.status).toBe(200);
      expect(document.fetches()).toHaveLength(1);
    } finally {
      await sut.close();
      await rm(directory, { recursive: true, force: true });
    }
    await expect(httpsGet(`${host}/clients/public/x`)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('the target file "cimd" field', () => {
  const base = { name: 't', issuer: 'https://as.example.com' };

  it('takes an https loopback origin with a port, and defaults the CA file', () => {
    const target = parseTargetFile({ ...base, cimd: { host: 'https://127.0.0.1:7800' } });
    expect(target.cimd).toEqual({ host: 'https://127.0.0.1:7800', caFile: '.mcp-auth-conformance/cimd-test-ca.pem' });
  });

  it.each(['http://127.0.0.1:7800', 'https://10.0.0.7:7800', 'https://127.0.0.1', 'https://127.0.0.1:7800/docs'])(
    'refuses %s, naming the field',
    (host) => {
      expect(() => parseTargetFile({ ...base, cimd: { host } })).toThrow(TargetFileError);
      expect(() => parseTargetFile({ ...base, cimd: { host } })).toThrow(/^cimd\.host: /);
    },
  );
});

function httpsGet(url: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { method: 'GET', ...(ca ? { ca } : {}) }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    request.on('error', reject);
    request.end();
  });
}
