import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../harness/clock.ts';
import { DEFECTS, type Defect, Defects } from '../defects.ts';
import { createResourceServer, type ResourceServer } from './index.ts';
import { createTestIssuer, type TestIssuer, unsignedToken } from './test-issuer.ts';

const RESOURCE = 'https://mcp.test/mcp';
const ISSUER = 'https://as.test';
const PRM_PATH_INSERTED = 'https://mcp.test/.well-known/oauth-protected-resource/mcp';
const PRM_ROOT = 'https://mcp.test/.well-known/oauth-protected-resource';
const START = Date.UTC(2030, 0, 1);
const NOW = Math.floor(START / 1000);

let as: TestIssuer;
beforeAll(async () => {
  as = await createTestIssuer(ISSUER, RESOURCE);
});

function build(defects: Defect[]): ResourceServer {
  return createResourceServer({
    resource: RESOURCE,
    authorizationServers: [ISSUER],
    fetch: as.fetch,
    clock: new ManualClock(START),
    scopes: { basic: 'mcp:tools', elevated: 'mcp:admin' },
    defects: new Defects(defects),
  });
}

function call(rs: ResourceServer, tool: string, token?: string): Promise<Response> {
  return rs.handler(
    new Request(RESOURCE, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: tool, arguments: { message: 'x' } },
      }),
    }),
  );
}

function challenge(response: Response): Record<string, string> {
  const header = response.headers.get('www-authenticate') ?? '';
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

const unauthenticatedChallenge = async (rs: ResourceServer) => challenge(await call(rs, 'echo'));
const prm = async (rs: ResourceServer, url = PRM_PATH_INSERTED) => rs.handler(new Request(url));
const prmJson = async (rs: ResourceServer) => (await (await prm(rs)).json()) as Record<string, unknown>;
const mint = (claims: Record<string, unknown> = {}) => as.mint({ nowSeconds: NOW, claims });

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
  'rs-allows-anonymous': async (rs) => (await call(rs, 'echo')).status === 200,
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
};

function resourceServerDefects(): string[] {
  const names = Object.keys(DEFECTS);
  return names.slice(names.indexOf('prm-not-served'), names.indexOf('rs-scope-unchecked') + 1);
}

describe('resource server defects', () => {
  it('has a probe for every resource-server defect', () => {
    expect(Object.keys(probes).sort()).toEqual(resourceServerDefects().sort());
  });

  it.each(Object.entries(probes))('%s: the bug shows only with the defect', async (defect, probe) => {
    expect(await probe(build([]))).toBe(false);
    expect(await probe(build([defect as Defect]))).toBe(true);
  });
});
