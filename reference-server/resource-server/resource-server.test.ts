import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../harness/clock.ts';
import { type Defect, Defects } from '../defects.ts';
import { createResourceServer, type ResourceServerOptions, resourceMetadataUrl } from './index.ts';
import { createTestIssuer, type TestIssuer, unsignedToken } from './test-issuer.ts';

const RESOURCE = 'https://mcp.test/mcp';
const ISSUER = 'https://as.test';
const PRM_URL = 'https://mcp.test/.well-known/oauth-protected-resource/mcp';
const SCOPES = { basic: 'mcp:tools', elevated: 'mcp:admin' };
const START = Date.UTC(2030, 0, 1);

let as: TestIssuer;
beforeAll(async () => {
  as = await createTestIssuer(ISSUER, RESOURCE);
});

function server(overrides: Partial<ResourceServerOptions> & { defect?: Defect } = {}) {
  const { defect, ...rest } = overrides;
  return createResourceServer({
    resource: RESOURCE,
    authorizationServers: [ISSUER],
    fetch: as.fetch,
    clock: new ManualClock(START),
    scopes: SCOPES,
    ...(defect ? { defects: new Defects([defect]) } : {}),
    ...rest,
  });
}

const nowSeconds = Math.floor(START / 1000);
const mint = (options: Parameters<TestIssuer['mint']>[0] = {}) => as.mint({ nowSeconds, ...options });

function rpc(method: string, params: Record<string, unknown> = {}) {
  return JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
}

const toolCall = (name: string, args: Record<string, unknown> = {}) => rpc('tools/call', { name, arguments: args });

function post(body: string, authorization?: string, url = RESOURCE): Request {
  return new Request(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...(authorization ? { Authorization: authorization } : {}),
    },
    body,
  });
}

/** `Bearer a="b", c="d"` → { a: 'b', c: 'd' } (quoted values only, which is all this server sends). */
function challengeParams(response: Response): Record<string, string> {
  const header = response.headers.get('www-authenticate') ?? '';
  expect(header).toMatch(/^Bearer\b/);
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

async function callAs(token: string, body = toolCall('echo', { message: 'hi' }), rs = server()) {
  return rs.handler(post(body, `Bearer ${token}`));
}

describe('protected resource metadata (RFC 9728)', () => {
  it.each([PRM_URL, 'https://mcp.test/.well-known/oauth-protected-resource'])('is served at %s', async (url) => {
    const response = await server().handler(new Request(url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      resource: RESOURCE,
      authorization_servers: [ISSUER],
      scopes_supported: ['mcp:tools', 'mcp:admin'],
      bearer_methods_supported: ['header'],
      resource_name: 'Reference MCP server',
    });
  });

  it('derives the path-inserted URL from the resource path', () => {
    expect(resourceMetadataUrl(RESOURCE)).toBe(PRM_URL);
    expect(resourceMetadataUrl('https://x.test/')).toBe('https://x.test/.well-known/oauth-protected-resource');
    expect(resourceMetadataUrl('https://x.test/a/b')).toBe('https://x.test/.well-known/oauth-protected-resource/a/b');
  });
});

describe('bearer guard', () => {
  it('answers 401 without an error code when no credentials are sent', async () => {
    const response = await server().handler(post(rpc('tools/list')));
    expect(response.status).toBe(401);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(challengeParams(response)).toEqual({ resource_metadata: PRM_URL, scope: 'mcp:tools' });
  });

  it('ignores a token in the query string (treated as no credentials)', async () => {
    const token = await mint();
    const response = await server().handler(post(rpc('tools/list'), undefined, `${RESOURCE}?access_token=${token}`));
    expect(response.status).toBe(401);
    expect(challengeParams(response).error).toBeUndefined();
  });

  it.each([
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a bare Bearer', 'Bearer'],
    ['two tokens', 'Bearer a b'],
    ['a token with forbidden characters', 'Bearer a"b'],
  ])('answers 400 invalid_request for %s', async (_, authorization) => {
    const response = await server().handler(post(rpc('tools/list'), authorization));
    expect(response.status).toBe(400);
    expect(challengeParams(response)).toMatchObject({ error: 'invalid_request', resource_metadata: PRM_URL });
  });

  it('accepts the scheme name in any case', async () => {
    const response = await server().handler(post(toolCall('echo', { message: 'hi' }), `bearer ${await mint()}`));
    expect(response.status).toBe(200);
  });

  const invalidTokens: [string, () => Promise<string>][] = [
    ['expired', () => mint({ claims: { iat: nowSeconds - 600, exp: nowSeconds - 1 } })],
    ['not yet valid (nbf)', () => mint({ claims: { nbf: nowSeconds + 600 } })],
    ['signed by a key outside the JWKS', () => mint({ key: as.foreignKey })],
    ['unsigned (alg none)', async () => unsignedToken({ typ: 'at+jwt' }, await claimsOf(mint()))],
    ['HS256 (shared secret)', async () => hs256(await claimsOf(mint()))],
    ['typed JWT instead of at+jwt', () => mint({ header: { typ: 'JWT' } })],
    ['without typ', () => mint({ header: { typ: undefined } })],
    ['from an untrusted issuer', () => mint({ claims: { iss: 'https://evil.test' } })],
    ['from the issuer with a trailing slash', () => mint({ claims: { iss: `${ISSUER}/` } })],
    ['for another audience', () => mint({ claims: { aud: 'https://mcp.test/other' } })],
    ['for the resource with a trailing slash', () => mint({ claims: { aud: `${RESOURCE}/` } })],
    ['without aud', () => mint({ claims: { aud: undefined } })],
    ['without client_id', () => mint({ claims: { client_id: undefined } })],
    ['not a JWT', async () => 'abc.def'],
  ];

  it.each(invalidTokens)('answers 401 invalid_token for a token %s', async (_, make) => {
    const response = await callAs(await make());
    expect(response.status).toBe(401);
    const params = challengeParams(response);
    expect(params).toMatchObject({ error: 'invalid_token', resource_metadata: PRM_URL });
    expect(params.error_description).toBeTruthy();
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('accepts aud as an array that contains the resource', async () => {
    const response = await callAs(await mint({ claims: { aud: ['https://other.test', RESOURCE] } }));
    expect(response.status).toBe(200);
  });

  it('checks expiry against the injected clock', async () => {
    const clock = new ManualClock(START);
    const rs = server({ clock });
    const token = await mint();
    expect((await callAs(token, undefined, rs)).status).toBe(200);
    clock.advance(301_000);
    expect((await callAs(token, undefined, rs)).status).toBe(401);
  });

  it('refuses a token the issuer reports inactive when introspection is on', async () => {
    const rs = server({ introspection: { client_id: 'rs', client_secret: 'secret' } });
    const token = await mint();
    expect((await callAs(token, undefined, rs)).status).toBe(200);
    as.revoked.add(token);
    const response = await callAs(token, undefined, rs);
    expect(response.status).toBe(401);
    expect(challengeParams(response).error_description).toMatch(/no longer active/);
  });

  it('answers 401 (not 500) when the issuer cannot be reached', async () => {
    const rs = server({ fetch: async () => Promise.reject(new TypeError('fetch failed')) });
    const response = await callAs(await mint(), undefined, rs);
    expect(response.status).toBe(401);
    expect(challengeParams(response).error).toBe('invalid_token');
  });

  it('guards GET as well, and answers 405 to GET with a valid token', async () => {
    const rs = server();
    expect((await rs.handler(new Request(RESOURCE))).status).toBe(401);
    const authorized = await rs.handler(
      new Request(RESOURCE, { headers: { Authorization: `Bearer ${await mint()}` } }),
    );
    expect(authorized.status).toBe(405);
    expect(authorized.headers.get('allow')).toBe('POST');
  });

  it('answers 400 to a body that is not JSON', async () => {
    const response = await callAs(await mint(), '{not json');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: -32700 } });
  });
});

describe('scopes and tools', () => {
  it('answers 403 insufficient_scope for admin_reset with the basic scope', async () => {
    const response = await callAs(await mint(), toolCall('admin_reset'));
    expect(response.status).toBe(403);
    expect(challengeParams(response)).toMatchObject({
      error: 'insufficient_scope',
      scope: 'mcp:admin',
      resource_metadata: PRM_URL,
    });
    expect(challengeParams(response).error_description).toBeTruthy();
  });

  it('checks every call of a batch', async () => {
    const batch = `[${toolCall('echo', { message: 'a' })},${toolCall('admin_reset')}]`;
    expect((await callAs(await mint(), batch)).status).toBe(403);
  });

  it('runs admin_reset with the elevated scope, which also implies the basic one', async () => {
    const token = await mint({ claims: { scope: 'mcp:admin' } });
    expect((await callAs(token, toolCall('admin_reset'))).status).toBe(200);
    expect((await callAs(token, toolCall('echo', { message: 'x' }))).status).toBe(200);
  });

  it('echoes, and whoami reports the token', async () => {
    const rs = server();
    const token = await mint({ claims: { sub: 'user-bob', scope: 'mcp:tools' } });
    const echo = await callAs(token, toolCall('echo', { message: 'hello' }), rs);
    expect(echo.status).toBe(200);
    expect(await echo.json()).toMatchObject({ result: { content: [{ type: 'text', text: 'hello' }] } });
    const whoami = await callAs(token, toolCall('whoami'), rs);
    expect(await whoami.json()).toMatchObject({
      result: { structuredContent: { sub: 'user-bob', client_id: 'client-123', scope: 'mcp:tools', aud: [RESOURCE] } },
    });
  });

  it('initializes', async () => {
    const body = rpc('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'test', version: '1' },
    });
    const response = await callAs(await mint(), body);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ result: { serverInfo: { name: 'Reference MCP server' } } });
  });
});

async function claimsOf(token: Promise<string>): Promise<Record<string, unknown>> {
  const [, payload] = (await token).split('.');
  return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
}

function hs256(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(new Uint8Array(32));
}
