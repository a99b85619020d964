import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  createEnterpriseIdp,
  type EnterpriseIdp,
  ID_JAG_TOKEN_TYPE,
  ID_TOKEN_TYPE,
  type IdJagOptions,
  TOKEN_EXCHANGE_GRANT,
} from '../../mocks/idps/enterprise/index.ts';
import { ID_JAG_DEFECTS } from '../defects/id-jag.ts';
import type { Defect } from '../defects.ts';
import { ID_JAG_GRANT_PROFILE } from './grants/id-jag.ts';
import {
  basic,
  createTestServer,
  expectOAuthError,
  get,
  ISSUER,
  OTHER_RESOURCE,
  postForm,
  RESOURCE,
  type TestServer,
} from './test-support.ts';

const IDP = 'https://idp.enterprise.test';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ENTERPRISE = { client_id: 'enterprise-app', client_secret: 'enterprise-secret' };
const POST_CLIENT = { client_id: 'enterprise-post', client_secret: 'enterprise-post-secret' };
const NOT_REGISTERED = { client_id: 'code-only', client_secret: 'code-only-secret' };
const PUBLIC_ENTERPRISE = 'enterprise-public';

interface Rig {
  server: TestServer;
  idp: EnterpriseIdp;
  /** URLs the AS fetched from the IdP. */
  fetched: string[];
}

/** The AS trusting one enterprise IdP, reached through `fetch`; the IdP runs on the AS's clock. */
async function rig(defects: Defect[] = [], { reachable = true } = {}): Promise<Rig> {
  const fetched: string[] = [];
  let server: TestServer | undefined;
  const idp = await createEnterpriseIdp({
    issuer: IDP,
    clock: { now: () => server!.clock.now() },
    clients: [
      { ...ENTERPRISE, audiences: { [ISSUER]: [RESOURCE] }, scopes: ['mcp:tools', 'mcp:admin'] },
      { ...POST_CLIENT, audiences: { [ISSUER]: [RESOURCE] }, scopes: ['mcp:tools'] },
    ],
    users: [
      { sub: 'idp-alice', email: 'Alice@example.com' },
      { sub: 'idp-carol', email: 'carol@elsewhere.example' },
    ],
  });
  const machine = (client_id: string, method: 'client_secret_basic' | 'client_secret_post' | 'none') => ({
    client_id,
    redirect_uris: [],
    grant_types: [JWT_BEARER],
    token_endpoint_auth_method: method,
  });
  server = await createTestServer({
    defects,
    resources: [
      { resource: RESOURCE, scopes: ['mcp:tools', 'mcp:admin'] },
      { resource: OTHER_RESOURCE, scopes: ['mcp:tools'] },
    ],
    clients: [
      { ...machine(ENTERPRISE.client_id, 'client_secret_basic'), client_secret: ENTERPRISE.client_secret },
      { ...machine(POST_CLIENT.client_id, 'client_secret_post'), client_secret: POST_CLIENT.client_secret },
      { ...machine(PUBLIC_ENTERPRISE, 'none') },
      { ...NOT_REGISTERED, redirect_uris: [], grant_types: [], token_endpoint_auth_method: 'client_secret_basic' },
    ],
    enterpriseIdps: [{ issuer: IDP }],
    fetch: async (input, init) => {
      const request = new Request(input, init);
      fetched.push(request.url);
      if (!reachable) throw new TypeError('fetch failed');
      return idp.handler(request);
    },
  });
  return { server, idp, fetched };
}

/** What the IdP's token endpoint answers for the enterprise client's ID token (ID-JAG §4.3). */
async function idpExchange(r: Rig, fields: Record<string, string> = {}): Promise<Response> {
  const body = new URLSearchParams({
    grant_type: TOKEN_EXCHANGE_GRANT,
    requested_token_type: ID_JAG_TOKEN_TYPE,
    subject_token: await r.idp.idToken({ clientId: ENTERPRISE.client_id }),
    subject_token_type: ID_TOKEN_TYPE,
    audience: ISSUER,
    resource: RESOURCE,
    scope: 'mcp:tools',
    ...fields,
  });
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    ...basic(ENTERPRISE.client_id, ENTERPRISE.client_secret),
  };
  return r.idp.handler(new Request(r.idp.tokenEndpoint, { method: 'POST', headers, body }));
}

async function issuedIdJag(r: Rig, fields: Record<string, string> = {}): Promise<string> {
  const response = await idpExchange(r, fields);
  if (response.status !== 200) throw new Error(`IdP refused: ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** An ID-JAG minted for the enterprise client at this AS and resource, any part replaced. */
function minted(r: Rig, overrides: Partial<IdJagOptions> = {}): Promise<string> {
  return r.idp.mintIdJag({
    clientId: ENTERPRISE.client_id,
    audience: ISSUER,
    resource: RESOURCE,
    scope: 'mcp:tools',
    sub: 'idp-alice',
    ...overrides,
  });
}

/** RFC 7523 §2.1 at the AS, as the enterprise client (client_secret_basic) unless other headers are given. */
function redeem(
  r: Rig,
  assertion: string,
  fields: Record<string, string> = {},
  headers: Record<string, string> = basic(ENTERPRISE.client_id, ENTERPRISE.client_secret),
): Promise<Response> {
  return postForm(r.server.handler, `${ISSUER}/token`, { grant_type: JWT_BEARER, assertion, ...fields }, headers);
}

async function tokenBody(response: Response): Promise<Record<string, unknown>> {
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

const now = (r: Rig) => Math.floor(r.server.clock.now() / 1000);

async function metadata(r: Rig): Promise<Record<string, unknown>> {
  return (await get(r.server.handler, `${ISSUER}/.well-known/oauth-authorization-server`)).json() as Promise<
    Record<string, unknown>
  >;
}

describe('ID-JAG metadata (ID-JAG §7.2)', () => {
  it('lists the grant profile and the jwt-bearer grant, without naming the trusted IdPs', async () => {
    const document = await metadata(await rig());
    expect(document.authorization_grant_profiles_supported).toEqual([ID_JAG_GRANT_PROFILE]);
    expect(document.grant_types_supported).toContain(JWT_BEARER);
    expect(JSON.stringify(document)).not.toContain(IDP);
  });

  it('lists no profile when no enterprise IdP is trusted', async () => {
    const server = await createTestServer();
    const response = await get(server.handler, `${ISSUER}/.well-known/oauth-authorization-server`);
    expect(((await response.json()) as Record<string, unknown>).authorization_grant_profiles_supported).toBeUndefined();
  });
});

describe('the full flow: ID token → IdP token exchange → ID-JAG → jwt-bearer → access token', () => {
  it('issues an access token for the ID-JAG resource, with the granted scope and no refresh token', async () => {
    const r = await rig();
    const jag = await issuedIdJag(r);
    const response = await redeem(r, jag);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await tokenBody(response);
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'mcp:tools', resource: RESOURCE });
    expect(body.refresh_token).toBeUndefined();
    const claims = decodeJwt(body.access_token as string);
    expect(claims).toMatchObject({ iss: ISSUER, aud: RESOURCE, client_id: ENTERPRISE.client_id, scope: 'mcp:tools' });
    // Subject resolution: linked to the local account by email (case-insensitively).
    expect(claims.sub).toBe('user-alice');
  });

  it('keeps the IdP subject when no local account has its email', async () => {
    const r = await rig();
    const body = await tokenBody(await redeem(r, await minted(r, { sub: 'idp-carol' })));
    expect(decodeJwt(body.access_token as string).sub).toBe('idp-carol');
  });

  it('accepts client_secret_post, an aud array of one element and the full media type in typ', async () => {
    const r = await rig();
    const post = await minted(r, { clientId: POST_CLIENT.client_id });
    await tokenBody(await redeem(r, post, POST_CLIENT, {}));
    await tokenBody(await redeem(r, await minted(r, { claims: { aud: [ISSUER] } })));
    await tokenBody(await redeem(r, await minted(r, { header: { typ: 'application/OAUTH-ID-JAG+JWT' } })));
  });

  it('takes the only registered resource when the ID-JAG names none, else the request picks one of several', async () => {
    const r = await rig();
    const none = await minted(r, { resource: undefined });
    await expectOAuthError(await redeem(r, none), 400, 'invalid_target');
    const picked = await tokenBody(await redeem(r, none, { resource: OTHER_RESOURCE }));
    expect(decodeJwt(picked.access_token as string).aud).toBe(OTHER_RESOURCE);
    const two = await minted(r, { claims: { resource: [RESOURCE, OTHER_RESOURCE] } });
    await expectOAuthError(await redeem(r, two), 400, 'invalid_target');
    expect((await tokenBody(await redeem(r, two, { resource: OTHER_RESOURCE }))).resource).toBe(OTHER_RESOURCE);
  });

  it('follows an IdP key rotation, fetching the keys again for an unknown kid', async () => {
    const r = await rig();
    await tokenBody(await redeem(r, await minted(r)));
    const fetchesBefore = r.fetched.length;
    await r.idp.rotateKey();
    await tokenBody(await redeem(r, await issuedIdJag(r)));
    expect(r.fetched.length).toBeGreaterThan(fetchesBefore);
  });

  it('does not fetch again for every forged kid: one fruitless refetch, then a cooldown', async () => {
    const r = await rig();
    await tokenBody(await redeem(r, await minted(r)));
    const fetchesBefore = r.fetched.length;
    for (const kid of ['forged-1', 'forged-2', 'forged-3']) {
      await expectOAuthError(
        await redeem(r, await minted(r, { header: { kid }, key: 'untrusted' })),
        400,
        'invalid_grant',
      );
    }
    expect(r.fetched.length - fetchesBefore).toBe(1);
  });
});

describe('ID-JAG validation errors (ID-JAG §4.4.1, RFC 7523 §3.1)', () => {
  const refusals: Array<[string, (r: Rig) => Promise<string>]> = [
    ['no typ', (r) => minted(r, { header: { typ: undefined } })],
    ['typ JWT', (r) => minted(r, { header: { typ: 'JWT' } })],
    ['an ID token', (r) => r.idp.idToken({ clientId: ENTERPRISE.client_id })],
    ['a key the IdP never published', (r) => minted(r, { key: 'untrusted' })],
    ['no signature (alg none)', (r) => minted(r, { key: 'none' })],
    ['an untrusted issuer', (r) => minted(r, { claims: { iss: 'https://idp.attacker.example' } })],
    ['an aud naming another AS', (r) => minted(r, { audience: 'https://as.elsewhere.example' })],
    ['an aud array of two', (r) => minted(r, { claims: { aud: [ISSUER, 'https://as.elsewhere.example'] } })],
    ['a client_id of another client', (r) => minted(r, { clientId: POST_CLIENT.client_id })],
    ['an unknown resource', (r) => minted(r, { resource: 'https://unknown.example/mcp' })],
    ['expired', (r) => minted(r, { claims: { iat: now(r) - 900, exp: now(r) - 600 } })],
    ['issued in the future', (r) => minted(r, { claims: { iat: now(r) + 600, exp: now(r) + 900 } })],
    ['no exp', (r) => minted(r, { claims: { exp: undefined } })],
    ['no iat', (r) => minted(r, { claims: { iat: undefined } })],
    ['no sub', (r) => minted(r, { claims: { sub: undefined } })],
    ['no jti', (r) => minted(r, { claims: { jti: undefined } })],
    ['a resource claim that is not a URI list', (r) => minted(r, { claims: { resource: 42 } })],
    ['a scope claim that is not a string', (r) => minted(r, { claims: { scope: ['mcp:tools'] } })],
    ['not a JWT', async () => 'not-a-jwt'],
    ['a header that is not JSON', async () => `${Buffer.from('{').toString('base64url')}.e30.sig`],
  ];

  it.each(refusals)('refuses an ID-JAG with %s as invalid_grant', async (_, assertion) => {
    const r = await rig();
    await expectOAuthError(await redeem(r, await assertion(r)), 400, 'invalid_grant');
  });

  it('accepts an ID-JAG within the clock skew, refuses it once expired', async () => {
    const r = await rig();
    await tokenBody(await redeem(r, await minted(r, { claims: { iat: now(r) - 330, exp: now(r) - 30 } })));
    const jag = await minted(r);
    r.server.clock.advance(400_000);
    await expectOAuthError(await redeem(r, jag), 400, 'invalid_grant');
  });

  it('refuses a replayed ID-JAG (same jti), even for a second valid request', async () => {
    const r = await rig();
    const jag = await issuedIdJag(r);
    await tokenBody(await redeem(r, jag));
    await expectOAuthError(await redeem(r, jag), 400, 'invalid_grant');
  });

  it('grants the intersection of the requested scope and the ID-JAG scope', async () => {
    const r = await rig();
    const both = () => minted(r, { scope: 'mcp:tools mcp:admin' });
    expect((await tokenBody(await redeem(r, await both(), { scope: 'mcp:tools' }))).scope).toBe('mcp:tools');
    expect((await tokenBody(await redeem(r, await both()))).scope).toBe('mcp:tools mcp:admin');
    const narrow = () => minted(r, { scope: 'mcp:tools unknown:scope' });
    expect((await tokenBody(await redeem(r, await narrow(), { scope: 'mcp:tools mcp:admin' }))).scope).toBe(
      'mcp:tools',
    );
    await expectOAuthError(await redeem(r, await narrow(), { scope: 'mcp:admin' }), 400, 'invalid_scope');
  });

  it('refuses a request resource the ID-JAG does not name', async () => {
    const r = await rig();
    await expectOAuthError(await redeem(r, await minted(r), { resource: OTHER_RESOURCE }), 400, 'invalid_target');
  });
});

describe('who may redeem an ID-JAG (EMA-AS-CONFIDENTIAL)', () => {
  it('refuses a public client', async () => {
    const r = await rig();
    const jag = await minted(r, { clientId: PUBLIC_ENTERPRISE });
    await expectOAuthError(await redeem(r, jag, { client_id: PUBLIC_ENTERPRISE }, {}), 400, 'unauthorized_client');
  });

  it('refuses a confidential client without its credentials, or one not registered for jwt-bearer', async () => {
    const r = await rig();
    await expectOAuthError(
      await redeem(r, await minted(r), { client_id: ENTERPRISE.client_id }, {}),
      401,
      'invalid_client',
    );
    const jag = await minted(r, { clientId: NOT_REGISTERED.client_id });
    const headers = basic(NOT_REGISTERED.client_id, NOT_REGISTERED.client_secret);
    await expectOAuthError(await redeem(r, jag, {}, headers), 400, 'unauthorized_client');
  });
});

describe('bad input never crashes the token endpoint', () => {
  it('answers an unreachable IdP with invalid_grant', async () => {
    const r = await rig([], { reachable: false });
    await expectOAuthError(await redeem(r, await minted(r)), 400, 'invalid_grant');
  });

  it('answers two assertions, an empty one and garbage claims with OAuth errors', async () => {
    const r = await rig();
    const fields = new URLSearchParams([
      ['grant_type', JWT_BEARER],
      ['assertion', await minted(r)],
      ['assertion', await minted(r)],
    ]);
    const twice = await r.server.handler(
      new Request(`${ISSUER}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...basic(ENTERPRISE.client_id, ENTERPRISE.client_secret),
        },
        body: fields,
      }),
    );
    await expectOAuthError(twice, 400, 'invalid_request');
    await expectOAuthError(await redeem(r, ''), 400, 'invalid_request');
    for (const claims of [{ exp: 'soon' }, { aud: { x: 1 } }, { client_id: 7 }, { email: 42 }]) {
      const response = await redeem(r, await minted(r, { claims }));
      expect(response.status, JSON.stringify(claims)).toBeLessThan(500);
    }
  });
});

// ── Every defect of the ID-JAG table shows its bug, and only with the defect planted ─────────────────────────

type Probe = (r: Rig) => Promise<boolean>;

const accepted = async (response: Response) => response.status === 200;

const PROBES: Record<keyof typeof ID_JAG_DEFECTS, Probe> = {
  'id-jag-profile-unadvertised': async (r) => (await metadata(r)).authorization_grant_profiles_supported === undefined,
  'id-jag-public-clients': async (r) =>
    accepted(await redeem(r, await minted(r, { clientId: PUBLIC_ENTERPRISE }), { client_id: PUBLIC_ENTERPRISE }, {})),
  'id-jag-typ-unchecked': async (r) => accepted(await redeem(r, await minted(r, { header: { typ: 'JWT' } }))),
  'id-jag-issuer-unchecked': async (r) =>
    accepted(await redeem(r, await minted(r, { claims: { iss: 'https://idp.attacker.example' } }))),
  'id-jag-signature-unchecked': async (r) => accepted(await redeem(r, await minted(r, { key: 'untrusted' }))),
  'id-jag-keys-never-refetched': async (r) => {
    await redeem(r, await minted(r));
    await r.idp.rotateKey();
    return !(await accepted(await redeem(r, await minted(r))));
  },
  'id-jag-expiry-unchecked': async (r) =>
    accepted(await redeem(r, await minted(r, { claims: { iat: now(r) - 900, exp: now(r) - 600 } }))),
  'id-jag-iat-unchecked': async (r) =>
    accepted(await redeem(r, await minted(r, { claims: { iat: now(r) + 600, exp: now(r) + 900 } }))),
  'id-jag-audience-unchecked': async (r) =>
    accepted(await redeem(r, await minted(r, { audience: 'https://as.elsewhere.example' }))),
  'id-jag-audience-array-any': async (r) =>
    accepted(await redeem(r, await minted(r, { claims: { aud: [ISSUER, 'https://as.elsewhere.example'] } }))),
  'id-jag-client-id-unchecked': async (r) =>
    accepted(await redeem(r, await minted(r, { clientId: POST_CLIENT.client_id }))),
  'id-jag-resource-unchecked': async (r) =>
    accepted(await redeem(r, await minted(r, { resource: 'https://unknown.example/mcp' }))),
  'id-jag-scope-from-request': async (r) => {
    const response = await redeem(r, await minted(r, { scope: 'mcp:tools' }), { scope: 'mcp:tools mcp:admin' });
    return ((await response.json()) as { scope?: string }).scope?.includes('mcp:admin') === true;
  },
  'id-jag-replay': async (r) => {
    const jag = await minted(r);
    await redeem(r, jag);
    return accepted(await redeem(r, jag));
  },
  'id-jag-token-audience-unbound': async (r) => {
    const body = (await (await redeem(r, await minted(r))).json()) as { access_token: string };
    return decodeJwt(body.access_token).aud !== RESOURCE;
  },
  'id-jag-refresh-token-issued': async (r) =>
    ((await (await redeem(r, await minted(r))).json()) as { refresh_token?: string }).refresh_token !== undefined,
};

describe('ID-JAG defects', () => {
  it.each(Object.keys(ID_JAG_DEFECTS) as Array<keyof typeof ID_JAG_DEFECTS>)(
    '%s shows its bug only when planted',
    async (defect) => {
      const probe = PROBES[defect];
      expect(await probe(await rig())).toBe(false);
      expect(await probe(await rig([defect]))).toBe(true);
    },
  );

  it('the ID token presented as an assertion is typed JWT, not an ID-JAG', async () => {
    const r = await rig();
    expect(decodeProtectedHeader(await r.idp.idToken({ clientId: ENTERPRISE.client_id })).typ).toBe('JWT');
  });
});
