import { faker } from '@faker-js/faker';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../harness/clock.ts';
import { createReferenceSystem, type ReferenceSystem } from '../reference-server/system.ts';

/**
 * Every grant's endpoints, fed requests that are well addressed and correctly authenticated but wrong in their
 * parameters (missing, repeated, huge, malformed JWTs, random values from a seeded faker), answer the grant's OAuth
 * error with the right status as JSON that is never cached: never a 5xx, never a success.
 */
const AS = 'https://as.reference.test';
const GRANTS = {
  jwtBearer: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
  ciba: 'urn:openid:params:grant-type:ciba',
  tokenExchange: 'urn:ietf:params:oauth:grant-type:token-exchange',
  clientCredentials: 'client_credentials',
  refreshToken: 'refresh_token',
};
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

faker.seed(20261122);

const b64url = (text: string) => Buffer.from(text).toString('base64url');

/** JWT-shaped and not: garbage segments, alg none, unsigned, huge, wrong part counts, plain random strings. */
const MALFORMED_JWTS: string[] = [
  'not-a-jwt',
  'a.b',
  'a.b.c.d',
  `${b64url('{"alg":"none","typ":"JWT"}')}.${b64url('{"iss":"https://evil.example","sub":"x"}')}.`,
  `${b64url('{"alg":"ES256"}')}.${b64url('{"iss":1,"sub":[],"aud":{},"exp":"soon"}')}.${b64url('sig')}`,
  `${b64url('{"alg":"HS256","typ":"oauth-id-jag+jwt"}')}.${b64url('{}')}.${b64url('x')}`,
  `${b64url('[]')}.${b64url('null')}.${b64url('')}`,
  `${b64url(faker.string.sample(60))}.${b64url(faker.string.sample(200))}.${faker.string.alphanumeric(86)}`,
  `${'e'.repeat(40_000)}.${'e'.repeat(40_000)}.e`,
  faker.string.sample({ min: 1, max: 300 }),
  faker.internet.jwt(),
];

type Params = Readonly<Record<string, string | readonly string[]>>;

/** For each grant: its client, and bad parameter sets that must each end in one of the allowed errors. */
interface GrantCase {
  client: 'workload' | 'enterprise' | 'ciba' | 'exchange' | 'm2m';
  grant: string;
  cases: Array<{ name: string; params: Params }>;
  errors: string[];
}

function casesFor(grant: string, tokenParam: string, extra: Params = {}): Array<{ name: string; params: Params }> {
  return [
    { name: `no ${tokenParam}`, params: { ...extra } },
    { name: `empty ${tokenParam}`, params: { ...extra, [tokenParam]: '' } },
    { name: `two ${tokenParam}s`, params: { ...extra, [tokenParam]: ['x.y.z', 'x.y.z'] } },
    ...MALFORMED_JWTS.map((value, index) => ({
      name: `malformed ${tokenParam} ${index}`,
      params: { ...extra, [tokenParam]: value },
    })),
    {
      name: 'random scope and resource',
      params: {
        ...extra,
        [tokenParam]: MALFORMED_JWTS[4]!,
        scope: faker.string.sample(80),
        resource: faker.internet.url(),
      },
    },
    { name: 'repeated grant_type', params: { ...extra, grant_type: [grant, grant] } },
  ];
}

const GRANT_CASES: GrantCase[] = [
  {
    client: 'workload',
    grant: GRANTS.jwtBearer,
    cases: casesFor(GRANTS.jwtBearer, 'assertion'),
    errors: ['invalid_request', 'invalid_grant', 'invalid_scope', 'invalid_target', 'unauthorized_client'],
  },
  {
    client: 'enterprise',
    grant: GRANTS.jwtBearer,
    cases: casesFor(GRANTS.jwtBearer, 'assertion'),
    errors: ['invalid_request', 'invalid_grant', 'invalid_scope', 'invalid_target', 'unauthorized_client'],
  },
  {
    client: 'ciba',
    grant: GRANTS.ciba,
    cases: casesFor(GRANTS.ciba, 'auth_req_id'),
    errors: ['invalid_request', 'invalid_grant', 'expired_token'],
  },
  {
    client: 'exchange',
    grant: GRANTS.tokenExchange,
    cases: [
      ...casesFor(GRANTS.tokenExchange, 'subject_token', { subject_token_type: ACCESS_TOKEN_TYPE }),
      {
        name: 'unknown subject_token_type',
        params: { subject_token: 'x', subject_token_type: faker.internet.url() },
      },
      {
        name: 'actor_token_type without actor_token',
        params: { subject_token: 'x', subject_token_type: ACCESS_TOKEN_TYPE, actor_token_type: ACCESS_TOKEN_TYPE },
      },
      {
        name: 'malformed actor_token',
        params: {
          subject_token: 'x',
          subject_token_type: ACCESS_TOKEN_TYPE,
          actor_token: MALFORMED_JWTS[3]!,
          actor_token_type: ACCESS_TOKEN_TYPE,
        },
      },
    ],
    errors: ['invalid_request', 'invalid_grant', 'invalid_target', 'invalid_scope'],
  },
  {
    client: 'm2m',
    grant: GRANTS.clientCredentials,
    cases: [
      { name: 'random scope', params: { scope: faker.string.sample(120) } },
      { name: 'two resources', params: { resource: [faker.internet.url(), faker.internet.url()] } },
      { name: 'resource with a fragment', params: { resource: `${faker.internet.url()}#x` } },
      { name: 'huge resource', params: { resource: `https://${'a'.repeat(50_000)}.test/mcp` } },
      { name: 'repeated grant_type', params: { grant_type: [GRANTS.clientCredentials, GRANTS.refreshToken] } },
    ],
    errors: ['invalid_request', 'invalid_scope', 'invalid_target'],
  },
  {
    client: 'm2m',
    grant: GRANTS.refreshToken,
    cases: casesFor(GRANTS.refreshToken, 'refresh_token'),
    errors: ['invalid_request', 'invalid_grant', 'unauthorized_client'],
  },
];

describe('grant endpoints under bad input', () => {
  let system: ReferenceSystem;

  beforeAll(async () => {
    system = await createReferenceSystem({ clock: new ManualClock(Date.UTC(2026, 0, 1)) });
  });

  const send = (path: string, params: Params, headers: Record<string, string> = {}) => {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      for (const item of typeof value === 'string' ? [value] : value) body.append(name, item);
    }
    const request = new Request(`${AS}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });
    return system.authorizationServer.handler(request);
  };
  const basic = (role: GrantCase['client']) => {
    const { client_id, client_secret } = system.clients[role];
    return { authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}` };
  };

  it.each(
    GRANT_CASES.flatMap(({ client, grant, cases, errors }) =>
      cases.map((entry) => [`${client} ${grant}`, entry.name, client, grant, entry.params, errors] as const),
    ),
  )('%s, %s: the OAuth error, 400, no-store', async (_label, _name, client, grant, params, errors) => {
    const response = await send('/token', { grant_type: grant, ...params }, basic(client));
    const text = await response.text();
    expect(response.status, text).toBe(400);
    expect(response.headers.get('cache-control'), text).toMatch(/no-store/);
    const body = JSON.parse(text) as { error?: string };
    expect(errors, text).toContain(body.error);
  });

  it.each([
    ['no client authentication', {}],
    ['a wrong secret', { authorization: `Basic ${Buffer.from('reference-ciba-client:wrong').toString('base64')}` }],
    ['a malformed Basic header', { authorization: 'Basic %%%' }],
  ] as const)('the backchannel endpoint refuses %s with 401 invalid_client', async (_name, headers) => {
    const response = await send('/bc-authorize', { scope: 'openid', login_hint: 'alice@example.test' }, headers);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error?: string }).error).toBe('invalid_client');
  });

  it.each([
    ['no scope', { login_hint: 'alice@example.test' }],
    ['no openid scope', { scope: 'mcp:tools', login_hint: 'alice@example.test' }],
    ['no hint', { scope: 'openid' }],
    ['two hints', { scope: 'openid', login_hint: 'alice@example.test', id_token_hint: MALFORMED_JWTS[4]! }],
    ['repeated login_hint', { scope: 'openid', login_hint: ['alice@example.test', 'bob@example.test'] }],
    ['a huge login_hint', { scope: 'openid', login_hint: faker.string.alpha(100_000) }],
    ['an unknown user', { scope: 'openid', login_hint: faker.internet.email() }],
    ['a malformed id_token_hint', { scope: 'openid', id_token_hint: MALFORMED_JWTS[0]! }],
    ['a random binding_message', { scope: 'openid', login_hint: 'alice', binding_message: faker.string.sample(2000) }],
    ['a negative requested_expiry', { scope: 'openid', login_hint: 'alice', requested_expiry: '-5' }],
    ['a non-numeric requested_expiry', { scope: 'openid', login_hint: 'alice', requested_expiry: 'soon' }],
  ] as const)('the backchannel endpoint answers %s with a 400 OAuth error', async (_name, params) => {
    const response = await send('/bc-authorize', params, basic('ciba'));
    const text = await response.text();
    expect(response.status, text).toBe(400);
    expect(response.headers.get('cache-control'), text).toMatch(/no-store/);
    expect(typeof (JSON.parse(text) as { error?: unknown }).error, text).toBe('string');
  });

  it.each([
    ['no token', {}],
    ['a malformed token', { authorization: `Bearer ${MALFORMED_JWTS[3]!}` }],
    ['a random token', { authorization: `Bearer ${faker.string.alphanumeric(43)}` }],
    ['two schemes', { authorization: 'Bearer a, Basic b' }],
    ['a huge token', { authorization: `Bearer ${'a'.repeat(100_000)}` }],
  ] as const)('userinfo answers %s with 401 (400 if malformed) and a Bearer challenge', async (_name, headers) => {
    for (const method of ['GET', 'POST']) {
      const response = await system.authorizationServer.handler(new Request(`${AS}/userinfo`, { method, headers }));
      expect([400, 401], `${method} ${await response.clone().text()}`).toContain(response.status);
      expect(response.headers.get('www-authenticate') ?? '').toMatch(/^Bearer/i);
    }
  });

  it.each([
    ['no parameters', ''],
    ['a random request id', `?request=${faker.string.alphanumeric(40)}&secret=${faker.string.alphanumeric(40)}`],
    ['hostile values', `?request=${encodeURIComponent('<script>alert(1)</script>')}&secret=%%`],
    ['a huge value', `?request=${'a'.repeat(50_000)}`],
  ])('the CIBA approval link with %s is refused without a 5xx and approves nothing', async (_name, query) => {
    const page = await system.authorizationServer.handler(new Request(`${AS}/ciba/approve${query}`));
    expect(page.status, await page.clone().text()).toBeGreaterThanOrEqual(400);
    expect(page.status).toBeLessThan(500);
    expect(await page.text()).not.toContain('<script>alert(1)</script>');
    const submit = await send('/ciba/approve', { decision: 'approve', request: 'x', secret: 'y', csrf: 'z' });
    expect(submit.status).toBeGreaterThanOrEqual(400);
    expect(submit.status).toBeLessThan(500);
  });

  it.each(['/admin/agentic-identities', '/admin/audit'])('%s refuses anyone without the admin token', async (path) => {
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${'x'.repeat(10_000)}`, 'Basic YTpi']) {
      const headers: Record<string, string> = authorization ? { authorization } : {};
      const response = await system.authorizationServer.handler(new Request(`${AS}${path}`, { headers }));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate') ?? '').toMatch(/^Bearer/i);
    }
  });
});
