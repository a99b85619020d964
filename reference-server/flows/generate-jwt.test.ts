import { describe, expect, it } from 'vitest';
import { startFlow } from './engine.ts';
import { MemoryUserDirectory } from './memory-directory.ts';
import { fakeFetch } from './test-support.ts';
import type { Flow, GenerateJwtMode } from './types.ts';

function identityFlow(mode: GenerateJwtMode): Flow {
  return {
    id: `jwt-${mode}`,
    steps: [
      {
        kind: 'screen',
        id: 'who',
        fields: [
          { name: 'email', type: 'email', required: false },
          { name: 'externalId', type: 'text', required: false },
        ],
      },
      { kind: 'generate-jwt', id: 'issue', mode },
      { kind: 'end', id: 'done' },
    ],
  };
}

async function runWith(mode: GenerateJwtMode, users: MemoryUserDirectory, fields: Record<string, string>) {
  const run = await startFlow(identityFlow(mode), { fetch: fakeFetch(() => new Response()).fetch, users });
  return run.submit(fields);
}

describe('generate-jwt', () => {
  it('sign-in finds an existing user', async () => {
    const users = new MemoryUserDirectory();
    const alice = await users.create({ email: 'alice@example.com' });
    const state = await runWith('sign-in', users, { email: 'alice@example.com' });
    expect(state).toMatchObject({ status: 'done', outcome: { user: { id: alice.id } } });
  });

  it('sign-in with an unknown user fails and creates nobody', async () => {
    const users = new MemoryUserDirectory();
    const state = await runWith('sign-in', users, { email: 'nobody@example.com' });
    expect(state).toMatchObject({ status: 'failed', stepId: 'issue' });
    expect(state.status === 'failed' && state.reason).toContain('no existing user');
    expect(users.users).toHaveLength(0);
  });

  it('sign-up creates a new user every time', async () => {
    const users = new MemoryUserDirectory();
    await runWith('sign-up', users, { email: 'bob@example.com' });
    await runWith('sign-up', users, { email: 'bob@example.com' });
    expect(users.users).toHaveLength(2);
  });

  it('sign-up-or-in matches an existing user by email', async () => {
    const users = new MemoryUserDirectory();
    const carol = await users.create({ email: 'carol@example.com' });
    const state = await runWith('sign-up-or-in', users, { email: 'Carol@example.com' });
    expect(state).toMatchObject({ status: 'done', outcome: { user: { id: carol.id } } });
    expect(users.users).toHaveLength(1);
  });

  it('sign-up-or-in matches an existing user by external ID', async () => {
    const users = new MemoryUserDirectory();
    const dave = await users.create({ externalId: 'ext-dave' });
    const state = await runWith('sign-up-or-in', users, { externalId: 'ext-dave' });
    expect(state).toMatchObject({ status: 'done', outcome: { user: { id: dave.id } } });
    expect(users.users).toHaveLength(1);
  });

  it('sign-up-or-in creates the user when none matches', async () => {
    const users = new MemoryUserDirectory();
    const state = await runWith('sign-up-or-in', users, { externalId: 'ext-erin' });
    expect(state).toMatchObject({ status: 'done', outcome: { user: { externalId: 'ext-erin' } } });
    expect(users.users).toHaveLength(1);
  });

  it('fails naming form.email / form.externalId when neither was set', async () => {
    const users = new MemoryUserDirectory();
    const state = await runWith('sign-up', users, {});
    expect(state.status === 'failed' && state.reason).toMatch(/form\.email or form\.externalId must be set/);
    expect(users.users).toHaveLength(0);
  });
});
