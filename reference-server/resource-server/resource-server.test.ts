import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../harness/clock.ts';
import { type Defect, Defects } from '../defects.ts';
import { createResourceServer, type ResourceServerOptions, resourceMetadataUrl } from './index.ts';
import { createTestIssuer, type TestIssuer, unsignedToken } from './test-issuer.ts';
import { mcpRequest, openSession, postInSession, rpc, toolCall } from './test-mcp.ts';

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

/** Opens a session with the token and sends `body` in it (a refusal on the way is answered instead). */
async function callAs(token: string, body = toolCall('echo', { message: 'hi' }), rs = server()) {
  return postInSession(rs.handler, RESOURCE, token, body);
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
    const response = await server().handler(mcpRequest(RESOURCE, { authorization: `bearer ${await mint()}` }));
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

  it('guards GET as well, and answers 405 to GET with a valid token (no SSE stream offered)', async () => {
    const rs = server();
    expect((await rs.handler(new Request(RESOURCE))).status).toBe(401);
    const authorized = await rs.handler(mcpRequest(RESOURCE, { method: 'GET', token: await mint() }));
    expect(authorized.status).toBe(405);
    expect(authorized.headers.get('allow')).toBe('POST, DELETE');
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

  it('initializes, issuing a session id', async () => {
    const response = await server().handler(mcpRequest(RESOURCE, { token: await mint() }));
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toMatchObject({ result: { serverInfo: { name: 'Reference MCP server' } } });
  });
});

describe("sessions (MCP Streamable HTTP, bound to the token's user)", () => {
  const echo = toolCall('echo', { message: 'in session' });

  async function opened(rs = server(), token?: string) {
    const user = token ?? (await mint());
    const session = await openSession(rs.handler, RESOURCE, user);
    if (!('sessionId' in session)) throw new Error(`no session: ${session.refusal.status}`);
    return { rs, token: user, sessionId: session.sessionId };
  }

  it('serves calls in a session with a token of the same user, even another token', async () => {
    const { rs, sessionId } = await opened();
    const sameUserNewToken = await mint({ claims: { jti: 'another-token' } });
    const response = await rs.handler(mcpRequest(RESOURCE, { token: sameUserNewToken, sessionId, body: echo }));
    expect(response.status).toBe(200);
  });

  it('answers 400 to a call without a session id (initialize comes first)', async () => {
    const response = await server().handler(mcpRequest(RESOURCE, { token: await mint(), body: echo }));
    expect(response.status).toBe(400);
  });

  it('re-authenticates every request: a session id without a token is 401', async () => {
    const { rs, sessionId } = await opened();
    for (const method of ['POST', 'GET', 'DELETE'] as const) {
      const response = await rs.handler(mcpRequest(RESOURCE, { method, sessionId, body: echo }));
      expect(response.status).toBe(401);
    }
  });

  it("refuses another user's valid token on the session with 401 invalid_token", async () => {
    const { rs, sessionId } = await opened();
    const bob = await mint({ claims: { sub: 'user-bob' } });
    const response = await rs.handler(mcpRequest(RESOURCE, { token: bob, sessionId, body: echo }));
    expect(response.status).toBe(401);
    expect(challengeParams(response)).toMatchObject({ error: 'invalid_token' });
    expect(challengeParams(response).error_description).toMatch(/another user/);
  });

  it('treats the same sub from another issuer as another user', async () => {
    const other = await createTestIssuer('https://other-as.test', RESOURCE);
    const fetch = async (input: string | URL | Request, init?: RequestInit) => {
      const request = new Request(input, init);
      return (request.url.startsWith(other.issuer) ? other.fetch : as.fetch)(request);
    };
    const rs = server({ fetch, trustedIssuers: [{ issuer: other.issuer }] });
    const { sessionId } = await opened(rs);
    const sameSubElsewhere = await other.mint({ nowSeconds });
    const response = await rs.handler(mcpRequest(RESOURCE, { token: sameSubElsewhere, sessionId, body: echo }));
    expect(response.status).toBe(401);
  });

  it('answers 404 (JSON-RPC error) for an unknown session id with a valid token', async () => {
    const response = await server().handler(
      mcpRequest(RESOURCE, { token: await mint(), sessionId: 'no-such-session', body: echo }),
    );
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 } });
  });

  it('ends a session on DELETE; its id is unknown from then on', async () => {
    const { rs, token, sessionId } = await opened();
    expect((await rs.handler(mcpRequest(RESOURCE, { method: 'DELETE', token, sessionId }))).status).toBe(200);
    expect((await rs.handler(mcpRequest(RESOURCE, { token, sessionId, body: echo }))).status).toBe(404);
  });

  it("refuses DELETE of a session with another user's token", async () => {
    const { rs, token, sessionId } = await opened();
    const bob = await mint({ claims: { sub: 'user-bob' } });
    expect((await rs.handler(mcpRequest(RESOURCE, { method: 'DELETE', token: bob, sessionId }))).status).toBe(401);
    expect((await rs.handler(mcpRequest(RESOURCE, { token, sessionId, body: echo }))).status).toBe(200);
  });

  it('ends idle sessions by the clock', async () => {
    const clock = new ManualClock(START);
    const rs = server({ clock, sessions: { idleSeconds: 60 } });
    const token = await mint({ claims: { exp: nowSeconds + 3600 } });
    const { sessionId } = await opened(rs, token);
    clock.advance(30_000);
    expect((await rs.handler(mcpRequest(RESOURCE, { token, sessionId, body: echo }))).status).toBe(200);
    clock.advance(61_000);
    expect((await rs.handler(mcpRequest(RESOURCE, { token, sessionId, body: echo }))).status).toBe(404);
  });

  it('keeps at most maxSessions, ending the least recently used', async () => {
    const rs = server({ sessions: { maxSessions: 2 } });
    const token = await mint();
    const first = await opened(rs, token);
    const second = await opened(rs, token);
    expect((await rs.handler(mcpRequest(RESOURCE, { token, sessionId: first.sessionId, body: echo }))).status).toBe(
      200,
    );
    await opened(rs, token);
    const status = async (sessionId: string) =>
      (await rs.handler(mcpRequest(RESOURCE, { token, sessionId, body: echo }))).status;
    expect(await status(second.sessionId)).toBe(404);
    expect(await status(first.sessionId)).toBe(200);
  });
});

describe('trusted issuers and their rules', () => {
  const LAB = 'https://lab.test';
  let lab: TestIssuer;
  const contacted: string[] = [];
  beforeAll(async () => {
    lab = await createTestIssuer(LAB, RESOURCE);
  });
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    contacted.push(request.url);
    return (request.url.startsWith(LAB) ? lab.fetch : as.fetch)(request);
  };
  const labServer = (rule: Record<string, unknown> = {}) =>
    server({ fetch, trustedIssuers: [{ issuer: LAB, requiredClaims: { acr: 'loa2' }, ...rule }] });
  const labToken = (claims: Record<string, unknown> = {}) =>
    lab.mint({ nowSeconds, claims: { acr: 'loa2', ...claims } });

  it('accepts a token of a further trusted issuer that meets its rules, keys through its metadata', async () => {
    contacted.length = 0;
    expect((await callAs(await labToken(), undefined, labServer())).status).toBe(200);
    expect(contacted).toContain(`${LAB}/.well-known/oauth-authorization-server`);
    expect(contacted).toContain(`${LAB}/jwks`);
  });

  it.each([
    ['without the required claim', { acr: undefined }],
    ['with another value of it', { acr: 'loa1' }],
  ])('refuses a token %s', async (_, claims) => {
    const response = await callAs(await labToken(claims), undefined, labServer());
    expect(response.status).toBe(401);
    expect(challengeParams(response).error_description).toMatch(/acr/);
  });

  it('accepts any of several listed values of a required claim', async () => {
    const rs = labServer({ requiredClaims: { acr: ['loa2', 'loa3'] } });
    expect((await callAs(await labToken({ acr: 'loa3' }), undefined, rs)).status).toBe(200);
  });

  it('holds the issuer to its allowedAudiences', async () => {
    const rs = labServer({ allowedAudiences: ['https://mcp.test/lab-audience'] });
    expect((await callAs(await labToken(), undefined, rs)).status).toBe(401);
    const token = await labToken({ aud: 'https://mcp.test/lab-audience' });
    expect((await callAs(token, undefined, rs)).status).toBe(200);
  });

  it('applies no rule of one issuer to another (the AS tokens need no acr)', async () => {
    expect((await callAs(await mint(), undefined, labServer())).status).toBe(200);
  });

  it('never contacts an issuer it does not trust', async () => {
    contacted.length = 0;
    const response = await callAs(await labToken(), undefined, server({ fetch }));
    expect(response.status).toBe(401);
    expect(contacted.filter((url) => url.startsWith(LAB))).toEqual([]);
  });
});

describe('audience, opaque tokens and token validation details', () => {
  it('compares the scheme and host of aud case-insensitively, the path exactly', async () => {
    expect((await callAs(await mint({ claims: { aud: 'HTTPS://MCP.TEST/mcp' } }))).status).toBe(200);
    expect((await callAs(await mint({ claims: { aud: 'https://mcp.test/MCP' } }))).status).toBe(401);
  });

  it('accepts RS256 tokens (RFC 9068 §4)', async () => {
    const token = await mint({ key: as.rsaKey, header: { alg: 'RS256', kid: 'test-rsa' } });
    expect((await callAs(token)).status).toBe(200);
  });

  it.each([
    [
      'HS256 keyed with the public key PEM',
      () => mint({ key: new TextEncoder().encode(as.publicPem), header: { alg: 'HS256' } }),
    ],
    ['a kid the JWKS does not list', () => mint({ key: as.foreignKey, header: { kid: 'unknown' } })],
    ['an embedded jwk header', () => mint({ key: as.attackerKey, header: { kid: undefined, jwk: as.attackerJwk } })],
    ['a jku header', () => mint({ key: as.attackerKey, header: { kid: 'attacker', jku: `${ISSUER}/attacker/jwks` } })],
    ['an unknown crit parameter', () => mint({ header: { crit: ['x-unknown'], 'x-unknown': true } })],
    ['no exp', () => mint({ claims: { exp: undefined } })],
    ['an untrusted iss but a trusted key', () => mint({ claims: { iss: 'https://evil.test' } })],
  ])('refuses a token with %s', async (_, make) => {
    expect((await callAs(await make())).status).toBe(401);
  });

  it('validates an opaque token by introspection, holding the answer to the same rules', async () => {
    const rs = server({ introspection: { client_id: 'rs', client_secret: 'secret' } });
    const claims = { iss: ISSUER, sub: 'user-carol', client_id: 'c', scope: 'mcp:tools', exp: nowSeconds + 60 };
    as.opaque.set('opaque-good', { ...claims, aud: RESOURCE });
    as.opaque.set('opaque-other-audience', { ...claims, aud: 'https://mcp.test/other' });
    const whoami = await callAs('opaque-good', toolCall('whoami'), rs);
    expect(await whoami.json()).toMatchObject({ result: { structuredContent: { sub: 'user-carol' } } });
    expect((await callAs('opaque-other-audience', undefined, rs)).status).toBe(401);
    expect((await callAs('opaque-unknown', undefined, rs)).status).toBe(401);
  });
});

describe('downstream_report (RFC 8693 token exchange)', () => {
  const DOWNSTREAM = 'https://downstream.test/api';
  const seen: (string | null)[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    if (!request.url.startsWith(DOWNSTREAM)) return as.fetch(request);
    seen.push(request.headers.get('authorization'));
    return Response.json({ ok: true });
  };
  const rs = (defect?: Defect) =>
    server({
      fetch,
      downstream: { url: DOWNSTREAM, client: { client_id: 'rs', client_secret: 's' } },
      ...(defect ? { defect } : {}),
    });

  it('exchanges the caller token for the downstream resource and calls it with the new token only', async () => {
    seen.length = 0;
    const token = await mint();
    const reply = await callAs(token, toolCall('downstream_report'), rs());
    expect(await reply.json()).toMatchObject({
      result: { structuredContent: { url: DOWNSTREAM, credential: 'exchanged', status: 200 } },
    });
    expect(seen).toEqual(['Bearer exchanged-token']);
    const exchange = as.tokenRequests.at(-1);
    expect(Object.fromEntries(exchange ?? [])).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      resource: DOWNSTREAM,
    });
  });

  it('is not offered without a downstream', async () => {
    const reply = await callAs(await mint(), rpc('tools/list'));
    const { result } = (await reply.json()) as { result: { tools: { name: string }[] } };
    expect(result.tools.map((tool) => tool.name)).not.toContain('downstream_report');
  });
});

async function claimsOf(token: Promise<string>): Promise<Record<string, unknown>> {
  const [, payload] = (await token).split('.');
  return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
}

function hs256(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(new Uint8Array(32));
}
