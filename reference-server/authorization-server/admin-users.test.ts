import { beforeEach, describe, expect, it } from 'vitest';
import type { UserRecord } from '../store/index.ts';
import type { UserView } from './endpoints/admin-users.ts';
import { createTestServer, expectOAuthError, get, ISSUER, START, type TestServer } from './test-support.ts';

const ADMIN_TOKEN = 'users-admin-token';
const ADMIN = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

function user(id: string, overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id,
    tenant: '',
    loginIds: [],
    externalIds: [],
    attributes: {},
    createdAt: START,
    updatedAt: START,
    ...overrides,
  };
}

async function usersAt(server: TestServer, query = '', issuer = ISSUER): Promise<UserView[]> {
  const response = await get(server.handler, `${issuer}/admin/users${query}`, ADMIN);
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { users: UserView[] }).users;
}

async function ids(server: TestServer, query = '', issuer = ISSUER): Promise<string[]> {
  return (await usersAt(server, query, issuer)).map((found) => found.id);
}

describe('admin users API', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer({ adminToken: ADMIN_TOKEN });
    const { users } = server.store;
    await users.save(
      user('u-carol', {
        email: 'Carol@Example.com',
        loginIds: ['carol'],
        externalIds: ['hg-42'],
        attributes: { department: 'R&D' },
        totpSecret: TOTP_SECRET,
        createdAt: START + 2_000,
      }),
    );
    await users.save(user('u-dave', { email: 'dave@example.com', externalIds: ['https://idp.upstream.test|d'] }));
    await users.save(user('u-erin', { tenant: '/t/acme', email: 'erin@acme.test', createdAt: START + 1_000 }));
  });

  it('lists every user oldest first, never with a TOTP secret', async () => {
    const listed = await usersAt(server);
    expect(listed.map((found) => found.id)).toEqual(['u-dave', 'u-erin', 'u-carol']);
    expect(listed[2]).toEqual({
      id: 'u-carol',
      tenant: '',
      email: 'Carol@Example.com',
      login_ids: ['carol'],
      external_ids: ['hg-42'],
      attributes: { department: 'R&D' },
      mfa_enrolled: true,
      created_at: new Date(START + 2_000).toISOString(),
      updated_at: new Date(START).toISOString(),
    });
    expect(listed[0]!.mfa_enrolled).toBe(false);
    expect(JSON.stringify(listed)).not.toContain(TOTP_SECRET);
  });

  it('filters by tenant, login ID or email (any case) and external ID (exact)', async () => {
    expect(await ids(server, '?tenant=acme')).toEqual(['u-erin']);
    expect(await ids(server, `?tenant=${encodeURIComponent('/t/acme')}`)).toEqual(['u-erin']);
    expect(await ids(server, '?tenant=')).toEqual(['u-dave', 'u-erin', 'u-carol']);
    expect(await ids(server, '?login_id=CAROL')).toEqual(['u-carol']);
    expect(await ids(server, '?email=carol@example.com')).toEqual(['u-carol']);
    expect(await ids(server, '?external_id=hg-42')).toEqual(['u-carol']);
    expect(await ids(server, '?external_id=HG-42')).toEqual([]);
    expect(await ids(server, `?external_id=${encodeURIComponent('https://idp.upstream.test|d')}`)).toEqual(['u-dave']);
    expect(await ids(server, '?tenant=acme&login_id=carol')).toEqual([]);
  });

  it('shows a tenant issuer only its own users', async () => {
    const tenant = `${ISSUER}/t/acme`;
    expect(await ids(server, '', tenant)).toEqual(['u-erin']);
    expect(await ids(server, '?tenant=other', tenant)).toEqual([]);
    expect((await get(server.handler, `${tenant}/admin/users/u-carol`, ADMIN)).status).toBe(404);
  });

  it('reads one user, and answers 404 JSON for an unknown one', async () => {
    const found = await get(server.handler, `${ISSUER}/admin/users/u-carol`, ADMIN);
    expect(found.status).toBe(200);
    expect(found.headers.get('cache-control')).toBe('no-store');
    expect(await found.json()).toMatchObject({ id: 'u-carol', mfa_enrolled: true });
    await expectOAuthError(await get(server.handler, `${ISSUER}/admin/users/nobody`, ADMIN), 404, 'not_found');
    await expectOAuthError(await get(server.handler, `${ISSUER}/admin/users/%E0%A4%A`, ADMIN), 400, 'invalid_request');
  });

  it('answers contradictory filters with 400', async () => {
    const response = await get(server.handler, `${ISSUER}/admin/users?login_id=a&email=b`, ADMIN);
    await expectOAuthError(response, 400, 'invalid_request');
  });

  it('is for administrators only (401 with a Bearer challenge)', async () => {
    for (const path of ['/admin/users', '/admin/users/u-carol']) {
      const refused = await get(server.handler, `${ISSUER}${path}`, { Authorization: 'Bearer wrong' });
      await expectOAuthError(refused, 401, 'invalid_token');
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer /);
      await expectOAuthError(await get(server.handler, `${ISSUER}${path}`), 401, 'invalid_token');
    }
  });
});
