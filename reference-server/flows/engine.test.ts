import { describe, expect, it } from 'vitest';
import { startFlow } from './engine.ts';
import { homegrownLoginFlow } from './examples.ts';
import { MemoryUserDirectory } from './memory-directory.ts';
import { fakeFetch, homegrownAuthApi } from './test-support.ts';
import type { Flow } from './types.ts';

const noFetch = fakeFetch(() => new Response(null, { status: 599 })).fetch;

describe('homegrown login flow (connector → sign-up-or-in → custom claims → end)', () => {
  it('pauses at the credentials screen, then ends with the user and the claims', async () => {
    const api = homegrownAuthApi();
    const users = new MemoryUserDirectory();
    const run = await startFlow(homegrownLoginFlow, { fetch: api.fetch, users });
    expect(run.state).toMatchObject({
      status: 'paused',
      screen: 'credentials',
      message: 'needs input: screen credentials',
    });

    const state = await run.submit({ username: 'alice', password: 'secret' });
    expect(state).toEqual({
      status: 'done',
      outcome: {
        user: { id: 'U1', email: 'alice@example.com', externalId: 'ext-alice', attributes: {} },
        claims: { plan: 'pro', roles: ['admin', 'dev'] },
        amr: ['pwd'],
        scope: '',
      },
    });
    expect(JSON.parse(api.seen[0]!.body)).toEqual({ username: 'alice', password: 'secret' });
  });

  it('sends the user back to the screen on a 401 and creates nobody', async () => {
    const users = new MemoryUserDirectory();
    const run = await startFlow(homegrownLoginFlow, { fetch: homegrownAuthApi().fetch, users });
    const state = await run.submit({ username: 'alice', password: 'wrong' });
    expect(state).toMatchObject({ status: 'paused', screen: 'credentials' });
    expect(users.users).toHaveLength(0);
  });

  it('keeps a screen paused with errors when required fields are missing', async () => {
    const run = await startFlow(homegrownLoginFlow, {
      fetch: homegrownAuthApi().fetch,
      users: new MemoryUserDirectory(),
    });
    const state = await run.submit({ username: 'alice', password: 42 });
    expect(state).toMatchObject({ status: 'paused', errors: ['password is required'] });
  });
});

describe('engine', () => {
  it('drops undeclared screen fields, so a user cannot plant form.externalId', async () => {
    const flow: Flow = {
      id: 'f',
      steps: [
        { kind: 'screen', id: 's', fields: [{ name: 'email', type: 'email', required: true }] },
        { kind: 'generate-jwt', id: 'g', mode: 'sign-up-or-in' },
        { kind: 'end', id: 'e' },
      ],
    };
    const users = new MemoryUserDirectory();
    await users.create({ externalId: 'victim' });
    const run = await startFlow(flow, { fetch: noFetch, users });
    const state = await run.submit({ email: 'me@example.com', externalId: 'victim' });
    expect(state).toMatchObject({ status: 'done', outcome: { user: { id: 'U2', email: 'me@example.com' } } });
  });

  it('rejects a malformed email field', async () => {
    const flow: Flow = {
      id: 'f',
      steps: [
        { kind: 'screen', id: 's', fields: [{ name: 'email', type: 'email', required: true }] },
        { kind: 'generate-jwt', id: 'g', mode: 'sign-up' },
        { kind: 'end', id: 'e' },
      ],
    };
    const run = await startFlow(flow, { fetch: noFetch, users: new MemoryUserDirectory() });
    expect(await run.submit({ email: 'not-an-email' })).toMatchObject({ errors: ['email is not an email address'] });
  });

  it('update-user sets attributes from templates; custom claims read them', async () => {
    const flow: Flow = {
      id: 'f',
      steps: [
        { kind: 'set-form', id: 'id', values: { email: 'x@example.com', team: 'blue' } },
        { kind: 'generate-jwt', id: 'g', mode: 'sign-up' },
        { kind: 'update-user', id: 'u', attributes: { team: '{{form.team}}' } },
        { kind: 'custom-claims', id: 'c', claims: { team: '{{user.attributes.team}}', fixed: 7 } },
        { kind: 'end', id: 'e' },
      ],
    };
    const users = new MemoryUserDirectory();
    const run = await startFlow(flow, { fetch: noFetch, users });
    expect(run.state).toMatchObject({ status: 'done', outcome: { claims: { team: 'blue', fixed: 7 } } });
    expect(users.users[0]!.attributes).toEqual({ team: 'blue' });
  });

  it('takes the else branch of a condition', async () => {
    const flow: Flow = {
      id: 'f',
      steps: [
        { kind: 'set-form', id: 'id', values: { email: 'x@example.com' } },
        { kind: 'condition', id: 'c', if: { exists: 'form.vip' }, whenTrue: 'vip', whenFalse: 'plain' },
        { kind: 'custom-claims', id: 'vip', claims: { tier: 'vip' }, next: 'g' },
        { kind: 'custom-claims', id: 'plain', claims: { tier: 'plain' } },
        { kind: 'generate-jwt', id: 'g', mode: 'sign-up' },
        { kind: 'end', id: 'e' },
      ],
    };
    const run = await startFlow(flow, { fetch: noFetch, users: new MemoryUserDirectory() });
    expect(run.state).toMatchObject({ status: 'done', outcome: { claims: { tier: 'plain' } } });
  });

  it('stops a loop through conditions at the step limit', async () => {
    const flow: Flow = {
      id: 'loop',
      steps: [
        { kind: 'set-form', id: 'id', values: { email: 'x@example.com' } },
        { kind: 'condition', id: 'spin', if: { exists: 'form.email' }, whenTrue: 'id', whenFalse: 'g' },
        { kind: 'generate-jwt', id: 'g', mode: 'sign-up' },
        { kind: 'end', id: 'e' },
      ],
    };
    const run = await startFlow(flow, { fetch: noFetch, users: new MemoryUserDirectory(), maxSteps: 25 });
    expect(run.state).toMatchObject({ status: 'failed', reason: 'step limit of 25 exceeded (a loop?)' });
  });

  it('refuses to start an invalid flow', async () => {
    const flow: Flow = {
      id: 'broken',
      steps: [{ kind: 'condition', id: 'c', if: { exists: 'form.a' }, whenTrue: 'x', whenFalse: 'c' }],
    };
    const run = await startFlow(flow, { fetch: noFetch, users: new MemoryUserDirectory() });
    expect(run.state).toMatchObject({ status: 'failed', reason: 'invalid flow broken: step c goes to unknown step x' });
  });

  it('ignores submit when the run is not paused', async () => {
    const flow: Flow = {
      id: 'f',
      steps: [
        { kind: 'set-form', id: 'id', values: { email: 'x@example.com' } },
        { kind: 'generate-jwt', id: 'g', mode: 'sign-up' },
        { kind: 'end', id: 'e' },
      ],
    };
    const users = new MemoryUserDirectory();
    const run = await startFlow(flow, { fetch: noFetch, users });
    const before = run.state;
    expect(await run.submit({ email: 'y@example.com' })).toBe(before);
    expect(users.users).toHaveLength(1);
  });

  it('fails a missing template value when the flow asks for errors', async () => {
    const flow: Flow = {
      id: 'strict',
      onMissingValue: 'error',
      steps: [
        { kind: 'set-form', id: 'id', values: { email: '{{form.absent}}' } },
        { kind: 'generate-jwt', id: 'g', mode: 'sign-up' },
        { kind: 'end', id: 'e' },
      ],
    };
    const run = await startFlow(flow, { fetch: noFetch, users: new MemoryUserDirectory() });
    expect(run.state).toMatchObject({
      status: 'failed',
      stepId: 'id',
      reason: 'template value form.absent is not set',
    });
  });
});
