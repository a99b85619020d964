import { describe, expect, it } from 'vitest';
import type { Fetch } from '../../harness/network/types.ts';
import { startFlow } from './engine.ts';
import { consentFlow, homegrownLoginFlow, MFA_ACR, mfaStepUpFlow } from './examples.ts';
import { MemoryUserDirectory } from './memory-directory.ts';
import { fakeFetch, hangingFetch, homegrownAuthApi, json, sharedOnce, withDefects } from './test-support.ts';
import { totpCode } from './totp.ts';
import type { ConsentMemory, Flow, FlowDeps, FlowRequest, FlowState, GenerateJwtMode } from './types.ts';

const ALICE = { username: 'alice', password: 'secret' };

function request(scope: string, clientId = 'flow-client'): FlowRequest {
  return {
    issuer: 'https://as.reference.test',
    clientId,
    scope,
    scopes: scope.split(' '),
    resource: 'https://mcp.reference.test/mcp',
    cookies: {},
  };
}

function baseDeps(extra: Partial<FlowDeps> = {}): FlowDeps {
  return { fetch: homegrownAuthApi().fetch, users: new MemoryUserDirectory(), ...extra };
}

/** Runs `flow` through its first screen with `fields`. */
async function submitted(flow: Flow, deps: FlowDeps, fields: Record<string, string> = ALICE): Promise<FlowState> {
  const run = await startFlow(flow, deps);
  return run.submit(fields);
}

const withTimeout = (timeoutMs: number): Flow => ({
  ...homegrownLoginFlow,
  steps: homegrownLoginFlow.steps.map((step) => (step.kind === 'connector' ? { ...step, timeoutMs } : step)),
});

describe('connector defects: a failed call must never sign anyone in', () => {
  const answering = (response: () => Response): Fetch => fakeFetch(response).fetch;
  const cases: [string, Fetch, Record<string, string>, Flow][] = [
    [
      'invalid-credentials-accepted',
      homegrownAuthApi().fetch,
      { username: 'alice', password: 'wrong' },
      homegrownLoginFlow,
    ],
    ['connector-timeout-ignored', hangingFetch, ALICE, withTimeout(5)],
    [
      'connector-5xx-treated-as-success',
      answering(() => json({ error: 'server_error' }, 500)),
      ALICE,
      homegrownLoginFlow,
    ],
    [
      'connector-malformed-json-accepted',
      answering(() => new Response('{"user":', { headers: { 'content-type': 'application/json' } })),
      ALICE,
      homegrownLoginFlow,
    ],
  ];
  for (const [defect, fetch, fields, flow] of cases) {
    it(`${defect}: no user by default; with the defect the typed username signs in`, async () => {
      const users = new MemoryUserDirectory();
      expect(await submitted(flow, baseDeps({ fetch, users }), fields)).not.toMatchObject({ status: 'done' });
      expect(users.users).toHaveLength(0);
      const lenient = await submitted(flow, baseDeps({ fetch, defects: withDefects(defect) }), fields);
      expect(lenient).toMatchObject({ status: 'done', outcome: { user: { email: 'alice' } } });
    });
  }

  it('connector-content-type-unchecked: a JSON body labelled text/html is refused, parsed with the defect', async () => {
    const fetch = fakeFetch(
      () =>
        new Response(JSON.stringify({ user: { id: 'x', email: 'alice@example.com' } }), {
          headers: { 'content-type': 'text/html' },
        }),
    ).fetch;
    expect(await submitted(homegrownLoginFlow, baseDeps({ fetch }))).toMatchObject({ status: 'failed' });
    const lenient = await submitted(
      homegrownLoginFlow,
      baseDeps({ fetch, defects: withDefects('connector-content-type-unchecked') }),
    );
    expect(lenient).toMatchObject({ status: 'done', outcome: { user: { email: 'alice@example.com' } } });
  });

  it('connector-failure-creates-user: a failed call leaves a user behind only with the defect', async () => {
    const fetch = fakeFetch(() => json({ error: 'server_error' }, 500)).fetch;
    for (const [defects, count] of [
      [withDefects(), 0],
      [withDefects('connector-failure-creates-user'), 1],
    ] as const) {
      const users = new MemoryUserDirectory();
      expect(await submitted(homegrownLoginFlow, baseDeps({ fetch, users, defects }))).toMatchObject({
        status: 'failed',
      });
      expect(users.users).toHaveLength(count);
    }
  });

  it("flow-email-from-form: the email is the connector's, not the typed username", async () => {
    expect(await submitted(homegrownLoginFlow, baseDeps())).toMatchObject({
      outcome: { user: { email: 'alice@example.com' } },
    });
    expect(
      await submitted(homegrownLoginFlow, baseDeps({ defects: withDefects('flow-email-from-form') })),
    ).toMatchObject({ outcome: { user: { email: 'alice' } } });
  });
});

/** A screen asking for the login IDs, then Generate JWT in `mode`. */
function generateJwtFlow(mode: GenerateJwtMode): Flow {
  return {
    id: `generate-jwt-${mode}`,
    steps: [
      {
        kind: 'screen',
        id: 'ids',
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

describe('Generate JWT defects', () => {
  async function signInAs(
    mode: GenerateJwtMode,
    users: MemoryUserDirectory,
    fields: Record<string, string>,
    defect?: string,
  ) {
    return submitted(
      generateJwtFlow(mode),
      baseDeps({ users, defects: withDefects(...(defect ? [defect] : [])) }),
      fields,
    );
  }

  it('sign-in-creates-user: an unknown user is refused, created with the defect', async () => {
    const users = new MemoryUserDirectory();
    expect(await signInAs('sign-in', users, { email: 'new@example.com' })).toMatchObject({ status: 'failed' });
    expect(await signInAs('sign-in', users, { email: 'new@example.com' }, 'sign-in-creates-user')).toMatchObject({
      status: 'done',
    });
  });

  it('sign-in-refuses-existing-user: an existing user signs in, refused with the defect', async () => {
    const users = new MemoryUserDirectory();
    await users.create({ email: 'old@example.com' });
    expect(await signInAs('sign-in', users, { email: 'old@example.com' })).toMatchObject({ status: 'done' });
    expect(
      await signInAs('sign-in', users, { email: 'old@example.com' }, 'sign-in-refuses-existing-user'),
    ).toMatchObject({ status: 'failed' });
  });

  it('sign-up-reuses-user: sign-up always creates, reuses with the defect', async () => {
    const users = new MemoryUserDirectory();
    await signInAs('sign-up', users, { email: 'a@example.com' });
    await signInAs('sign-up', users, { email: 'a@example.com' });
    expect(users.users).toHaveLength(2);
    await signInAs('sign-up', users, { email: 'a@example.com' }, 'sign-up-reuses-user');
    expect(users.users).toHaveLength(2);
  });

  it('sign-up-or-in-email-only: the external ID matches too, except with the defect', async () => {
    const users = new MemoryUserDirectory();
    await users.create({ email: 'a@example.com', externalId: 'EMP-1' });
    await signInAs('sign-up-or-in', users, { email: 'renamed@example.com', externalId: 'EMP-1' });
    expect(users.users).toHaveLength(1);
    await signInAs(
      'sign-up-or-in',
      users,
      { email: 'renamed@example.com', externalId: 'EMP-1' },
      'sign-up-or-in-email-only',
    );
    expect(users.users).toHaveLength(2);
  });

  it('generate-jwt-single-user: each person gets their own user, the first one with the defect', async () => {
    const users = new MemoryUserDirectory();
    await signInAs('sign-up-or-in', users, { email: 'a@example.com' });
    expect(await signInAs('sign-up-or-in', users, { email: 'b@example.com' })).toMatchObject({
      outcome: { user: { email: 'b@example.com' } },
    });
    expect(
      await signInAs('sign-up-or-in', users, { email: 'b@example.com' }, 'generate-jwt-single-user'),
    ).toMatchObject({
      outcome: { user: { email: 'a@example.com' } },
    });
  });

  it('generate-jwt-without-login-id: a flow without login ID is invalid, runs anonymously with the defect', async () => {
    const flow: Flow = {
      id: 'no-login-id',
      steps: [
        { kind: 'screen', id: 's', fields: [{ name: 'username', type: 'text', required: true }] },
        { kind: 'generate-jwt', id: 'issue', mode: 'sign-up-or-in' },
        { kind: 'end', id: 'done' },
      ],
    };
    const invalid = await startFlow(flow, baseDeps());
    expect(invalid.state).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/form.email or form.externalId/),
    });
    const anonymous = await submitted(flow, baseDeps({ defects: withDefects('generate-jwt-without-login-id') }), {
      username: 'x',
    });
    expect(anonymous).toMatchObject({ status: 'done', outcome: { user: { id: 'U1', attributes: {} } } });
  });
});

function memoryConsents(): ConsentMemory & { records: Map<string, string[]> } {
  const records = new Map<string, string[]>();
  return {
    records,
    granted: async (userId, clientId) => records.get(`${userId} ${clientId}`),
    remember: async (userId, clientId, scopes) => {
      records.set(`${userId} ${clientId}`, scopes);
    },
  };
}

describe('consent', () => {
  function consentDeps(extra: Partial<FlowDeps> = {}): FlowDeps {
    return baseDeps({
      users: new MemoryUserDirectory(),
      consents: memoryConsents(),
      request: request('mcp:tools'),
      ...extra,
    });
  }

  it('asks for the requested scopes, remembers the approval (as a union) and does not ask again', async () => {
    const deps = consentDeps();
    const run = await startFlow(consentFlow, deps);
    expect(await run.submit(ALICE)).toEqual({ status: 'consent', stepId: 'consent', scopes: ['mcp:tools'] });
    expect(await run.resume({ kind: 'consent', approve: true })).toMatchObject({
      status: 'done',
      outcome: { scope: 'mcp:tools', amr: ['pwd'] },
    });
    expect(await submitted(consentFlow, deps)).toMatchObject({ status: 'done' });
    const more = await submitted(consentFlow, { ...deps, request: request('mcp:tools mcp:admin') });
    expect(more).toMatchObject({ status: 'consent', scopes: ['mcp:tools', 'mcp:admin'] });
  });

  it('flow-consent-skipped: the consent step asks, unless the defect approves at once', async () => {
    expect(await submitted(consentFlow, consentDeps())).toMatchObject({ status: 'consent' });
    expect(await submitted(consentFlow, consentDeps({ defects: withDefects('flow-consent-skipped') }))).toMatchObject({
      status: 'done',
    });
  });

  it('skip-consent-ignored: a skip-consent client is not asked, except with the defect', async () => {
    expect(await submitted(consentFlow, consentDeps({ skipConsent: true }))).toMatchObject({ status: 'done' });
    expect(
      await submitted(consentFlow, consentDeps({ skipConsent: true, defects: withDefects('skip-consent-ignored') })),
    ).toMatchObject({ status: 'consent' });
  });

  it('a declined consent ends in denied; consent-deny-issues-code goes on to the end', async () => {
    for (const [defects, status] of [
      [withDefects(), 'denied'],
      [withDefects('consent-deny-issues-code'), 'done'],
    ] as const) {
      const run = await startFlow(consentFlow, consentDeps({ defects }));
      await run.submit(ALICE);
      expect(await run.resume({ kind: 'consent', approve: false })).toMatchObject({ status });
    }
  });

  /** Approves `first` for one client, then returns the state of a second authorization described by `second`. */
  async function afterApproval(second: Partial<FlowDeps>, defect?: string): Promise<FlowState> {
    const deps = consentDeps({ defects: withDefects(...(defect ? [defect] : [])) });
    const run = await startFlow(consentFlow, deps);
    await run.submit(ALICE);
    await run.resume({ kind: 'consent', approve: true });
    return submitted(consentFlow, { ...deps, ...second });
  }

  it('consent-not-remembered: an approval is remembered, asked again with the defect', async () => {
    expect(await afterApproval({})).toMatchObject({ status: 'done' });
    expect(await afterApproval({}, 'consent-not-remembered')).toMatchObject({ status: 'consent' });
  });

  it('consent-remembered-per-user-only: another client asks again, not with the defect', async () => {
    const other = { request: request('mcp:tools', 'other-client') };
    expect(await afterApproval(other)).toMatchObject({ status: 'consent' });
    expect(await afterApproval(other, 'consent-remembered-per-user-only')).toMatchObject({ status: 'done' });
  });

  it('consent-remembered-any-scope: a new scope is asked for, not with the defect', async () => {
    const wider = { request: request('mcp:tools mcp:admin') };
    expect(await afterApproval(wider)).toMatchObject({ status: 'consent' });
    expect(await afterApproval(wider, 'consent-remembered-any-scope')).toMatchObject({ status: 'done' });
  });
});

describe('mfa (TOTP step-up for the elevated scope)', () => {
  const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
  function mfaDeps(scope: string, extra: Partial<FlowDeps> = {}): FlowDeps {
    return baseDeps({ request: request(scope), now: () => NOW, useOnce: sharedOnce(), ...extra });
  }

  async function enrolled(deps: FlowDeps) {
    const run = await startFlow(mfaStepUpFlow, deps);
    const state = await run.submit(ALICE);
    if (state.status !== 'mfa' || !state.enrollment)
      throw new Error(`expected enrolment, got ${JSON.stringify(state)}`);
    return { run, secret: state.enrollment.secret, uri: state.enrollment.uri };
  }

  it('enrols with an otpauth:// URI, accepts the current code, sets amr otp and acr', async () => {
    const deps = mfaDeps('mcp:tools mcp:admin');
    const { run, secret, uri } = await enrolled(deps);
    expect(uri).toMatch(/^otpauth:\/\/totp\/as\.reference\.test:alice%40example\.com\?.*secret=[A-Z2-7]+/);
    expect(await run.resume({ kind: 'mfa', code: '12345' })).toMatchObject({
      status: 'mfa',
      errors: ['That code is not valid. Try again.'],
      enrollment: { secret },
    });
    expect(await run.resume({ kind: 'mfa', code: totpCode(secret, NOW - 30_000) })).toMatchObject({
      status: 'done',
      outcome: { amr: ['pwd', 'otp'], acr: MFA_ACR, user: { attributes: { totpSecret: secret } } },
    });
  });

  it('mfa-not-enforced: the elevated scope needs a code, not with the defect', async () => {
    expect(await submitted(mfaStepUpFlow, mfaDeps('mcp:admin'))).toMatchObject({ status: 'mfa' });
    expect(
      await submitted(mfaStepUpFlow, mfaDeps('mcp:admin', { defects: withDefects('mfa-not-enforced') })),
    ).toMatchObject({ status: 'done', outcome: { amr: ['pwd'] } });
  });

  it('mfa-always: the basic scope needs no code; with the defect it does (the condition takes the MFA branch)', async () => {
    expect(await submitted(mfaStepUpFlow, mfaDeps('mcp:tools'))).toMatchObject({ status: 'done' });
    expect(await submitted(mfaStepUpFlow, mfaDeps('mcp:tools', { defects: withDefects('mfa-always') }))).toMatchObject({
      status: 'mfa',
    });
  });

  it('mfa-any-code-accepted: a wrong code is refused, accepted with the defect', async () => {
    for (const [defects, status] of [
      [withDefects(), 'mfa'],
      [withDefects('mfa-any-code-accepted'), 'done'],
    ] as const) {
      const { run, secret } = await enrolled(mfaDeps('mcp:admin', { defects }));
      const wrong = totpCode(secret, NOW) === '000000' ? '111111' : '000000';
      expect(await run.resume({ kind: 'mfa', code: wrong })).toMatchObject({ status });
    }
  });

  it('totp-replay-accepted: a used code is refused in the next sign-in, accepted with the defect', async () => {
    for (const [defects, status] of [
      [withDefects(), 'mfa'],
      [withDefects('totp-replay-accepted'), 'done'],
    ] as const) {
      const deps = mfaDeps('mcp:admin', { defects });
      const { run, secret } = await enrolled(deps);
      const code = totpCode(secret, NOW);
      expect(await run.resume({ kind: 'mfa', code })).toMatchObject({ status: 'done' });
      const again = await startFlow(mfaStepUpFlow, deps);
      expect(await again.submit(ALICE)).toMatchObject({ status: 'mfa', errors: [] });
      expect(again.state).not.toHaveProperty('enrollment');
      expect(await again.resume({ kind: 'mfa', code })).toMatchObject({ status });
    }
  });

  it('mfa-amr-missing: after the code the outcome carries otp and acr, not with the defect', async () => {
    const { run, secret } = await enrolled(mfaDeps('mcp:admin', { defects: withDefects('mfa-amr-missing') }));
    const state = await run.resume({ kind: 'mfa', code: totpCode(secret, NOW) });
    expect(state).toMatchObject({ status: 'done', outcome: { amr: ['pwd'] } });
    expect(state.status === 'done' && state.outcome.acr).toBeUndefined();
  });
});
