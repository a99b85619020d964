import { describe, expect, it } from 'vitest';
import type { AccessTokenRecord, UserRecord } from './index.ts';
import { AUDIT_RETENTION, createMemoryStore } from './memory.ts';

function user(id: string, overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id,
    tenant: '',
    loginIds: [],
    externalIds: [],
    attributes: {},
    createdAt: 1_000,
    updatedAt: 1_000,
    ...overrides,
  };
}

describe('memory user store', () => {
  it('finds users by email or login ID, without regard to case, within one tenant', async () => {
    const { users } = createMemoryStore();
    await users.save(user('u1', { email: 'Alice@Example.com', loginIds: ['alice'] }));
    await users.save(user('u2', { tenant: 'acme', email: 'alice@example.com' }));
    expect((await users.findByLoginId('', 'alice@example.COM'))?.id).toBe('u1');
    expect((await users.findByLoginId('', 'ALICE'))?.id).toBe('u1');
    expect((await users.findByLoginId('acme', 'Alice@example.com'))?.id).toBe('u2');
    expect(await users.findByLoginId('acme', 'alice')).toBeUndefined();
    expect(await users.findByLoginId('other', 'alice@example.com')).toBeUndefined();
  });

  it('finds users by external ID exactly, within one tenant', async () => {
    const { users } = createMemoryStore();
    await users.save(user('u1', { externalIds: ['https://idp.upstream.test|Sub-1'] }));
    expect((await users.findByExternalId('', 'https://idp.upstream.test|Sub-1'))?.id).toBe('u1');
    expect(await users.findByExternalId('', 'https://idp.upstream.test|sub-1')).toBeUndefined();
    expect(await users.findByExternalId('acme', 'https://idp.upstream.test|Sub-1')).toBeUndefined();
  });

  it('lists users oldest first, optionally of one tenant, and replaces a user on save', async () => {
    const { users } = createMemoryStore();
    await users.save(user('late', { createdAt: 3_000 }));
    await users.save(user('early', { createdAt: 1_000, tenant: 'acme' }));
    await users.save(user('middle', { createdAt: 2_000 }));
    expect((await users.list()).map((found) => found.id)).toEqual(['early', 'middle', 'late']);
    expect((await users.list('')).map((found) => found.id)).toEqual(['middle', 'late']);
    await users.save(user('middle', { createdAt: 2_000, email: 'm@example.com' }));
    expect((await users.list()).map((found) => found.email)).toEqual([undefined, 'm@example.com', undefined]);
  });

  it('copies records in and out, as a database would', async () => {
    const { users } = createMemoryStore();
    const saved = user('u1', { loginIds: ['one'] });
    await users.save(saved);
    saved.loginIds.push('changed-after-save');
    const read = await users.get('u1');
    read!.loginIds.push('changed-after-read');
    expect((await users.get('u1'))!.loginIds).toEqual(['one']);
    expect(await users.get('missing')).toBeUndefined();
  });
});

describe('memory consent store', () => {
  it('remembers one consent per user and client, replaced on save', async () => {
    const { consents } = createMemoryStore();
    await consents.save({ userId: 'u1', clientId: 'c1', scopes: ['mcp:tools'], grantedAt: 1 });
    await consents.save({ userId: 'u1', clientId: 'c1', scopes: ['mcp:tools', 'mcp:admin'], grantedAt: 2 });
    expect(await consents.get('u1', 'c1')).toEqual({
      userId: 'u1',
      clientId: 'c1',
      scopes: ['mcp:tools', 'mcp:admin'],
      grantedAt: 2,
    });
    expect(await consents.get('u1', 'c2')).toBeUndefined();
    expect(await consents.get('u2', 'c1')).toBeUndefined();
  });

  it('withdraws every consent given to one client, and only those', async () => {
    const { consents } = createMemoryStore();
    for (const [userId, clientId] of [
      ['u1', 'c1'],
      ['u2', 'c1'],
      ['u1', 'c2'],
    ] as const) {
      await consents.save({ userId, clientId, scopes: [], grantedAt: 1 });
    }
    expect(await consents.deleteByClient('c1')).toBe(2);
    expect(await consents.get('u1', 'c1')).toBeUndefined();
    expect(await consents.get('u1', 'c2')).toBeDefined();
    expect(await consents.deleteByClient('c1')).toBe(0);
  });

  it('keeps user and client IDs apart even when they contain separators', async () => {
    const { consents } = createMemoryStore();
    await consents.save({ userId: 'a|b', clientId: 'c', scopes: ['x'], grantedAt: 1 });
    expect(await consents.get('a', 'b|c')).toBeUndefined();
  });
});

function accessToken(jti: string, grantId: string): AccessTokenRecord {
  return {
    jti,
    format: 'jwt',
    grantId,
    issuer: 'https://as.test',
    clientId: 'c',
    sub: 's',
    aud: 'r',
    scope: '',
    iat: 1,
    exp: 2,
  };
}

describe('memory token, audit and one-time id stores', () => {
  it("lists a grant's tokens from its index, following a save that moves a token to another grant", async () => {
    const { tokens } = createMemoryStore();
    await tokens.save(accessToken('t1', 'g1'));
    await tokens.save(accessToken('t2', 'g2'));
    await tokens.save(accessToken('t3', 'g1'));
    await tokens.save(accessToken('t3', 'g2'));
    expect((await tokens.listByGrant('g1')).map((token) => token.jti)).toEqual(['t1']);
    expect((await tokens.listByGrant('g2')).map((token) => token.jti)).toEqual(['t2', 't3']);
    const [listed] = await tokens.listByGrant('g1');
    listed!.scope = 'changed outside';
    expect((await tokens.get('t1'))?.scope).toBe('');
  });

  it('keeps the newest events of the audit log within its retention', async () => {
    const { audit } = createMemoryStore();
    const total = Math.ceil(AUDIT_RETENTION * 1.1) + 1;
    for (let index = 0; index < total; index++) {
      await audit.append({ id: `e${index}`, kind: 'login', issuer: 'https://as.test', at: index, summary: 'x' });
    }
    const kept = await audit.list(undefined, undefined);
    expect(kept.length).toBeLessThanOrEqual(AUDIT_RETENTION * 1.1);
    expect(kept.at(-1)?.id).toBe(`e${total - 1}`);
    expect(kept[0]?.id).toBe(`e${total - kept.length}`);
  });

  it('refuses a one-time id until it expires, then takes it again', async () => {
    const { assertionIds } = createMemoryStore();
    expect(await assertionIds.use('jti-1', 5_000, 1_000)).toBe(true);
    expect(await assertionIds.use('jti-1', 6_000, 1_500)).toBe(false);
    expect(await assertionIds.use('jti-1', 9_000, 5_000)).toBe(true);
  });
});
