import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { CIBA_DEFECTS } from '../defects/ciba.ts';
import type { Defect } from '../defects.ts';
import type { OutgoingMail } from './context.ts';
import { CIBA_GRANT } from './grants/ciba.ts';
import {
  basic,
  createTestServer,
  expectOAuthError,
  get,
  hiddenInput,
  ISSUER,
  postForm,
  RESOURCE,
  type TestServer,
} from './test-support.ts';

const CIBA_CLIENT = { client_id: 'ciba-client', client_secret: 'ciba-secret' };
const OTHER_CIBA_CLIENT = { client_id: 'other-ciba-client', client_secret: 'other-ciba-secret' };
const PLAIN_CLIENT = { client_id: 'plain-client', client_secret: 'plain-secret' };
const ALICE = 'alice@example.com';

interface CibaServer extends TestServer {
  mails: OutgoingMail[];
}

async function createCibaServer(defects: Defect[] = [], linkExpirySeconds?: number): Promise<CibaServer> {
  const mails: OutgoingMail[] = [];
  const cibaClient = (credentials: { client_id: string; client_secret: string }, name: string) => ({
    ...credentials,
    redirect_uris: [],
    grant_types: [CIBA_GRANT],
    token_endpoint_auth_method: 'client_secret_basic' as const,
    client_name: name,
    settings: {
      backchannel_token_delivery_mode: 'poll' as const,
      ...(linkExpirySeconds ? { ciba_link_expiry_seconds: linkExpirySeconds } : {}),
    },
  });
  const server = await createTestServer({
    defects,
    clients: [
      cibaClient(CIBA_CLIENT, 'CIBA Test Client'),
      cibaClient(OTHER_CIBA_CLIENT, 'Other CIBA Client'),
      {
        ...PLAIN_CLIENT,
        redirect_uris: [],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      { client_id: 'public-ciba', redirect_uris: [], grant_types: [CIBA_GRANT], token_endpoint_auth_method: 'none' },
    ],
    mailer: { send: async (mail) => void mails.push(mail) },
  });
  return { ...server, mails };
}

const auth = (client = CIBA_CLIENT) => basic(client.client_id, client.client_secret);

function backchannel(server: TestServer, fields: Record<string, string | undefined> = {}, headers = auth()) {
  const all = { scope: 'openid mcp:tools', login_hint: ALICE, resource: RESOURCE, ...fields };
  const defined = Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => !!entry[1]));
  return postForm(server.handler, `${ISSUER}/bc-authorize`, defined, headers);
}

async function startRequest(server: TestServer, fields: Record<string, string | undefined> = {}) {
  const response = await backchannel(server, fields);
  const body = (await response.json()) as { auth_req_id: string; expires_in: number; interval: number };
  if (response.status !== 200) throw new Error(`bc-authorize answered ${response.status} ${JSON.stringify(body)}`);
  return body;
}

function poll(server: TestServer, authReqId: string, headers = auth()) {
  return postForm(server.handler, `${ISSUER}/token`, { grant_type: CIBA_GRANT, auth_req_id: authReqId }, headers);
}

async function pollError(server: TestServer, authReqId: string, headers = auth()): Promise<string | undefined> {
  return ((await (await poll(server, authReqId, headers)).json()) as { error?: string }).error;
}

function lastLink(server: CibaServer): string {
  const mail = server.mails.at(-1);
  if (!mail) throw new Error('no mail was sent');
  return mail.links[0]!;
}

/** Opens the newest approval link and submits the decision, as the user's browser would. */
async function answerMail(server: CibaServer, decision: 'approve' | 'deny', link = lastLink(server)) {
  const page = await get(server.handler, link);
  const html = await page.text();
  if (page.status !== 200) return { page, submitted: undefined };
  const fields = { request: hiddenInput(html, 'request'), secret: hiddenInput(html, 'secret'), decision };
  const submitted = await postForm(server.handler, `${ISSUER}/ciba/approve`, fields, { Origin: ISSUER });
  return { page, submitted };
}

async function approvedTokens(server: CibaServer, fields: Record<string, string | undefined> = {}) {
  const { auth_req_id } = await startRequest(server, fields);
  await answerMail(server, 'approve');
  const response = await poll(server, auth_req_id);
  return { authReqId: auth_req_id, response, body: (await response.json()) as Record<string, unknown> };
}

describe('CIBA backchannel authentication (poll mode, email approval)', () => {
  it('advertises the backchannel endpoint, poll mode only and no user_code', async () => {
    const server = await createCibaServer();
    const metadata = (await (await get(server.handler, `${ISSUER}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(metadata).toMatchObject({
      backchannel_authentication_endpoint: `${ISSUER}/bc-authorize`,
      backchannel_token_delivery_modes_supported: ['poll'],
      backchannel_user_code_parameter_supported: false,
    });
    expect(metadata.grant_types_supported).toContain(CIBA_GRANT);
  });

  it('answers auth_req_id (≥128 bits, URL-safe), expires_in and interval, never cached, and mails the user', async () => {
    const server = await createCibaServer();
    const response = await backchannel(server, { binding_message: 'W4SCT' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.auth_req_id).toMatch(/^[A-Za-z0-9._-]{43,}$/);
    expect(body).toMatchObject({ expires_in: 600, interval: 5 });
    expect(server.mails).toHaveLength(1);
    expect(server.mails[0]).toMatchObject({ to: ALICE });
    expect(server.mails[0]!.text).toContain('W4SCT');
    expect(server.mails[0]!.links[0]).toMatch(new RegExp(`^${ISSUER}/ciba/approve\\?request=`));
    expect(await server.store.backchannelRequests.get(String(body.auth_req_id))).toBeUndefined();
  });

  it('runs the whole flow: pending, approval through the mailed link, tokens with an ID token, then spent', async () => {
    const server = await createCibaServer();
    const { auth_req_id } = await startRequest(server, { binding_message: 'W4SCT' });
    expect(await pollError(server, auth_req_id)).toBe('authorization_pending');
    const page = await get(server.handler, lastLink(server));
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('CIBA Test Client');
    expect(html).toContain('W4SCT');
    expect(html).toContain('mcp:tools');
    server.clock.advance(5_000);
    expect(await pollError(server, auth_req_id)).toBe('authorization_pending');
    const submitted = await postForm(
      server.handler,
      `${ISSUER}/ciba/approve`,
      { request: hiddenInput(html, 'request'), secret: hiddenInput(html, 'secret'), decision: 'approve' },
      { Origin: ISSUER },
    );
    expect(submitted.status).toBe(200);
    server.clock.advance(5_000);
    const response = await poll(server, auth_req_id);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, string | number>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'openid mcp:tools' });
    expect(decodeJwt(String(body.access_token))).toMatchObject({ aud: RESOURCE, sub: 'user-alice' });
    const idToken = String(body.id_token);
    expect(decodeProtectedHeader(idToken)).toMatchObject({ alg: 'ES256' });
    const claims = decodeJwt(idToken);
    expect(claims).toMatchObject({ iss: ISSUER, sub: 'user-alice', aud: CIBA_CLIENT.client_id });
    expect(claims.exp! > claims.iat!).toBe(true);
    expect(typeof claims.auth_time).toBe('number');
    server.clock.advance(5_000);
    await expectOAuthError(await poll(server, auth_req_id), 400, 'invalid_grant');
  });

  it('answers slow_down to a poll inside the interval, and then makes the interval 5 s longer', async () => {
    const server = await createCibaServer();
    const { auth_req_id } = await startRequest(server);
    expect(await pollError(server, auth_req_id)).toBe('authorization_pending');
    await expectOAuthError(await poll(server, auth_req_id), 400, 'slow_down');
    server.clock.advance(5_000);
    expect(await pollError(server, auth_req_id)).toBe('slow_down');
    server.clock.advance(15_000);
    expect(await pollError(server, auth_req_id)).toBe('authorization_pending');
  });

  it('answers access_denied once the user denied', async () => {
    const server = await createCibaServer();
    const { auth_req_id } = await startRequest(server);
    const { submitted } = await answerMail(server, 'deny');
    expect(submitted?.status).toBe(200);
    await expectOAuthError(await poll(server, auth_req_id), 400, 'access_denied');
  });

  it('refuses an expired link (3 minutes by default) and leaves the request pending', async () => {
    const server = await createCibaServer();
    const { auth_req_id } = await startRequest(server);
    const link = lastLink(server);
    const page = await get(server.handler, link);
    const html = await page.text();
    server.clock.advance(181_000);
    expect((await get(server.handler, link)).status).toBe(410);
    const fields = { request: hiddenInput(html, 'request'), secret: hiddenInput(html, 'secret'), decision: 'approve' };
    const late = await postForm(server.handler, `${ISSUER}/ciba/approve`, fields, { Origin: ISSUER });
    expect(late.status).toBe(410);
    expect(late.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await pollError(server, auth_req_id)).toBe('authorization_pending');
  });

  it('honours the per-client link expiry', async () => {
    const server = await createCibaServer([], 30);
    await startRequest(server);
    server.clock.advance(31_000);
    expect((await answerMail(server, 'approve')).page.status).toBe(410);
  });

  it('uses each link once: a second decision is refused and the first stands', async () => {
    const server = await createCibaServer();
    const { auth_req_id } = await startRequest(server);
    const link = lastLink(server);
    await answerMail(server, 'deny', link);
    expect((await answerMail(server, 'approve', link)).page.status).toBe(410);
    expect(await pollError(server, auth_req_id)).toBe('access_denied');
  });

  it('never decides on a GET, and refuses unknown links, wrong secrets and cross-origin submissions', async () => {
    const server = await createCibaServer();
    const { auth_req_id } = await startRequest(server);
    const link = new URL(lastLink(server));
    await get(server.handler, link.href);
    expect(await pollError(server, auth_req_id)).toBe('authorization_pending');
    const forged = new URL(link);
    forged.searchParams.set('secret', 'guess');
    expect((await get(server.handler, forged.href)).status).toBe(400);
    expect((await get(server.handler, `${ISSUER}/ciba/approve`)).status).toBe(400);
    const fields = {
      request: link.searchParams.get('request')!,
      secret: link.searchParams.get('secret')!,
      decision: 'approve',
    };
    const crossSite = await postForm(server.handler, `${ISSUER}/ciba/approve`, fields, {
      Origin: 'https://evil.test',
    });
    expect(crossSite.status).toBe(403);
    const bad = await postForm(server.handler, `${ISSUER}/ciba/approve`, { ...fields, decision: 'maybe' });
    expect(bad.status).toBe(400);
    const json = await server.handler(
      new Request(`${ISSUER}/ciba/approve`, { method: 'POST', body: '{}', headers: { 'content-type': 'text/json' } }),
    );
    expect(json.status).toBe(400);
    server.clock.advance(5_000);
    expect(await pollError(server, auth_req_id)).toBe('authorization_pending');
  });

  it('expires the request: expired_token after expires_in (requested_expiry shortens it)', async () => {
    const server = await createCibaServer();
    const { auth_req_id, expires_in } = await startRequest(server, { requested_expiry: '120' });
    expect(expires_in).toBe(120);
    server.clock.advance(120_000);
    await expectOAuthError(await poll(server, auth_req_id), 400, 'expired_token');
    expect((await answerMail(server, 'approve')).page.status).toBe(410);
  });

  it("binds the auth_req_id to its client: another client's poll and an unknown id are invalid_grant", async () => {
    const server = await createCibaServer();
    const { auth_req_id } = await startRequest(server);
    await answerMail(server, 'approve');
    await expectOAuthError(await poll(server, auth_req_id, auth(OTHER_CIBA_CLIENT)), 400, 'invalid_grant');
    await expectOAuthError(await poll(server, auth_req_id, auth(PLAIN_CLIENT)), 400, 'invalid_grant');
    await expectOAuthError(await poll(server, 'no-such-request'), 400, 'invalid_grant');
    await expectOAuthError(
      await postForm(server.handler, `${ISSUER}/token`, { grant_type: CIBA_GRANT }, auth()),
      400,
      'invalid_request',
    );
    expect((await poll(server, auth_req_id)).status).toBe(200);
  });

  it('accepts an id_token_hint it issued to the client, and refuses one it did not', async () => {
    const server = await createCibaServer();
    const { body } = await approvedTokens(server);
    const hinted = await backchannel(server, { login_hint: undefined, id_token_hint: String(body.id_token) });
    expect(hinted.status).toBe(200);
    expect(server.mails.at(-1)).toMatchObject({ to: ALICE });
    const foreign = await backchannel(
      server,
      { login_hint: undefined, id_token_hint: String(body.id_token) },
      auth(OTHER_CIBA_CLIENT),
    );
    await expectOAuthError(foreign, 400, 'invalid_request');
    await expectOAuthError(
      await backchannel(server, { login_hint: undefined, id_token_hint: 'x.y.z' }),
      400,
      'invalid_request',
    );
  });

  it('finds the user by username too', async () => {
    const server = await createCibaServer();
    await startRequest(server, { login_hint: 'bob' });
    expect(server.mails.at(-1)).toMatchObject({ to: 'bob@example.com' });
  });

  describe('refuses a bad backchannel request with the right OAuth error', () => {
    const cases: [string, Record<string, string | undefined>, Record<string, string>, number, string][] = [
      ['no client authentication', { client_id: CIBA_CLIENT.client_id }, {}, 401, 'invalid_client'],
      ['a wrong secret', {}, basic(CIBA_CLIENT.client_id, 'wrong'), 401, 'invalid_client'],
      ['a public client', { client_id: 'public-ciba' }, {}, 401, 'invalid_client'],
      [
        'a client not registered for CIBA',
        {},
        basic(PLAIN_CLIENT.client_id, PLAIN_CLIENT.client_secret),
        400,
        'unauthorized_client',
      ],
      ['no scope', { scope: undefined }, auth(), 400, 'invalid_request'],
      ['a scope without openid', { scope: 'mcp:tools' }, auth(), 400, 'invalid_scope'],
      ['an unknown scope', { scope: 'openid root' }, auth(), 400, 'invalid_scope'],
      ['no hint', { login_hint: undefined }, auth(), 400, 'invalid_request'],
      ['two hints', { id_token_hint: 'x.y.z' }, auth(), 400, 'invalid_request'],
      ['a login_hint_token', { login_hint: undefined, login_hint_token: 'token' }, auth(), 400, 'invalid_request'],
      ['an unknown user', { login_hint: 'mallory@example.com' }, auth(), 400, 'unknown_user_id'],
      ['markup in binding_message', { binding_message: '<b>hi</b>' }, auth(), 400, 'invalid_binding_message'],
      ['a long binding_message', { binding_message: 'x'.repeat(65) }, auth(), 400, 'invalid_binding_message'],
      ['a bad requested_expiry', { requested_expiry: '-5' }, auth(), 400, 'invalid_request'],
      ['an unknown resource', { resource: 'https://elsewhere.test/mcp' }, auth(), 400, 'invalid_target'],
    ];
    it.each(cases)('%s', async (_, fields, headers, status, error) => {
      const server = await createCibaServer();
      await expectOAuthError(await backchannel(server, fields, headers), status, error);
      expect(server.mails).toHaveLength(0);
    });

    it('a JSON body, or garbage, is an OAuth error, never a 500', async () => {
      const server = await createCibaServer();
      const garbage = ['{}', '%%%', 'scope=openid&scope=openid', `login_hint=${'a'.repeat(5000)}&scope=openid`];
      for (const body of garbage) {
        const response = await server.handler(
          new Request(`${ISSUER}/bc-authorize`, {
            method: 'POST',
            body,
            headers: {
              'content-type': body === '{}' ? 'application/json' : 'application/x-www-form-urlencoded',
              ...auth(),
            },
          }),
        );
        expect(response.status).toBe(400);
        expect(response.headers.get('cache-control')).toBe('no-store');
      }
      const wrongMethod = await get(server.handler, `${ISSUER}/bc-authorize`);
      expect(wrongMethod.status).toBe(405);
    });

    it('a mail that cannot be delivered ends the request with a JSON server_error', async () => {
      const server = await createTestServer({
        clients: [
          {
            ...CIBA_CLIENT,
            redirect_uris: [],
            grant_types: [CIBA_GRANT],
            token_endpoint_auth_method: 'client_secret_basic',
            settings: { backchannel_token_delivery_mode: 'poll' },
          },
        ],
      });
      await expectOAuthError(await backchannel(server), 500, 'server_error');
    });
  });
});

// ── Every CIBA defect shows its bug, and only with the defect ─────────────────────────────────────────────────

/** Each probe answers: is the planted bug visible on this server? It must be false without the defect. */
type Probe = (server: CibaServer) => Promise<boolean>;

async function statusOf(response: Promise<Response>): Promise<number> {
  return (await response).status;
}

const PROBES: Record<keyof typeof CIBA_DEFECTS, Probe> = {
  'ciba-metadata-incomplete': async (server) => {
    const metadata = (await (
      await get(server.handler, `${ISSUER}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    return !('backchannel_token_delivery_modes_supported' in metadata);
  },
  'ciba-request-unauthenticated': async (server) =>
    (await statusOf(backchannel(server, { client_id: CIBA_CLIENT.client_id }, {}))) === 200,
  'ciba-openid-not-required': async (server) => (await statusOf(backchannel(server, { scope: 'mcp:tools' }))) === 200,
  'ciba-several-hints-accepted': async (server) =>
    (await statusOf(backchannel(server, { id_token_hint: 'x.y.z' }))) === 200,
  'ciba-unknown-user-accepted': async (server) =>
    (await statusOf(backchannel(server, { login_hint: 'mallory@example.com' }))) === 200,
  'ciba-binding-message-unchecked': async (server) =>
    (await statusOf(backchannel(server, { binding_message: '<script>' }))) === 200,
  'ciba-auth-req-id-guessable': async (server) => (await startRequest(server)).auth_req_id.length < 22,
  'ciba-tokens-before-approval': async (server) =>
    (await statusOf(poll(server, (await startRequest(server)).auth_req_id))) === 200,
  'ciba-slow-down-never-sent': async (server) => {
    const { auth_req_id } = await startRequest(server);
    await poll(server, auth_req_id);
    return (await pollError(server, auth_req_id)) === 'authorization_pending';
  },
  'ciba-interval-not-increased': async (server) => {
    const { auth_req_id } = await startRequest(server);
    await poll(server, auth_req_id);
    await poll(server, auth_req_id);
    server.clock.advance(5_000);
    return (await pollError(server, auth_req_id)) === 'authorization_pending';
  },
  'ciba-unknown-auth-req-id-pending': async (server) =>
    (await pollError(server, 'no-such-request')) === 'authorization_pending',
  'ciba-auth-req-id-not-bound-to-client': async (server) => {
    const { auth_req_id } = await startRequest(server);
    await answerMail(server, 'approve');
    return (await statusOf(poll(server, auth_req_id, auth(PLAIN_CLIENT)))) === 200;
  },
  'ciba-request-never-expires': async (server) => {
    const { auth_req_id } = await startRequest(server, { requested_expiry: '60' });
    server.clock.advance(61_000);
    return (await pollError(server, auth_req_id)) === 'authorization_pending';
  },
  'ciba-link-never-expires': async (server) => {
    await startRequest(server);
    server.clock.advance(181_000);
    return (await answerMail(server, 'approve')).submitted?.status === 200;
  },
  'ciba-link-get-approves': async (server) => {
    const { auth_req_id } = await startRequest(server);
    await get(server.handler, lastLink(server));
    return (await statusOf(poll(server, auth_req_id))) === 200;
  },
  'ciba-approval-link-reusable': async (server) => {
    await startRequest(server);
    const link = lastLink(server);
    await answerMail(server, 'deny', link);
    return (await answerMail(server, 'approve', link)).submitted?.status === 200;
  },
  'ciba-binding-message-hidden': async (server) => {
    await startRequest(server, { binding_message: 'W4SCT' });
    return !(await (await get(server.handler, lastLink(server))).text()).includes('W4SCT');
  },
  'ciba-denied-issues-tokens': async (server) => {
    const { auth_req_id } = await startRequest(server);
    await answerMail(server, 'deny');
    return (await statusOf(poll(server, auth_req_id))) === 200;
  },
  'ciba-auth-req-id-reusable': async (server) => {
    const { authReqId } = await approvedTokens(server);
    server.clock.advance(5_000);
    return (await statusOf(poll(server, authReqId))) === 200;
  },
  'ciba-no-id-token': async (server) => !('id_token' in (await approvedTokens(server)).body),
};

describe('CIBA defects', () => {
  it.each(Object.keys(CIBA_DEFECTS) as (keyof typeof CIBA_DEFECTS)[])(
    '%s shows its bug only when planted',
    async (defect) => {
      const probe = PROBES[defect];
      expect(await probe(await createCibaServer())).toBe(false);
      expect(await probe(await createCibaServer([defect]))).toBe(true);
    },
  );
});
