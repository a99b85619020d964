import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_EXCHANGE_DEFECTS } from '../defects/token-exchange.ts';
import type { Defect } from '../defects.ts';
import type { ClientRecord, TokenExchangeEvent } from '../store/index.ts';
import { MAX_DELEGATION_DEPTH } from './grants/token-exchange.ts';
import {
  ACCESS_TOKEN_TYPE,
  basic,
  CLIENTS,
  createTestServer,
  DOWNSTREAM_RESOURCE,
  exchange,
  expectOAuthError,
  get,
  ISSUER,
  introspect,
  obtainCode,
  postForm,
  RESOURCE,
  redeem,
  revoke,
  START,
  type TestServer,
  TOKEN_EXCHANGE,
  userAccessToken,
} from './test-support.ts';

const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const THIRD_RESOURCE = 'https://third.reference.test/api';
const ADMIN_TOKEN = 'test-admin-token';
const SECOND_EXCHANGER = { client_id: 'second-exchanger', client_secret: 'second-secret' };
const ACTOR_SERVICE = { client_id: 'actor-service', client_secret: 'actor-secret' };
const IMPERSONATOR = { client_id: 'impersonator', client_secret: 'impersonator-secret' };

function configuredClient(
  credentials: { client_id: string; client_secret: string },
  grant: string,
  extra: Partial<ClientRecord> = {},
): ClientRecord {
  return {
    ...credentials,
    client_id_issued_at: START / 1000,
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [grant],
    response_types: [],
    application_type: 'web',
    registeredBy: 'configuration',
    ...extra,
  };
}

/**
 * The test server with three resources (the MCP server, a downstream API, a third service), an admin token, and the
 * exchange's parties: a second exchanger (client_secret_post), a service with client_credentials (its token is an
 * actor token) and a client whose policy allows impersonation.
 */
async function createExchangeServer(defects: Defect[] = [], format: 'jwt' | 'opaque' = 'jwt'): Promise<TestServer> {
  const created = await createTestServer({
    defects,
    adminToken: ADMIN_TOKEN,
    accessTokenFormat: format,
    resources: [
      { resource: RESOURCE, scopes: ['mcp:tools', 'mcp:admin'] },
      { resource: DOWNSTREAM_RESOURCE, scopes: ['mcp:tools', 'downstream:read'] },
      { resource: THIRD_RESOURCE, scopes: ['mcp:tools'] },
    ],
  });
  const { clients } = created.store;
  await clients.save(
    configuredClient(SECOND_EXCHANGER, TOKEN_EXCHANGE, { token_endpoint_auth_method: 'client_secret_post' }),
  );
  await clients.save(configuredClient(ACTOR_SERVICE, 'client_credentials'));
  await clients.save(configuredClient(IMPERSONATOR, TOKEN_EXCHANGE, { token_exchange_impersonation: true }));
  return created;
}

const asSecondExchanger = { ...SECOND_EXCHANGER };
const asImpersonator = basic(IMPERSONATOR.client_id, IMPERSONATOR.client_secret);

async function exchanged(response: Response): Promise<Record<string, unknown>> {
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function exchangedToken(response: Response): Promise<string> {
  return (await exchanged(response)).access_token as string;
}

/** The introspected claims of a token (RFC 7662), which show act for JWT and opaque tokens alike. */
async function claimsOf(server: TestServer, token: string): Promise<Record<string, unknown>> {
  return (await introspect(server, token)) as Record<string, unknown>;
}

/** A client_credentials token of the actor service: its sub is the service. */
async function actorToken(server: TestServer): Promise<string> {
  const response = await postForm(
    server.handler,
    `${ISSUER}/token`,
    { grant_type: 'client_credentials', resource: RESOURCE },
    basic(ACTOR_SERVICE.client_id, ACTOR_SERVICE.client_secret),
  );
  return ((await response.json()) as { access_token: string }).access_token;
}

function withActor(token: string): Record<string, string> {
  return { actor_token: token, actor_token_type: ACCESS_TOKEN_TYPE };
}

async function auditTrail(server: TestServer, query = '', token = ADMIN_TOKEN): Promise<Response> {
  return get(server.handler, `${ISSUER}/admin/audit${query}`, { Authorization: `Bearer ${token}` });
}

/** The audit log's token exchanges (`query` starts with `&`); the log holds issuance and revocation events too. */
async function auditEvents(server: TestServer, query = ''): Promise<TokenExchangeEvent[]> {
  const response = await auditTrail(server, `?kind=token-exchange${query}`);
  return ((await response.json()) as { events: TokenExchangeEvent[] }).events;
}

function jtiOf(token: string): string {
  return decodeJwt(token).jti as string;
}

/** The user's JWT with an altered payload: its signature no longer verifies. */
function tampered(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
  return `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'mcp:admin' })).toString('base64url')}.${signature}`;
}

describe('token exchange (RFC 8693): delegation', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createExchangeServer();
  });

  it('issues a token for the target resource, for the same user, naming the client in act and may_act', async () => {
    const subject = await userAccessToken(server, { scope: 'mcp:tools mcp:admin' });
    const response = await exchange(server, subject);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await exchanged(response);
    expect(body).toMatchObject({ issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: 900 });
    expect(body.scope).toBe('mcp:tools');
    const token = body.access_token as string;
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    const { payload } = await jwtVerify(token, createLocalJWKSet(server.signingKeys.jwks()), {
      issuer: ISSUER,
      audience: DOWNSTREAM_RESOURCE,
      currentDate: new Date(START),
    });
    expect(payload).toMatchObject({
      sub: 'user-alice',
      client_id: CLIENTS.exchanger.client_id,
      scope: 'mcp:tools',
      act: { sub: CLIENTS.exchanger.client_id },
      may_act: { sub: CLIENTS.exchanger.client_id },
    });
    expect(await introspect(server, token)).toMatchObject({
      active: true,
      aud: DOWNSTREAM_RESOURCE,
      act: { sub: CLIENTS.exchanger.client_id },
    });
  });

  it('accepts the target as audience instead of resource', async () => {
    const subject = await userAccessToken(server);
    const token = await exchangedToken(
      await exchange(server, subject, { resource: undefined, audience: DOWNSTREAM_RESOURCE }),
    );
    expect(await introspect(server, token)).toMatchObject({ aud: DOWNSTREAM_RESOURCE });
  });

  it('narrows to the requested scope', async () => {
    const subject = await userAccessToken(server, { scope: 'mcp:tools mcp:admin' });
    const body = await exchanged(await exchange(server, subject, { resource: RESOURCE, scope: 'mcp:admin' }));
    expect(body.scope).toBe('mcp:admin');
    expect(await introspect(server, body.access_token as string)).toMatchObject({ scope: 'mcp:admin' });
  });

  it('names the actor token’s subject as the actor (§2.1, §4.1)', async () => {
    const subject = await userAccessToken(server);
    const token = await exchangedToken(await exchange(server, subject, withActor(await actorToken(server))));
    expect(await claimsOf(server, token)).toMatchObject({
      sub: 'user-alice',
      client_id: CLIENTS.exchanger.client_id,
      act: { sub: ACTOR_SERVICE.client_id },
    });
  });

  it('nests the previous actor when an exchanged token is exchanged again (§4.1)', async () => {
    const subject = await userAccessToken(server);
    const first = await exchangedToken(await exchange(server, subject, withActor(await actorToken(server))));
    const second = await exchangedToken(await exchange(server, first, { resource: THIRD_RESOURCE }));
    expect(await claimsOf(server, second)).toMatchObject({
      sub: 'user-alice',
      aud: THIRD_RESOURCE,
      act: { sub: CLIENTS.exchanger.client_id, act: { sub: ACTOR_SERVICE.client_id } },
    });
  });

  it(`refuses a chain longer than ${MAX_DELEGATION_DEPTH} actors with invalid_request`, async () => {
    let token = await userAccessToken(server);
    for (let hop = 0; hop < MAX_DELEGATION_DEPTH; hop += 1) token = await exchangedToken(await exchange(server, token));
    expect(((await claimsOf(server, token)) as { act: unknown }).act).toEqual({
      sub: CLIENTS.exchanger.client_id,
      act: { sub: CLIENTS.exchanger.client_id, act: { sub: CLIENTS.exchanger.client_id } },
    });
    await expectOAuthError(await exchange(server, token), 400, 'invalid_request');
  });

  it('issues a JWT when requested_token_type is jwt (issued_token_type says so)', async () => {
    const subject = await userAccessToken(server);
    const body = await exchanged(await exchange(server, subject, { requested_token_type: JWT_TYPE }));
    expect(body).toMatchObject({ issued_token_type: JWT_TYPE, token_type: 'Bearer' });
  });

  it('accepts a JWT access token typed as jwt', async () => {
    const subject = await userAccessToken(server);
    await exchanged(await exchange(server, subject, { subject_token_type: JWT_TYPE }));
  });

  it('records the token: the exchanging client can revoke it', async () => {
    const subject = await userAccessToken(server);
    const token = await exchangedToken(await exchange(server, subject));
    const auth = basic(CLIENTS.exchanger.client_id, CLIENTS.exchanger.client_secret);
    expect((await revoke(server, { token }, auth)).status).toBe(200);
    expect(await introspect(server, token)).toEqual({ active: false });
    expect(await introspect(server, subject)).toMatchObject({ active: true });
  });

  it('ends with the user’s grant: a replayed code revokes the exchanged token too', async () => {
    const issued = await obtainCode(server);
    const subject = ((await (await redeem(server, issued)).json()) as { access_token: string }).access_token;
    const token = await exchangedToken(await exchange(server, subject));
    expect((await redeem(server, issued)).status).toBe(400);
    expect(await introspect(server, token)).toEqual({ active: false });
  });

  it('works with opaque tokens: act and may_act are kept by the server', async () => {
    const opaque = await createExchangeServer([], 'opaque');
    const first = await exchangedToken(await exchange(opaque, await userAccessToken(opaque)));
    expect(await claimsOf(opaque, first)).toMatchObject({ act: { sub: CLIENTS.exchanger.client_id } });
    const byOther = await exchange(opaque, first, { resource: THIRD_RESOURCE, ...SECOND_EXCHANGER }, {});
    await expectOAuthError(byOther, 400, 'invalid_request');
    await expectOAuthError(await exchange(opaque, first, { requested_token_type: JWT_TYPE }), 400, 'invalid_request');
  });
});

describe('token exchange (RFC 8693): impersonation and may_act', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createExchangeServer();
  });

  it('impersonates (no act) only for a client whose policy allows it and that sends no actor token', async () => {
    const subject = await userAccessToken(server);
    const token = await exchangedToken(await exchange(server, subject, {}, asImpersonator));
    const claims = await claimsOf(server, token);
    expect(claims).toMatchObject({ sub: 'user-alice', client_id: IMPERSONATOR.client_id });
    expect(claims.act).toBeUndefined();
  });

  it('delegates for that client too when it sends an actor token', async () => {
    const subject = await userAccessToken(server);
    const token = await exchangedToken(
      await exchange(server, subject, withActor(await actorToken(server)), asImpersonator),
    );
    expect(await claimsOf(server, token)).toMatchObject({ act: { sub: ACTOR_SERVICE.client_id } });
  });

  it('never impersonates for a client without the policy', async () => {
    const token = await exchangedToken(await exchange(server, await userAccessToken(server)));
    expect(await claimsOf(server, token)).toMatchObject({ act: { sub: CLIENTS.exchanger.client_id } });
  });

  it('lets only the party named in may_act act with an exchanged token (§4.4)', async () => {
    const first = await exchangedToken(await exchange(server, await userAccessToken(server)));
    const byOther = await exchange(server, first, { resource: THIRD_RESOURCE, ...asSecondExchanger }, {});
    await expectOAuthError(byOther, 400, 'invalid_request');
    const withOtherActor = await exchange(server, first, {
      resource: THIRD_RESOURCE,
      ...withActor(await actorToken(server)),
    });
    await expectOAuthError(withOtherActor, 400, 'invalid_request');
    await exchanged(await exchange(server, first, { resource: THIRD_RESOURCE }));
  });

  it('refuses to exchange a downstream token back for an audience earlier in its chain', async () => {
    const downstream = await exchangedToken(await exchange(server, await userAccessToken(server)));
    await expectOAuthError(await exchange(server, downstream, { resource: RESOURCE }), 400, 'invalid_target');
    const third = await exchangedToken(await exchange(server, downstream, { resource: THIRD_RESOURCE }));
    await expectOAuthError(await exchange(server, third, { resource: DOWNSTREAM_RESOURCE }), 400, 'invalid_target');
    await expectOAuthError(await exchange(server, third, { resource: RESOURCE }), 400, 'invalid_target');
  });
});

describe('token exchange (RFC 8693): refusals', () => {
  let server: TestServer;
  let subject: string;
  beforeAll(async () => {
    server = await createExchangeServer();
    subject = await userAccessToken(server);
  });

  it('refuses a public client with unauthorized_client', async () => {
    const response = await exchange(server, subject, { client_id: CLIENTS.public.client_id }, {});
    await expectOAuthError(response, 400, 'unauthorized_client');
  });

  it('refuses a confidential client not registered for the grant with unauthorized_client', async () => {
    const response = await exchange(server, subject, {}, basic(CLIENTS.basic.client_id, CLIENTS.basic.client_secret));
    await expectOAuthError(response, 400, 'unauthorized_client');
  });

  it('refuses a wrong client secret with invalid_client', async () => {
    const response = await exchange(server, subject, {}, basic(CLIENTS.exchanger.client_id, 'wrong'));
    await expectOAuthError(response, 401, 'invalid_client');
  });

  it.each([
    ['subject_token is missing', { subject_token: undefined }],
    ['subject_token is empty', { subject_token: '' }],
    ['subject_token_type is missing', { subject_token_type: undefined }],
    [
      'subject_token_type is an ID token (none are issued here)',
      { subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' },
    ],
    ['subject_token_type is a refresh token', { subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }],
    ['subject_token_type is not a URI', { subject_token_type: '%00<script>' }],
    [
      'requested_token_type is a refresh token',
      { requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' },
    ],
    ['requested_token_type is SAML', { requested_token_type: 'urn:ietf:params:oauth:token-type:saml2' }],
    ['actor_token comes without actor_token_type', { actor_token: 'x' }],
    ['actor_token_type comes without actor_token', { actor_token_type: ACCESS_TOKEN_TYPE }],
    ['the actor token is garbage', { actor_token: 'not-a-token', actor_token_type: ACCESS_TOKEN_TYPE }],
    [
      'the actor token is an ID token',
      { actor_token: 'a.b.c', actor_token_type: 'urn:ietf:params:oauth:token-type:id_token' },
    ],
    ['the subject token is garbage', { subject_token: 'not-a-token' }],
    ['the subject token is a three-part non-JWT', { subject_token: 'a.b.c' }],
    ['an opaque-looking subject token is typed jwt', { subject_token: 'opaque', subject_token_type: JWT_TYPE }],
  ])('answers invalid_request when %s', async (_, overrides) => {
    await expectOAuthError(await exchange(server, subject, overrides), 400, 'invalid_request');
  });

  it('answers invalid_request for a subject token whose signature does not verify', async () => {
    await expectOAuthError(await exchange(server, tampered(subject)), 400, 'invalid_request');
  });

  it('answers invalid_request for a revoked subject token (§2.2.2)', async () => {
    const revoked = await userAccessToken(server);
    await revoke(server, { token: revoked, client_id: CLIENTS.public.client_id });
    await expectOAuthError(await exchange(server, revoked), 400, 'invalid_request');
  });

  it('answers invalid_request for an expired subject token (by the injected clock)', async () => {
    const expiring = await createExchangeServer();
    const token = await userAccessToken(expiring);
    expiring.clock.advance(900_000);
    await expectOAuthError(await exchange(expiring, token), 400, 'invalid_request');
  });

  it('answers invalid_request for a subject token of another issuer (tenant)', async () => {
    const tenantToken = await userAccessToken(server, {}, `${ISSUER}/t/acme`);
    await expectOAuthError(await exchange(server, tenantToken), 400, 'invalid_request');
  });

  it.each([
    ['an unregistered resource', { resource: 'https://unknown.example/api' }],
    ['an unregistered audience', { resource: undefined, audience: 'billing-service' }],
    ['a resource with a fragment', { resource: `${DOWNSTREAM_RESOURCE}#x` }],
    ['a relative resource', { resource: '/api' }],
    ['no target at all', { resource: undefined }],
    ['two targets', { audience: RESOURCE }],
  ])('answers invalid_target for %s', async (_, overrides) => {
    await expectOAuthError(await exchange(server, subject, overrides), 400, 'invalid_target');
  });

  it('answers invalid_scope for a scope beyond the subject token’s', async () => {
    await expectOAuthError(await exchange(server, subject, { scope: 'mcp:admin' }), 400, 'invalid_scope');
  });

  it('answers invalid_scope for a scope the target does not understand', async () => {
    const wide = await userAccessToken(server, { scope: 'mcp:tools mcp:admin' });
    await expectOAuthError(await exchange(server, wide, { scope: 'mcp:admin' }), 400, 'invalid_scope');
  });

  it('answers duplicated parameters with invalid_request, never a server error', async () => {
    const body = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE,
      subject_token: subject,
      resource: DOWNSTREAM_RESOURCE,
    });
    body.append('subject_token_type', ACCESS_TOKEN_TYPE);
    body.append('subject_token_type', JWT_TYPE);
    const response = await server.handler(
      new Request(`${ISSUER}/token`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          ...basic(CLIENTS.exchanger.client_id, CLIENTS.exchanger.client_secret),
        },
        body,
      }),
    );
    await expectOAuthError(response, 400, 'invalid_request');
  });
});

describe('the audit trail (seed 003)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createExchangeServer();
  });

  it('links each exchanged token to its subject token, the user and the actor chain', async () => {
    const subject = await userAccessToken(server);
    const first = await exchangedToken(await exchange(server, subject, withActor(await actorToken(server))));
    const second = await exchangedToken(await exchange(server, first, { resource: THIRD_RESOURCE }));
    const events = await auditEvents(server, `&jti=${encodeURIComponent(jtiOf(first))}`);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      kind: 'token-exchange',
      issuer: ISSUER,
      at: START,
      issuedJti: jtiOf(first),
      issuedTokenType: ACCESS_TOKEN_TYPE,
      subjectJti: jtiOf(subject),
      subjectAudience: RESOURCE,
      sub: 'user-alice',
      clientId: CLIENTS.exchanger.client_id,
      actors: [ACTOR_SERVICE.client_id],
      impersonation: false,
      mayAct: CLIENTS.exchanger.client_id,
      audience: DOWNSTREAM_RESOURCE,
      scope: 'mcp:tools',
    });
    expect(events[0]!.actorTokenJti).toEqual(expect.any(String));
    expect(events[1]).toMatchObject({
      issuedJti: jtiOf(second),
      subjectJti: jtiOf(first),
      actors: [CLIENTS.exchanger.client_id, ACTOR_SERVICE.client_id],
      audience: THIRD_RESOURCE,
    });
  });

  it('records the issuance of the exchanged token like every other issuance, by jti', async () => {
    const token = await exchangedToken(await exchange(server, await userAccessToken(server)));
    const response = await auditTrail(server, '?kind=token-issued');
    const { events } = (await response.json()) as { events: Array<{ details?: Record<string, unknown> }> };
    expect(events.map((event) => event.details)).toContainEqual(
      expect.objectContaining({ grant_type: TOKEN_EXCHANGE, jti: jtiOf(token), refresh_token: false }),
    );
  });

  it('records impersonation as such', async () => {
    const token = await exchangedToken(await exchange(server, await userAccessToken(server), {}, asImpersonator));
    expect(await auditEvents(server, `&jti=${jtiOf(token)}`)).toMatchObject([{ impersonation: true, actors: [] }]);
  });

  it('filters by user', async () => {
    const bobToken = await userAccessToken(server, { login_hint: 'bob' });
    const bob = decodeJwt(bobToken).sub as string;
    await exchange(server, bobToken);
    const events = await auditEvents(server, `&sub=${bob}`);
    expect(events.every((event) => event.sub === bob)).toBe(true);
    expect(await auditEvents(server, '&sub=nobody')).toEqual([]);
  });

  it('records nothing for a refused exchange', async () => {
    const before = (await auditEvents(server)).length;
    await exchange(server, await userAccessToken(server), { resource: 'https://unknown.example/api' });
    expect(await auditEvents(server)).toHaveLength(before);
  });

  it('is for administrators only: 401 with a Bearer challenge otherwise, never cached', async () => {
    const wrong = await auditTrail(server, '', 'wrong');
    await expectOAuthError(wrong, 401, 'invalid_token');
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const none = await get(server.handler, `${ISSUER}/admin/audit`);
    expect(none.status).toBe(401);
    expect((await auditTrail(server)).headers.get('cache-control')).toBe('no-store');
  });
});

// ── Every defect of this part shows its bug, and only with the defect ──────────────────────────────────────────

/** Each probe answers: is the planted bug visible on this server? It must be false without the defect. */
type Probe = (server: TestServer) => Promise<boolean>;

async function firstHop(server: TestServer): Promise<string> {
  return exchangedToken(await exchange(server, await userAccessToken(server)));
}

async function actOfExchange(server: TestServer, response: Response): Promise<unknown> {
  if (response.status !== 200) return 'refused';
  return (await claimsOf(server, await exchangedToken(response))).act;
}

async function issues(response: Response): Promise<boolean> {
  return response.status === 200;
}

const PROBES: Record<keyof typeof TOKEN_EXCHANGE_DEFECTS, Probe> = {
  'exchange-act-missing': async (server) =>
    (await actOfExchange(
      server,
      await exchange(server, await userAccessToken(server), withActor(await actorToken(server))),
    )) === undefined,
  'exchange-prior-actors-dropped': async (server) => {
    const act = (await actOfExchange(
      server,
      await exchange(server, await firstHop(server), { resource: THIRD_RESOURCE }),
    )) as {
      act?: unknown;
    };
    return act.act === undefined;
  },
  'exchange-actor-token-ignored': async (server) => {
    const response = await exchange(server, await userAccessToken(server), withActor(await actorToken(server)));
    return ((await actOfExchange(server, response)) as { sub: string }).sub !== ACTOR_SERVICE.client_id;
  },
  'exchange-impersonation-without-policy': async (server) =>
    (await actOfExchange(server, await exchange(server, await userAccessToken(server)))) === undefined,
  'exchange-may-act-ignored': async (server) =>
    issues(await exchange(server, await firstHop(server), { resource: THIRD_RESOURCE, ...asSecondExchanger }, {})),
  'exchange-actor-type-unchecked': async (server) => {
    const subject = await userAccessToken(server);
    return issues(await exchange(server, subject, { actor_token: subject }));
  },
  'exchange-subject-type-optional': async (server) =>
    issues(await exchange(server, await userAccessToken(server), { subject_token_type: undefined })),
  'exchange-subject-unverified': async (server) =>
    issues(await exchange(server, tampered(await userAccessToken(server)))),
  'exchange-subject-liveness-unchecked': async (server) => {
    const token = await userAccessToken(server);
    await revoke(server, { token, client_id: CLIENTS.public.client_id });
    return issues(await exchange(server, token));
  },
  'exchange-audience-ignored': async (server) =>
    ((await claimsOf(server, await firstHop(server))) as { aud: string }).aud !== DOWNSTREAM_RESOURCE,
  'exchange-unknown-target-accepted': async (server) =>
    issues(await exchange(server, await userAccessToken(server), { resource: 'https://unknown.example/api' })),
  'exchange-upstream-allowed': async (server) =>
    issues(await exchange(server, await firstHop(server), { resource: RESOURCE })),
  'exchange-chain-unbounded': async (server) => {
    let token = await userAccessToken(server);
    for (let hop = 0; hop < MAX_DELEGATION_DEPTH; hop += 1) token = await exchangedToken(await exchange(server, token));
    return issues(await exchange(server, token));
  },
  'exchange-scope-widened': async (server) =>
    issues(await exchange(server, await userAccessToken(server), { resource: RESOURCE, scope: 'mcp:admin' })),
  'exchange-issued-token-type-missing': async (server) =>
    (await exchanged(await exchange(server, await userAccessToken(server)))).issued_token_type === undefined,
  'exchange-public-client-allowed': async (server) =>
    issues(await exchange(server, await userAccessToken(server), { client_id: CLIENTS.public.client_id }, {})),
  'exchange-audit-missing': async (server) => {
    const token = await firstHop(server);
    return (await auditEvents(server, `&jti=${jtiOf(token)}`)).length === 0;
  },
};

describe('deliberate defects of token exchange', () => {
  it('has a probe for every defect of the table', () => {
    expect(Object.keys(PROBES).sort()).toEqual(Object.keys(TOKEN_EXCHANGE_DEFECTS).sort());
  });

  it.each(Object.entries(PROBES))('%s: the bug appears only with the defect', async (defect, probe) => {
    expect(await probe(await createExchangeServer()), 'visible without the defect').toBe(false);
    expect(await probe(await createExchangeServer([defect as Defect])), 'visible with the defect').toBe(true);
  });
});
