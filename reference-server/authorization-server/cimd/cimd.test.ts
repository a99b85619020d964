import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fetch } from '../../../harness/network/types.ts';
import { CIMD_DEFECTS } from '../../defects/cimd.ts';
import type { Defect } from '../../defects.ts';
import { CLIENT_ASSERTION_TYPE } from '../clients.ts';
import {
  authorizationParams,
  authorizeUrl,
  createTestServer,
  get,
  ISSUER,
  obtainCode,
  PUBLIC_REDIRECT,
  postForm,
  redeem,
  redirectedTo,
  type TestServer,
} from '../test-support.ts';
import {
  type CimdClientStore,
  cacheLifetimeSeconds,
  clientIdUrlProblem,
  DEFAULT_CACHE_BOUNDS,
  fetchTrustingCa,
  isSpecialUseAddress,
} from './index.ts';

const CLIENT_ID = 'https://client.cimd.test/client.json';

/** An in-memory document host: URL → response factory, counting every request it answers. */
class DocumentHost {
  readonly #routes = new Map<string, () => Response>();
  readonly requests: string[] = [];

  serve(url: string, respond: () => Response): void {
    this.#routes.set(url, respond);
  }

  json(url: string, body: unknown, headers: Record<string, string> = {}, status = 200): void {
    this.serve(url, () => Response.json(body, { status, headers }));
  }

  count(url: string): number {
    return this.requests.filter((requested) => requested === url).length;
  }

  readonly fetch: Fetch = async (input, init) => {
    const request = new Request(input, init);
    this.requests.push(request.url);
    const response = this.#routes.get(request.url)?.() ?? new Response('not found', { status: 404 });
    const location = response.headers.get('location');
    if (init?.redirect === 'follow' && location && response.status >= 300 && response.status < 400) {
      return this.fetch(new URL(location, request.url).href, init);
    }
    return response;
  };
}

function goodDocument(overrides: Record<string, unknown> = {}, clientId = CLIENT_ID): Record<string, unknown> {
  return {
    client_id: clientId,
    client_name: 'Document Client',
    client_uri: 'https://client.cimd.test',
    redirect_uris: [PUBLIC_REDIRECT],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    ...overrides,
  };
}

interface Rig {
  server: TestServer;
  host: DocumentHost;
  clients: CimdClientStore;
}

async function rig(
  options: { defects?: Defect[]; cimdAllowHosts?: string[]; document?: Record<string, unknown> } = {},
): Promise<Rig> {
  const host = new DocumentHost();
  host.json(CLIENT_ID, options.document ?? goodDocument());
  const server = await createTestServer({
    fetch: host.fetch,
    defects: options.defects ?? [],
    ...(options.cimdAllowHosts ? { cimdAllowHosts: options.cimdAllowHosts } : {}),
  });
  return { server, host, clients: server.store.clients as CimdClientStore };
}

async function authorize(server: TestServer, clientId = CLIENT_ID, overrides: Record<string, string> = {}) {
  const { params } = await authorizationParams({ client_id: clientId, ...overrides });
  return get(server.handler, authorizeUrl(params));
}

/** True when /authorize issued a code to this client (the document was accepted). */
async function accepted(server: TestServer, clientId = CLIENT_ID): Promise<boolean> {
  return redirectedTo(await authorize(server, clientId))?.searchParams.has('code') ?? false;
}

async function expectUnknownClient({ server, clients }: Rig, clientId: string, reason: RegExp): Promise<void> {
  const page = await authorize(server, clientId);
  expect(page.status, 'an error page, never a redirect to an unverified redirect_uri').toBe(400);
  expect(page.headers.get('location')).toBeNull();
  expect(await page.text()).toContain('Unknown client');
  expect(clients.lastFailure(clientId)).toMatch(reason);
  const token = await postForm(server.handler, `${ISSUER}/token`, {
    grant_type: 'authorization_code',
    code: 'whatever',
    code_verifier: 'x'.repeat(43),
    redirect_uri: PUBLIC_REDIRECT,
    client_id: clientId,
  });
  expect(token.status).toBe(401);
  expect(((await token.json()) as { error: string }).error).toBe('invalid_client');
}

describe('special-use addresses (RFC 6890)', () => {
  it.each([
    '127.0.0.1',
    '10.0.0.7',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '192.0.2.1',
    '198.18.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'fd00::1',
    'fe80::1',
    'ff02::1',
    '2001:db8::1',
    '::ffff:10.0.0.1',
    '::ffff:7f00:1',
    '64:ff9b::a00:1',
    'not-an-address',
  ])('%s is special-use', (address) => {
    expect(isSpecialUseAddress(address)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '64:ff9b::808:808'])('%s is public', (address) => {
    expect(isSpecialUseAddress(address)).toBe(false);
  });
});

describe('client identifier URLs (CIMD §3)', () => {
  it.each([
    'https://client.example/client.json',
    'https://client.example:8443/a/b',
    'https://client.example/client?version=2',
  ])('%s is a client identifier', (url) => {
    expect(clientIdUrlProblem(url)).toBeUndefined();
  });

  it.each([
    ['http://client.example/client.json', /https/],
    ['https://client.example', /no path/],
    ['https://client.example/', /no path/],
    ['https://client.example/client.json#x', /fragment/],
    ['https://user:pw@client.example/client.json', /username/],
    ['https://client.example/a/../client.json', /"\." or "\.\."/],
    ['https://client.example/./client.json', /"\." or "\.\."/],
    ['https://client.example/a/%2E%2E/client.json', /"\." or "\.\."/],
  ])('%s is refused', (url, reason) => {
    expect(clientIdUrlProblem(url)).toMatch(reason);
  });
});

describe('cache lifetime (CIMD §4.4, RFC 9111)', () => {
  it.each([
    [null, 300],
    ['max-age=60', 60],
    ['public, max-age=0', 0],
    ['max-age=999999999', 86400],
    ['no-store', 0],
    ['no-cache', 0],
    ['max-age=600, no-store', 0],
    ['max-age=abc', 0],
    ['max-age="120"', 120],
  ])('%s → %i s', (header, seconds) => {
    expect(cacheLifetimeSeconds(header, DEFAULT_CACHE_BOUNDS)).toBe(seconds);
  });
});

describe('client ID metadata documents at the reference AS', () => {
  it('advertises client_id_metadata_document_supported (CIMD §5)', async () => {
    const { server } = await rig();
    const metadata = await (await get(server.handler, `${ISSUER}/.well-known/oauth-authorization-server`)).json();
    expect(metadata).toMatchObject({ client_id_metadata_document_supported: true });
  });

  it('runs the whole code flow for a document client, and lists it as seen', async () => {
    const { server, host, clients } = await rig();
    const issued = await obtainCode(server, { client_id: CLIENT_ID });
    const token = await redeem(server, issued, { client_id: CLIENT_ID });
    expect(token.status).toBe(200);
    expect(host.count(CLIENT_ID)).toBe(1);
    const listed = (await clients.list()).find((client) => client.client_id === CLIENT_ID);
    expect(listed).toMatchObject({
      registeredBy: 'client-id-metadata-document',
      client_name: 'Document Client',
      client_uri: 'https://client.cimd.test',
      token_endpoint_auth_method: 'none',
      redirect_uris: [PUBLIC_REDIRECT],
    });
  });

  it('still requires PKCE of a document client', async () => {
    const { server } = await rig();
    const { params } = await authorizationParams({ client_id: CLIENT_ID, code_challenge: undefined });
    const error = redirectedTo(await get(server.handler, authorizeUrl(params)));
    expect(error?.searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses a redirect_uri the document does not list, without redirecting (CIMD §4.5)', async () => {
    const { server } = await rig();
    const page = await authorize(server, CLIENT_ID, { redirect_uri: 'http://127.0.0.1:5555/other' });
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    expect(await page.text()).toContain('Invalid redirect URI');
  });

  it('uses a pre-registered https client_id as registered, without fetching', async () => {
    const host = new DocumentHost();
    const server = await createTestServer({
      fetch: host.fetch,
      clients: [{ client_id: CLIENT_ID, redirect_uris: [PUBLIC_REDIRECT], token_endpoint_auth_method: 'none' }],
    });
    expect(await accepted(server)).toBe(true);
    expect(host.requests).toEqual([]);
  });

  it('fetches once for concurrent lookups', async () => {
    const { host, clients } = await rig();
    const found = await Promise.all([clients.get(CLIENT_ID), clients.get(CLIENT_ID), clients.get(CLIENT_ID)]);
    expect(found.every((client) => client?.client_id === CLIENT_ID)).toBe(true);
    expect(host.count(CLIENT_ID)).toBe(1);
  });

  it('keeps administrators’ tags and description across refetches, and forgets the document on delete', async () => {
    const { host, clients, server } = await rig();
    const seen = await clients.get(CLIENT_ID);
    await clients.save({ ...seen!, tags: ['partner'], description: 'seen in the wild' });
    server.clock.advance(301_000);
    expect(await clients.get(CLIENT_ID)).toMatchObject({ tags: ['partner'], description: 'seen in the wild' });
    expect(host.count(CLIENT_ID)).toBe(2);
    expect(await clients.delete(CLIENT_ID)).toBe(true);
    await clients.get(CLIENT_ID);
    expect(host.count(CLIENT_ID)).toBe(3);
  });

  it('ignores server-side settings a document tries to set', async () => {
    const { clients } = await rig({ document: goodDocument({ skip_consent: true, tags: ['trusted'] }) });
    const client = await clients.get(CLIENT_ID);
    expect(client?.skip_consent).toBeUndefined();
    expect(client?.tags).toBeUndefined();
  });
});

describe('caching (CIMD §4.4)', () => {
  async function fetchesAfter(cacheControl: string | undefined, steps: number[]): Promise<number> {
    const { host, clients, server } = await rig();
    host.json(CLIENT_ID, goodDocument(), cacheControl ? { 'Cache-Control': cacheControl } : {});
    for (const advanceMs of steps) {
      server.clock.advance(advanceMs);
      expect(await clients.get(CLIENT_ID)).toBeDefined();
    }
    return host.count(CLIENT_ID);
  }

  it('reuses a document for its max-age, then fetches it again', async () => {
    expect(await fetchesAfter('max-age=600', [0, 1000, 598_000])).toBe(1);
    expect(await fetchesAfter('max-age=600', [0, 600_000])).toBe(2);
  });

  it('uses a default lifetime of 5 minutes without Cache-Control', async () => {
    expect(await fetchesAfter(undefined, [0, 299_000])).toBe(1);
    expect(await fetchesAfter(undefined, [0, 300_000])).toBe(2);
  });

  it('fetches again on every lookup under no-store and no-cache', async () => {
    expect(await fetchesAfter('no-store', [0, 0, 0])).toBe(3);
    expect(await fetchesAfter('no-cache', [0, 0])).toBe(2);
  });

  it('bounds a long max-age to 24 hours', async () => {
    expect(await fetchesAfter('max-age=31536000', [0, 24 * 3600_000])).toBe(2);
  });

  it('never caches a failure: a fixed document works at once', async () => {
    const { host, clients } = await rig();
    host.json(CLIENT_ID, goodDocument(), {}, 500);
    expect(await clients.get(CLIENT_ID)).toBeUndefined();
    host.json(CLIENT_ID, goodDocument());
    expect(await clients.get(CLIENT_ID)).toBeDefined();
    expect(host.count(CLIENT_ID)).toBe(2);
  });

  it('stops handing out a cached client once its document turns bad', async () => {
    const { host, clients, server } = await rig();
    expect(await clients.get(CLIENT_ID)).toBeDefined();
    host.json(CLIENT_ID, goodDocument({ client_id: 'https://evil.cimd.test/client.json' }));
    server.clock.advance(300_000);
    expect(await clients.get(CLIENT_ID)).toBeUndefined();
  });
});

describe('documents that leave the client unknown', () => {
  const oversized = goodDocument({ x_padding: 'x'.repeat(6000) });
  const cases: Array<[string, (host: DocumentHost) => void, RegExp]> = [
    [
      'client_id differs from the URL',
      (h) => h.json(CLIENT_ID, goodDocument({ client_id: `${CLIENT_ID}x` })),
      /differs/,
    ],
    [
      'a redirect to a good document',
      (h) => {
        h.serve(CLIENT_ID, () => new Response(null, { status: 302, headers: { Location: '/moved.json' } }));
        h.json('https://client.cimd.test/moved.json', goodDocument());
      },
      /answered 302/,
    ],
    ['status 404', (h) => h.json(CLIENT_ID, goodDocument(), {}, 404), /answered 404/],
    ['status 203', (h) => h.json(CLIENT_ID, goodDocument(), {}, 203), /answered 203/],
    [
      'JSON served as text/html',
      (h) =>
        h.serve(
          CLIENT_ID,
          () => new Response(JSON.stringify(goodDocument()), { headers: { 'Content-Type': 'text/html' } }),
        ),
      /not JSON/,
    ],
    [
      'an HTML page',
      (h) =>
        h.serve(
          CLIENT_ID,
          () => new Response('<!doctype html><p>hi</p>', { headers: { 'Content-Type': 'text/html' } }),
        ),
      /not JSON/,
    ],
    [
      'malformed JSON',
      (h) =>
        h.serve(CLIENT_ID, () => new Response('{"client_id":', { headers: { 'Content-Type': 'application/json' } })),
      /not valid JSON/,
    ],
    ['a JSON array', (h) => h.json(CLIENT_ID, [goodDocument()]), /not a JSON object/],
    [
      'larger than 5 KB (declared)',
      (h) => h.json(CLIENT_ID, oversized, { 'Content-Length': String(JSON.stringify(oversized).length) }),
      /declares \d+ bytes/,
    ],
    [
      'larger than 5 KB (streamed, no Content-Length)',
      (h) => h.serve(CLIENT_ID, () => streamedJson(JSON.stringify(oversized))),
      /larger than 5120 bytes/,
    ],
    ['no redirect_uris', (h) => h.json(CLIENT_ID, goodDocument({ redirect_uris: undefined })), /redirect_uris/],
    ['empty redirect_uris', (h) => h.json(CLIENT_ID, goodDocument({ redirect_uris: [] })), /redirect_uris/],
    [
      'an http redirect URI on a public host',
      (h) => h.json(CLIENT_ID, goodDocument({ redirect_uris: ['http://client.example/cb'] })),
      /non-loopback/,
    ],
    ['no client_name', (h) => h.json(CLIENT_ID, goodDocument({ client_name: undefined })), /client_name/],
    [
      'client_secret_basic with a client_secret',
      (h) =>
        h.json(
          CLIENT_ID,
          goodDocument({ token_endpoint_auth_method: 'client_secret_basic', client_secret: 'public-secret' }),
        ),
      /shared secret/,
    ],
    [
      'client_secret_jwt',
      (h) => h.json(CLIENT_ID, goodDocument({ token_endpoint_auth_method: 'client_secret_jwt' })),
      /shared secret/,
    ],
    [
      'a client_secret member',
      (h) => h.json(CLIENT_ID, goodDocument({ client_secret: 's' })),
      /client_secret must not/,
    ],
    [
      'client_secret_expires_at',
      (h) => h.json(CLIENT_ID, goodDocument({ client_secret_expires_at: 0 })),
      /client_secret_expires_at must not/,
    ],
    [
      'private_key_jwt without keys',
      (h) => h.json(CLIENT_ID, goodDocument({ token_endpoint_auth_method: 'private_key_jwt' })),
      /needs jwks or jwks_uri/,
    ],
    [
      'a private key in jwks',
      (h) =>
        h.json(
          CLIENT_ID,
          goodDocument({
            token_endpoint_auth_method: 'private_key_jwt',
            jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] },
          }),
        ),
      /private or symmetric/,
    ],
    [
      'jwks_uri on a private address',
      (h) =>
        h.json(
          CLIENT_ID,
          goodDocument({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://10.0.0.7/jwks.json' }),
        ),
      /special-use/,
    ],
    [
      'the client_credentials grant',
      (h) => h.json(CLIENT_ID, goodDocument({ grant_types: ['client_credentials'] })),
      /not available/,
    ],
    ['response type token', (h) => h.json(CLIENT_ID, goodDocument({ response_types: ['token'] })), /response_types/],
    ['a non-string client_uri', (h) => h.json(CLIENT_ID, goodDocument({ client_uri: 42 })), /client_uri/],
    ['no document at all', (h) => h.serve(CLIENT_ID, () => new Response('gone', { status: 404 })), /answered 404/],
  ];

  it.each(cases)('%s', async (_name, arrange, reason) => {
    const context = await rig();
    arrange(context.host);
    await expectUnknownClient(context, CLIENT_ID, reason);
  });

  it('refuses client_id URLs that break CIMD §3 without fetching them', async () => {
    const context = await rig();
    for (const clientId of [
      'https://client.cimd.test/a/../client.json',
      'https://client.cimd.test/client.json#f',
      'https://u:p@client.cimd.test/client.json',
      'https://client.cimd.test',
    ]) {
      context.host.json(clientId, goodDocument({}, clientId));
      await expectUnknownClient(context, clientId, /client_id URL/);
    }
    expect(context.host.requests).toEqual([]);
  });

  it('gives up on a host that does not answer in time', async () => {
    const host = new DocumentHost();
    const server = await createTestServer({ fetch: host.fetch });
    const { withClientIdMetadataDocuments } = await import('./index.ts');
    const hanging: Fetch = () => new Promise(() => {});
    const clients = withClientIdMetadataDocuments(server.store.clients, {
      fetch: hanging,
      clock: server.clock,
      defects: new (await import('../../defects.ts')).Defects(),
      timeoutMs: 5,
    });
    expect(await clients.get(CLIENT_ID)).toBeUndefined();
    expect(clients.lastFailure(CLIENT_ID)).toMatch(/did not answer within 5 ms/);
  });
});

describe('SSRF defences (CIMD §6)', () => {
  it.each([
    'https://10.0.0.7/client.json',
    'https://127.0.0.1/client.json',
    'https://169.254.169.254/latest/meta-data',
    'https://[::1]/client.json',
    'https://[fd00::7]/client.json',
    'https://[::ffff:192.168.0.1]/client.json',
    'https://2130706433/client.json',
    'https://localhost/client.json',
    'https://app.localhost/client.json',
  ])('never fetches %s', async (clientId) => {
    const context = await rig();
    context.host.json(new URL(clientId).href, goodDocument({}, clientId));
    await expectUnknownClient(context, clientId, /special-use/);
    expect(context.host.requests).toEqual([]);
  });

  it('refuses a host name that resolves to a private address, and one that does not resolve', async () => {
    const host = new DocumentHost();
    const server = await createTestServer({ fetch: host.fetch });
    const { withClientIdMetadataDocuments } = await import('./index.ts');
    const { Defects } = await import('../../defects.ts');
    const addresses: Record<string, string[]> = {
      'internal.corp.example.com': ['93.184.216.34', '10.1.2.3'],
      'public.example.com': ['93.184.216.34'],
    };
    const clients = withClientIdMetadataDocuments(server.store.clients, {
      fetch: host.fetch,
      clock: server.clock,
      defects: new Defects(),
      resolveHost: async (name) => {
        const found = addresses[name];
        if (!found) throw new Error(`getaddrinfo ENOTFOUND ${name}`);
        return found;
      },
    });
    for (const name of Object.keys(addresses)) {
      const clientId = `https://${name}/client.json`;
      host.json(clientId, goodDocument({}, clientId));
    }
    expect(await clients.get('https://internal.corp.example.com/client.json')).toBeUndefined();
    expect(clients.lastFailure('https://internal.corp.example.com/client.json')).toMatch(/resolves to .*10\.1\.2\.3/);
    expect(await clients.get('https://nowhere.example.com/client.json')).toBeUndefined();
    expect(clients.lastFailure('https://nowhere.example.com/client.json')).toMatch(/does not resolve/);
    expect(await clients.get('https://public.example.com/client.json')).toBeDefined();
    expect(host.requests).toEqual(['https://public.example.com/client.json']);
  });

  it('fetches from a loopback host named in allowHosts', async () => {
    const clientId = 'https://127.0.0.1:4443/client.json';
    const context = await rig({ cimdAllowHosts: ['127.0.0.1:4443'] });
    context.host.json(clientId, goodDocument({}, clientId));
    expect(await accepted(context.server, clientId)).toBe(true);
    const other = 'https://127.0.0.1:4444/client.json';
    context.host.json(other, goodDocument({}, other));
    expect(await accepted(context.server, other)).toBe(false);
  });
});

describe('private_key_jwt document clients (CIMD §6.2)', () => {
  async function signedAssertion(privateKey: CryptoKey, clock: { now(): number }): Promise<string> {
    const exp = Math.floor(clock.now() / 1000) + 60;
    return new SignJWT({ iss: CLIENT_ID, sub: CLIENT_ID, aud: `${ISSUER}/token`, exp, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256' })
      .sign(privateKey);
  }

  it.each(['jwks', 'jwks_uri'] as const)('authenticate at the token endpoint with keys from %s', async (where) => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256' }] };
    const jwksUri = 'https://client.cimd.test/jwks.json';
    const keys = where === 'jwks' ? { jwks } : { jwks_uri: jwksUri };
    const { server, host } = await rig({
      document: goodDocument({ token_endpoint_auth_method: 'private_key_jwt', ...keys }),
    });
    host.json(jwksUri, jwks);
    const issued = await obtainCode(server, { client_id: CLIENT_ID });
    const withoutAuth = await redeem(server, issued, { client_id: CLIENT_ID });
    expect(withoutAuth.status, 'a confidential document client must authenticate').toBe(401);
    const again = await obtainCode(server, { client_id: CLIENT_ID });
    const assertion = await signedAssertion(privateKey, server.clock);
    const response = await redeem(server, again, {
      client_id: CLIENT_ID,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    });
    expect(response.status).toBe(200);
  });
});

function streamedJson(text: string): Response {
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += 1024)
        controller.enqueue(bytes.slice(offset, offset + 1024));
      controller.close();
    },
  });
  return new Response(body, { headers: { 'Content-Type': 'application/json' } });
}

describe('fetching over https with a test CA', () => {
  let directory: string;
  let ca: string;
  let origin: string;
  let close: () => void;

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'cimd-ca-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: directory, stdio: 'pipe' });
    const p256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    openssl('req', '-x509', ...p256, '-keyout', 'ca.key', '-subj', '/CN=cimd test CA', '-days', '1', '-out', 'ca.pem');
    openssl('req', '-new', ...p256, '-keyout', 'host.key', '-subj', '/CN=127.0.0.1', '-out', 'host.csr');
    writeFileSync(join(directory, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    const signing = ['-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'san.cnf'];
    openssl('x509', '-req', '-in', 'host.csr', ...signing, '-out', 'host.pem');
    ca = readFileSync(join(directory, 'ca.pem'), 'utf8');
  });

  afterAll(() => {
    close?.();
    rmSync(directory, { recursive: true, force: true });
  });

  it('reaches a loopback document whose certificate the test CA issued', async () => {
    const certificate = readFileSync(join(directory, 'host.pem'));
    const server = createServer({ key: readFileSync(join(directory, 'host.key')), cert: certificate }, (_, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=60' });
      res.end(JSON.stringify(goodDocument({}, `${origin}/client.json`)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    close = () => server.close();
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const response = await fetchTrustingCa(ca)(`${origin}/client.json`, { redirect: 'manual' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('max-age=60');
    const clientId = `${origin}/client.json`;
    const context = await createTestServer({ cimdAllowHosts: [new URL(origin).host] });
    const { withClientIdMetadataDocuments } = await import('./index.ts');
    const { Defects } = await import('../../defects.ts');
    const clients = withClientIdMetadataDocuments(context.store.clients, {
      fetch: () => Promise.reject(new Error('the CA option must take over')),
      clock: context.clock,
      defects: new Defects(),
      allowHosts: [new URL(origin).host],
      ca,
    });
    expect(await clients.get(clientId)).toMatchObject({ client_id: clientId });
    await expect(fetch(`${origin}/client.json`)).rejects.toThrow();
  });
});

// ── Deliberate defects: each probe shows its bug only with the defect ────────────────────────────────────────

type Probe = (defects: Defect[]) => Promise<boolean>;

/** Whether the AS accepts the client once the host serves what `arrange` sets up. */
function acceptsWhen(arrange: (host: DocumentHost) => void, clientId = CLIENT_ID): Probe {
  return async (defects) => {
    const context = await rig({ defects });
    arrange(context.host);
    return accepted(context.server, clientId);
  };
}

/** How many times the document is fetched over a sequence of lookups separated by clock advances. */
async function fetchCount(defects: Defect[], cacheControl: string | undefined, steps: number[]): Promise<number> {
  const { host, clients, server } = await rig({ defects });
  host.json(CLIENT_ID, goodDocument(), cacheControl ? { 'Cache-Control': cacheControl } : {});
  for (const advanceMs of steps) {
    server.clock.advance(advanceMs);
    await clients.get(CLIENT_ID);
  }
  return host.count(CLIENT_ID);
}

const DOT_SEGMENT_ID = 'https://client.cimd.test/a/../client.json';
const PRIVATE_ID = 'https://10.0.0.7/client.json';

const PROBES: Record<keyof typeof CIMD_DEFECTS, Probe> = {
  'cimd-client-id-mismatch-accepted': acceptsWhen((h) =>
    h.json(CLIENT_ID, goodDocument({ client_id: `${CLIENT_ID}x` })),
  ),
  'cimd-url-rules-unchecked': acceptsWhen(
    (h) => h.json(new URL(DOT_SEGMENT_ID).href, goodDocument({}, DOT_SEGMENT_ID)),
    DOT_SEGMENT_ID,
  ),
  'cimd-redirects-followed': acceptsWhen((h) => {
    h.serve(CLIENT_ID, () => new Response(null, { status: 302, headers: { Location: '/moved.json' } }));
    h.json('https://client.cimd.test/moved.json', goodDocument());
  }),
  'cimd-non-200-accepted': acceptsWhen((h) => h.json(CLIENT_ID, goodDocument(), {}, 404)),
  'cimd-non-json-accepted': acceptsWhen((h) =>
    h.serve(
      CLIENT_ID,
      () => new Response(JSON.stringify(goodDocument()), { headers: { 'Content-Type': 'text/html' } }),
    ),
  ),
  'cimd-size-unlimited': acceptsWhen((h) => h.json(CLIENT_ID, goodDocument({ x_padding: 'x'.repeat(8000) }))),
  'cimd-no-fetch-timeout': async (defects) => {
    const { withClientIdMetadataDocuments } = await import('./index.ts');
    const { Defects } = await import('../../defects.ts');
    const server = await createTestServer();
    const late: Fetch = () => new Promise((resolve) => setTimeout(() => resolve(Response.json(goodDocument())), 50));
    const clients = withClientIdMetadataDocuments(server.store.clients, {
      fetch: late,
      clock: server.clock,
      defects: new Defects(defects),
      timeoutMs: 5,
    });
    return (await clients.get(CLIENT_ID)) !== undefined;
  },
  'cimd-private-address-fetched': async (defects) => {
    const context = await rig({ defects });
    context.host.json(PRIVATE_ID, goodDocument({}, PRIVATE_ID));
    await authorize(context.server, PRIVATE_ID);
    return context.host.count(PRIVATE_ID) > 0;
  },
  'cimd-cache-ignores-no-store': async (defects) => (await fetchCount(defects, 'no-store', [0, 0])) === 1,
  'cimd-cache-forever': async (defects) => (await fetchCount(defects, 'max-age=60', [0, 3600_000])) === 1,
  'cimd-fetched-every-request': async (defects) => (await fetchCount(defects, 'max-age=600', [0, 0])) === 2,
  'cimd-errors-cached': async (defects) => {
    const { host, clients } = await rig({ defects });
    host.json(CLIENT_ID, goodDocument(), {}, 500);
    await clients.get(CLIENT_ID);
    host.json(CLIENT_ID, goodDocument());
    return (await clients.get(CLIENT_ID)) === undefined;
  },
  'cimd-unlisted-redirect-uri-accepted': async (defects) => {
    const { server } = await rig({ defects });
    const unlisted = { client_id: CLIENT_ID, redirect_uri: 'https://elsewhere.example/cb' };
    return (await obtainCode(server, unlisted).catch(() => undefined)) !== undefined;
  },
  'cimd-metadata-flag-missing': async (defects) => {
    const { server } = await rig({ defects });
    const metadata = await (await get(server.handler, `${ISSUER}/.well-known/oauth-authorization-server`)).json();
    return !('client_id_metadata_document_supported' in (metadata as object));
  },
  'cimd-shared-secret-accepted': async (defects) => {
    const document = goodDocument({ token_endpoint_auth_method: 'client_secret_basic', client_secret: 'in-public' });
    const { server } = await rig({ defects, document });
    const issued = await obtainCode(server, { client_id: CLIENT_ID }).catch(() => undefined);
    if (!issued) return false;
    const basic = { Authorization: `Basic ${btoa(`${encodeURIComponent(CLIENT_ID)}:in-public`)}` };
    return (await redeem(server, issued, { client_id: undefined }, basic)).status === 200;
  },
};

describe('deliberate defects of the CIMD fetcher', () => {
  it('has a probe for every CIMD defect', () => {
    expect(Object.keys(PROBES).sort()).toEqual(Object.keys(CIMD_DEFECTS).sort());
  });

  it.each(Object.entries(PROBES))('%s: the bug appears only with the defect', async (defect, probe) => {
    expect(await probe([]), 'visible on the correct server').toBe(false);
    expect(await probe([defect as Defect]), 'visible with the defect').toBe(true);
  });
});
