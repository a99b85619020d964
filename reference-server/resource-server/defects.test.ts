import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../harness/clock.ts';
import { DEFECTS, type Defect, Defects } from '../defects.ts';
import { createResourceServer, type ResourceServer } from './index.ts';
import { createTestIssuer, type TestIssuer, unsignedToken } from './test-issuer.ts';
import { mcpRequest, openSession, postInSession, toolCall } from './test-mcp.ts';

const RESOURCE = 'https://mcp.test/mcp';
const ISSUER = 'https://as.test';
const LAB = 'https://lab.test';
const DOWNSTREAM = 'https://downstream.test/api';
const PRM_PATH_INSERTED = 'https://mcp.test/.well-known/oauth-protected-resource/mcp';
const PRM_ROOT = 'https://mcp.test/.well-known/oauth-protected-resource';
const START = Date.UTC(2030, 0, 1);
const NOW = Math.floor(START / 1000);

let as: TestIssuer;
let lab: TestIssuer;
/** Authorization headers the downstream API received. */
const downstreamSaw: (string | null)[] = [];
beforeAll(async () => {
  as = await createTestIssuer(ISSUER, RESOURCE);
  lab = await createTestIssuer(LAB, RESOURCE);
});

const outbound = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const request = new Request(input, init);
  if (request.url.startsWith(DOWNSTREAM)) {
    downstreamSaw.push(request.headers.get('authorization'));
    return Response.json({ ok: true });
  }
  return (request.url.startsWith(LAB) ? lab.fetch : as.fetch)(request);
};

function build(defects: Defect[]): ResourceServer {
  return createResourceServer({
    resource: RESOURCE,
    authorizationServers: [ISSUER],
    trustedIssuers: [{ issuer: LAB, requiredClaims: { acr: 'loa2' } }],
    fetch: outbound,
    clock: new ManualClock(START),
    scopes: { basic: 'mcp:tools', elevated: 'mcp:admin' },
    defects: new Defects(defects),
    introspection: { client_id: 'rs', client_secret: 'secret' },
    downstream: { url: DOWNSTREAM, client: { client_id: 'rs', client_secret: 'secret' } },
  });
}

/** A tool call in a fresh session opened with the same token (without a token: straight at the endpoint). */
function call(rs: ResourceServer, tool: string, token?: string): Promise<Response> {
  const body = toolCall(tool, { message: 'x' });
  if (!token) return rs.handler(mcpRequest(RESOURCE, { body }));
  return postInSession(rs.handler, RESOURCE, token, body);
}

const accepts = async (rs: ResourceServer, token: string | Promise<string>) =>
  (await call(rs, 'echo', await token)).status === 200;

/** Opens a session as alice; the probe then sends `request` options into it. */
async function inAliceSession(rs: ResourceServer) {
  const opened = await openSession(rs.handler, RESOURCE, await mint());
  if (!('sessionId' in opened)) throw new Error(`alice could not open a session (${opened.refusal.status})`);
  return opened.sessionId;
}

function challenge(response: Response): Record<string, string> {
  const header = response.headers.get('www-authenticate') ?? '';
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

const unauthenticatedChallenge = async (rs: ResourceServer) => challenge(await call(rs, 'echo'));
const prm = async (rs: ResourceServer, url = PRM_PATH_INSERTED) => rs.handler(new Request(url));
const prmJson = async (rs: ResourceServer) => (await (await prm(rs)).json()) as Record<string, unknown>;
const mint = (claims: Record<string, unknown> = {}) => as.mint({ nowSeconds: NOW, claims });
const mintWith = (options: Parameters<TestIssuer['mint']>[0]) => as.mint({ nowSeconds: NOW, ...options });

/** Each probe answers "does this server show the bug?" — false for the correct server, true with the defect. */
const probes: Record<string, (rs: ResourceServer) => Promise<boolean>> = {
  'prm-not-served': async (rs) =>
    (await prm(rs)).status === 404 &&
    (await prm(rs, PRM_ROOT)).status === 404 &&
    !(await unauthenticatedChallenge(rs)).resource_metadata,
  'challenge-without-resource-metadata': async (rs) => !(await unauthenticatedChallenge(rs)).resource_metadata,
  'challenge-wrong-resource-metadata': async (rs) => {
    const pointer = (await unauthenticatedChallenge(rs)).resource_metadata ?? '';
    return (await rs.handler(new Request(pointer))).status === 404;
  },
  'prm-root-only': async (rs) => (await prm(rs)).status === 404 && (await prm(rs, PRM_ROOT)).status === 200,
  'prm-text-plain': async (rs) =>
    !(await prm(rs, PRM_ROOT)).headers.get('content-type')?.startsWith('application/json'),
  'prm-resource-origin-only': async (rs) => (await prmJson(rs)).resource !== RESOURCE,
  'prm-no-authorization-servers': async (rs) => !('authorization_servers' in (await prmJson(rs))),
  'prm-no-scopes': async (rs) => !('scopes_supported' in (await prmJson(rs))),
  'prm-bearer-query': async (rs) => ((await prmJson(rs)).bearer_methods_supported as string[]).includes('query'),
  'prm-offline-access-scope': async (rs) =>
    ((await prmJson(rs)).scopes_supported as string[]).includes('offline_access') &&
    ((await unauthenticatedChallenge(rs)).scope ?? '').split(' ').includes('offline_access'),
  'rs-allows-anonymous': async (rs) => (await rs.handler(mcpRequest(RESOURCE))).status === 200,
  'rs-error-code-without-credentials': async (rs) => 'error' in (await unauthenticatedChallenge(rs)),
  'rs-challenge-no-scope': async (rs) => !('scope' in (await unauthenticatedChallenge(rs))),
  'rs-audience-trailing-slash': async (rs) => (await call(rs, 'echo', await mint())).status === 401,
  'audience-unchecked': async (rs) =>
    (await call(rs, 'echo', await mint({ aud: 'https://mcp.test/other' }))).status === 200,
  'expiry-unchecked': async (rs) =>
    (await call(rs, 'echo', await mint({ iat: NOW - 600, exp: NOW - 60 }))).status === 200,
  'signature-unchecked': async (rs) => {
    const claims = {
      iss: ISSUER,
      sub: 'mallory',
      aud: RESOURCE,
      client_id: 'c',
      scope: 'mcp:tools',
      iat: NOW,
      exp: NOW + 60,
      jti: 'j',
    };
    return (await call(rs, 'echo', unsignedToken({ typ: 'at+jwt' }, claims))).status === 200;
  },
  'rs-500-on-malformed-token': async (rs) => (await call(rs, 'echo', 'not-a-jwt')).status === 500,
  'rs-invalid-token-no-error-code': async (rs) => {
    const response = await call(rs, 'echo', await mint({ iat: NOW - 600, exp: NOW - 60 }));
    return response.status === 401 && !('error' in challenge(response));
  },
  'rs-scope-unchecked': async (rs) => (await call(rs, 'admin_reset', await mint())).status === 200,
  'rs-accepts-query-token': async (rs) =>
    (await rs.handler(mcpRequest(`${RESOURCE}?access_token=${await mint()}`))).status === 200,
  'rs-bare-bearer-500': async (rs) =>
    (await rs.handler(mcpRequest(RESOURCE, { authorization: 'Bearer   ' }))).status === 500,
  'rs-split-bearer-500': async (rs) =>
    (await rs.handler(mcpRequest(RESOURCE, { authorization: 'Bearer one two' }))).status === 500,
  'nbf-unchecked': (rs) => accepts(rs, mint({ nbf: NOW + 600 })),
  'hs256-public-key-accepted': (rs) =>
    accepts(rs, mintWith({ key: new TextEncoder().encode(as.publicPem), header: { alg: 'HS256' } })),
  'unknown-kid-unverified': (rs) => accepts(rs, mintWith({ key: as.foreignKey, header: { kid: 'unlisted' } })),
  'issuer-unchecked': (rs) => accepts(rs, mint({ iss: 'https://untrusted.test' })),
  'missing-aud-accepted': (rs) => accepts(rs, mint({ aud: undefined })),
  'aud-array-rejected': async (rs) => !(await accepts(rs, mint({ aud: ['https://other.test', RESOURCE] }))),
  'typ-unchecked': (rs) => accepts(rs, mintWith({ header: { typ: 'JWT' } })),
  'exp-optional': (rs) => accepts(rs, mint({ exp: undefined })),
  'embedded-jwk-trusted': (rs) =>
    accepts(rs, mintWith({ key: as.attackerKey, header: { kid: undefined, jwk: as.attackerJwk } })),
  'jku-followed': (rs) =>
    accepts(rs, mintWith({ key: as.attackerKey, header: { kid: 'attacker', jku: `${ISSUER}/attacker/jwks` } })),
  'crit-ignored': (rs) => accepts(rs, mintWith({ header: { crit: ['x-unknown'], 'x-unknown': true } })),
  'rs256-rejected': async (rs) =>
    !(await accepts(rs, mintWith({ key: as.rsaKey, header: { alg: 'RS256', kid: 'test-rsa' } }))),
  'bearer-scheme-case-sensitive': async (rs) =>
    (await rs.handler(mcpRequest(RESOURCE, { authorization: `bearer ${await mint()}` }))).status !== 200,
  'resource-case-sensitive': async (rs) => !(await accepts(rs, mint({ aud: 'HTTPS://MCP.TEST/mcp' }))),
  'revocation-unchecked': async (rs) => {
    const token = await mint({ jti: crypto.randomUUID() });
    as.revoked.add(token);
    return accepts(rs, token);
  },
  'session-as-auth': async (rs) => {
    const sessionId = await inAliceSession(rs);
    return (await rs.handler(mcpRequest(RESOURCE, { sessionId, body: toolCall('whoami') }))).status === 200;
  },
  'session-not-bound-to-user': async (rs) => {
    const sessionId = await inAliceSession(rs);
    const bob = await mint({ sub: 'user-bob' });
    return (await rs.handler(mcpRequest(RESOURCE, { token: bob, sessionId, body: toolCall('whoami') }))).status === 200;
  },
  'token-passthrough': async (rs) => {
    const token = await mint();
    downstreamSaw.length = 0;
    await call(rs, 'downstream_report', token);
    return downstreamSaw.includes(`Bearer ${token}`);
  },
  'rs-malformed-request-500': async (rs) =>
    (await postInSession(rs.handler, RESOURCE, await mint(), '{"jsonrpc": "2.0", "method": ')).status === 500,
  'get-unauthenticated': async (rs) => (await rs.handler(mcpRequest(RESOURCE, { method: 'GET' }))).status !== 401,
  'scope-hierarchy-ignored': async (rs) => (await call(rs, 'echo', await mint({ scope: 'mcp:admin' }))).status === 403,
  'required-claim-unchecked': (rs) => accepts(rs, lab.mint({ nowSeconds: NOW })),
};

/** The resource-server section of the defect list: from the first RS defect to the last. */
function resourceServerDefects(): string[] {
  const names = Object.keys(DEFECTS);
  return names.slice(names.indexOf('prm-not-served'), names.indexOf('required-claim-unchecked') + 1);
}

describe('resource server defects', () => {
  it('has a probe for every resource-server defect', () => {
    expect(Object.keys(probes).sort()).toEqual(resourceServerDefects().sort());
  });

  it('probes a server that accepts valid tokens of both its issuers and calls the downstream API', async () => {
    const rs = build([]);
    expect(await accepts(rs, mint())).toBe(true);
    expect(await accepts(rs, lab.mint({ nowSeconds: NOW, claims: { acr: 'loa2' } }))).toBe(true);
    downstreamSaw.length = 0;
    expect((await call(rs, 'downstream_report', await mint())).status).toBe(200);
    expect(downstreamSaw).toEqual(['Bearer exchanged-token']);
  });

  it.each(Object.entries(probes))('%s: the bug shows only with the defect', async (defect, probe) => {
    expect(await probe(build([]))).toBe(false);
    expect(await probe(build([defect as Defect]))).toBe(true);
  });
});
