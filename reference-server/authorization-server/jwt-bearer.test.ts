import { decodeJwt } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createWorkloadIssuer,
  type WorkloadIssuer,
  type WorkloadTokenOptions,
} from '../../mocks/idps/workload/index.ts';
import { JWT_BEARER_DEFECTS } from '../defects/jwt-bearer.ts';
import type { Defect } from '../defects.ts';
import { JWT_BEARER_GRANT } from './grants/assertion.ts';
import {
  basic,
  CLIENTS,
  createTestServer,
  expectOAuthError,
  ISSUER,
  postForm,
  RESOURCE,
  type TestServer,
} from './test-support.ts';

const WORKLOAD_ISSUER = 'https://workload.example.test';
const TOKEN_ENDPOINT = `${ISSUER}/token`;

/** Trusts the workload issuer with its userinfo (login id = email), keys derived from metadata. */
const WORKLOAD = { client_id: 'workload', client_secret: 'workload-secret' };
/** Trusts the workload issuer with a configured JWKS URL, ES256 only, no userinfo. */
const PLAIN = { client_id: 'plain', client_secret: 'plain-secret' };
/** Registered for the grant, trusting only an issuer nobody serves. */
const OTHER = { client_id: 'other', client_secret: 'other-secret' };
/** client_credentials only. */
const M2M = { client_id: 'm2m', client_secret: 'm2m-secret' };
const UNREACHABLE_ISSUER = 'https://unreachable.example.test';

interface Rig {
  server: TestServer;
  workload: WorkloadIssuer;
  /** Paths of the outbound requests the AS made. */
  outbound: string[];
}

async function createRig(defects: Defect[] = []): Promise<Rig> {
  const outbound: string[] = [];
  let workload: WorkloadIssuer | undefined;
  const machine = (credentials: { client_id: string; client_secret: string }, grant: string) => ({
    ...credentials,
    redirect_uris: [],
    grant_types: [grant],
    token_endpoint_auth_method: 'client_secret_basic' as const,
  });
  const server = await createTestServer({
    defects,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      outbound.push(url.pathname);
      if (url.origin !== WORKLOAD_ISSUER || !workload) throw new TypeError('fetch failed');
      return workload.handler(request);
    },
    clients: [
      {
        ...machine(WORKLOAD, JWT_BEARER_GRANT),
        settings: {
          trusted_issuers: [
            { issuer: WORKLOAD_ISSUER, userinfo_endpoint: `${WORKLOAD_ISSUER}/userinfo`, login_id_field: 'email' },
          ],
        },
      },
      {
        ...machine(PLAIN, JWT_BEARER_GRANT),
        settings: {
          trusted_issuers: [{ issuer: WORKLOAD_ISSUER, jwks_uri: `${WORKLOAD_ISSUER}/jwks`, algorithms: ['ES256'] }],
        },
      },
      { ...machine(OTHER, JWT_BEARER_GRANT), settings: { trusted_issuers: [{ issuer: UNREACHABLE_ISSUER }] } },
      machine(M2M, 'client_credentials'),
      { ...machine(CLIENTS.resourceServer, 'client_credentials'), grant_types: [] },
    ],
  });
  workload = await createWorkloadIssuer({ issuer: WORKLOAD_ISSUER, clock: server.clock, audience: ISSUER });
  return { server, workload, outbound };
}

function redeem(
  rig: Rig,
  assertion: string | undefined,
  { client = WORKLOAD, fields = {} }: { client?: typeof WORKLOAD; fields?: Record<string, string> } = {},
): Promise<Response> {
  const form: Record<string, string> = { grant_type: JWT_BEARER_GRANT, ...fields };
  if (assertion !== undefined) form.assertion = assertion;
  return postForm(rig.server.handler, TOKEN_ENDPOINT, form, basic(client.client_id, client.client_secret));
}

async function accessTokenClaims(response: Response): Promise<Record<string, unknown>> {
  const body = (await response.json()) as Record<string, unknown>;
  expect(response.status, JSON.stringify(body)).toBe(200);
  expect(body.refresh_token).toBeUndefined();
  return decodeJwt(String(body.access_token));
}

const seconds = (rig: Rig) => Math.floor(rig.server.clock.now() / 1000);

let rig: Rig;

beforeEach(async () => {
  rig = await createRig();
});

describe('JWT bearer grant: valid workload assertions', () => {
  it('issues a resource-bound access token whose sub is the login id from userinfo', async () => {
    const response = await redeem(rig, await rig.workload.mint());
    expect(response.headers.get('cache-control')).toBe('no-store');
    const claims = await accessTokenClaims(response);
    expect(claims).toMatchObject({
      iss: ISSUER,
      sub: rig.workload.workload.email,
      aud: RESOURCE,
      client_id: WORKLOAD.client_id,
      scope: 'mcp:tools',
    });
    expect(rig.outbound).toEqual(['/.well-known/openid-configuration', '/jwks', '/userinfo']);
    expect(rig.workload.userinfoRequests()).toBe(1);
  });

  it('accepts RS256 and the token endpoint URL as audience, and honours scope and resource', async () => {
    const assertion = await rig.workload.mint({ alg: 'RS256', claims: { aud: TOKEN_ENDPOINT } });
    const claims = await accessTokenClaims(
      await redeem(rig, assertion, { fields: { scope: 'mcp:admin', resource: RESOURCE } }),
    );
    expect(claims).toMatchObject({ aud: RESOURCE, scope: 'mcp:admin' });
  });

  it("keeps the JWT's sub without a userinfo endpoint, and uses the configured JWKS URL", async () => {
    const claims = await accessTokenClaims(await redeem(rig, await rig.workload.mint(), { client: PLAIN }));
    expect(claims.sub).toBe(rig.workload.workload.sub);
    expect(rig.outbound).toEqual(['/jwks']);
  });

  it('caches the issuer keys, and fetches them again once for an unknown kid (rotation)', async () => {
    await accessTokenClaims(await redeem(rig, await rig.workload.mint(), { client: PLAIN }));
    await accessTokenClaims(await redeem(rig, await rig.workload.mint(), { client: PLAIN }));
    expect(rig.outbound).toEqual(['/jwks']);
    const rotated = await rig.workload.mint({ header: { kid: 'rotated-key' } });
    await expectOAuthError(await redeem(rig, rotated, { client: PLAIN }), 400, 'invalid_grant');
    expect(rig.outbound).toEqual(['/jwks', '/jwks']);
  });

  it('accepts an assertion without jti (only jti-carrying assertions are single-use)', async () => {
    const assertion = await rig.workload.mint({ claims: { jti: undefined } });
    await accessTokenClaims(await redeem(rig, assertion, { client: PLAIN }));
    await accessTokenClaims(await redeem(rig, assertion, { client: PLAIN }));
  });
});

type Case = [string, (rig: Rig) => Promise<Response>, string?];

const mintAndRedeem =
  (options: WorkloadTokenOptions | ((rig: Rig) => WorkloadTokenOptions), client = WORKLOAD) =>
  async (rig: Rig) =>
    redeem(rig, await rig.workload.mint(typeof options === 'function' ? options(rig) : options), { client });

const REFUSALS: Case[] = [
  [
    'an issuer the client does not trust',
    mintAndRedeem((rig) => ({ key: 'untrusted', claims: { iss: rig.workload.untrustedIssuer } })),
  ],
  ['a trusted issuer of another client', mintAndRedeem({}, OTHER)],
  ['a signature by a key the issuer never published', mintAndRedeem({ key: 'untrusted' })],
  ['alg none', mintAndRedeem({ header: { alg: 'none' } })],
  ['a symmetric alg (HS256)', mintAndRedeem({ header: { alg: 'HS256' } })],
  ['an algorithm outside the configured list', mintAndRedeem({ alg: 'RS256' }, PLAIN)],
  ['another audience', mintAndRedeem({ claims: { aud: 'https://elsewhere.example.test' } })],
  ['no iss', mintAndRedeem({ claims: { iss: undefined } })],
  ['no sub', mintAndRedeem({ claims: { sub: undefined } })],
  ['no exp', mintAndRedeem({ claims: { exp: undefined } })],
  ['an exp that is not a number', mintAndRedeem({ claims: { exp: 'tomorrow' } })],
  ['a jti that is not a string', mintAndRedeem({ claims: { jti: { nested: true } } })],
  ['an nbf in the future', mintAndRedeem((rig) => ({ claims: { nbf: seconds(rig) + 120 } }))],
  ['an iat in the future', mintAndRedeem((rig) => ({ claims: { iat: seconds(rig) + 3600 } }))],
  ['an iat two days old', mintAndRedeem((rig) => ({ claims: { iat: seconds(rig) - 2 * 86_400 } }))],
  [
    'an expired assertion',
    async (rig) => {
      const assertion = await rig.workload.mint();
      rig.server.clock.advance(331_000);
      return redeem(rig, assertion);
    },
  ],
  [
    'a replayed jti',
    async (rig) => {
      const assertion = await rig.workload.mint();
      expect((await redeem(rig, assertion)).status).toBe(200);
      return redeem(rig, assertion);
    },
  ],
  ['a userinfo answer about another subject', mintAndRedeem({ userinfo: { sub: 'someone-else', email: 'x@y.test' } })],
  [
    'a userinfo answer without the login id field',
    mintAndRedeem((rig) => ({ userinfo: { sub: rig.workload.workload.sub } })),
  ],
  ['an issuer whose metadata cannot be fetched', mintAndRedeem({ claims: { iss: UNREACHABLE_ISSUER } }, OTHER)],
  ['garbage instead of a JWT', (rig) => redeem(rig, 'not-a-jwt')],
  ['three segments of garbage', (rig) => redeem(rig, 'a.b.c')],
  ['a client not registered for the grant', mintAndRedeem({}, M2M), 'unauthorized_client'],
  [
    'an unknown scope',
    async (rig) => redeem(rig, await rig.workload.mint(), { fields: { scope: 'x' } }),
    'invalid_scope',
  ],
  [
    'an unknown resource',
    async (rig) => redeem(rig, await rig.workload.mint(), { fields: { resource: 'https://nope.test/' } }),
    'invalid_target',
  ],
  ['no assertion', (rig) => redeem(rig, undefined), 'invalid_request'],
  [
    'two assertions',
    async (rig) => {
      const body = new URLSearchParams({ grant_type: JWT_BEARER_GRANT });
      body.append('assertion', await rig.workload.mint());
      body.append('assertion', await rig.workload.mint());
      return rig.server.handler(
        new Request(TOKEN_ENDPOINT, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...basic(WORKLOAD.client_id, 'workload-secret'),
          },
          body,
        }),
      );
    },
    'invalid_request',
  ],
  ['an assertion larger than the body limit', (rig) => redeem(rig, 'a'.repeat(70_000)), 'invalid_request'],
];

describe('JWT bearer grant: refusals (RFC 7523 §3.1), never a 500', () => {
  it.each(REFUSALS)('refuses %s', async (_name, attempt, error = 'invalid_grant') => {
    await expectOAuthError(await attempt(rig), 400, error);
  });
});

// ── Every defect of this grant shows its bug only when planted ─────────────────────────────────────────────────

/** Is the planted bug visible on this rig? Must be false on the correct server. */
type Probe = (rig: Rig) => Promise<boolean>;

const issued = async (response: Response) => response.status === 200;
const accepted =
  (options: WorkloadTokenOptions | ((rig: Rig) => WorkloadTokenOptions), client = WORKLOAD) =>
  async (rig: Rig) =>
    issued(await mintAndRedeem(options, client)(rig));

const PROBES: Record<keyof typeof JWT_BEARER_DEFECTS, Probe> = {
  'jwt-bearer-untrusted-issuer': accepted((rig) => ({
    key: 'untrusted',
    claims: { iss: rig.workload.untrustedIssuer },
  })),
  'jwt-bearer-issuer-trust-shared': async (rig) => {
    const other = await createTestServerClientTrustingNothing(rig);
    return issued(await redeem(rig, await rig.workload.mint(), { client: other }));
  },
  'jwt-bearer-signature-unchecked': accepted({ key: 'untrusted' }),
  'jwt-bearer-alg-none-accepted': accepted({ header: { alg: 'none' } }),
  'jwt-bearer-expiry-unchecked': async (rig) => {
    const assertion = await rig.workload.mint();
    rig.server.clock.advance(600_000);
    return issued(await redeem(rig, assertion));
  },
  'jwt-bearer-audience-unchecked': accepted({ claims: { aud: 'https://elsewhere.example.test' } }),
  'jwt-bearer-required-claims-optional': accepted({ claims: { exp: undefined } }),
  'jwt-bearer-nbf-ignored': accepted((rig) => ({ claims: { nbf: seconds(rig) + 120 } })),
  'jwt-bearer-jti-replay': async (rig) => {
    const assertion = await rig.workload.mint();
    await redeem(rig, assertion);
    return issued(await redeem(rig, assertion));
  },
  'jwt-bearer-userinfo-sub-unchecked': accepted({ userinfo: { sub: 'someone-else', email: 'x@y.test' } }),
  'jwt-bearer-wrong-error-code': async (rig) => {
    const response = await mintAndRedeem({ key: 'untrusted' })(rig);
    return ((await response.json()) as { error?: string }).error !== 'invalid_grant';
  },
  'jwt-bearer-audience-unbound': async (rig) => {
    const response = await redeem(rig, await rig.workload.mint());
    const body = (await response.json()) as { access_token: string };
    return decodeJwt(body.access_token).aud !== RESOURCE;
  },
  'jwt-bearer-refresh-token-issued': async (rig) => {
    const response = await redeem(rig, await rig.workload.mint());
    return ((await response.json()) as { refresh_token?: string }).refresh_token !== undefined;
  },
  'jwt-bearer-assertion-count-unchecked': async (rig) => {
    const body = new URLSearchParams({ grant_type: JWT_BEARER_GRANT });
    body.append('assertion', await rig.workload.mint());
    body.append('assertion', 'not-a-jwt');
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      ...basic(WORKLOAD.client_id, 'workload-secret'),
    };
    return issued(await rig.server.handler(new Request(TOKEN_ENDPOINT, { method: 'POST', headers, body })));
  },
  'jwt-bearer-malformed-assertion-500': async (rig) => (await redeem(rig, 'not-a-jwt')).status === 500,
};

/** Registers (through the store) a JWT bearer client that trusts no issuer at all, beside the workload client. */
async function createTestServerClientTrustingNothing(rig: Rig): Promise<typeof WORKLOAD> {
  const credentials = { client_id: 'trusts-nothing', client_secret: 'trusts-nothing-secret' };
  const template = await rig.server.store.clients.get(OTHER.client_id);
  await rig.server.store.clients.save({ ...template!, ...credentials, trusted_issuers: [] });
  return credentials;
}

describe('JWT bearer defects', () => {
  it('has a probe for every defect of the JWT bearer table', () => {
    expect(Object.keys(PROBES).sort()).toEqual(Object.keys(JWT_BEARER_DEFECTS).sort());
  });

  it.each(Object.entries(PROBES))('%s: the bug appears only with the defect', async (defect, probe) => {
    expect(await probe(await createRig()), 'visible on the correct server').toBe(false);
    expect(await probe(await createRig([defect as Defect])), 'visible with the defect').toBe(true);
  });
});
