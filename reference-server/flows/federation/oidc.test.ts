import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../harness/clock.ts';
import { createUpstreamOidc, type UpstreamFault, type UpstreamOidc } from '../../../mocks/idps/oidc/index.ts';
import type { FlowRun } from '../engine.ts';
import { startFlow } from '../engine.ts';
import { oidcFederationFlow } from '../examples.ts';
import { MemoryUserDirectory } from '../memory-directory.ts';
import { routeByOrigin, sharedOnce, withDefects } from '../test-support.ts';
import type { FlowDeps, FlowState, OidcConnection } from '../types.ts';

const ISSUER = 'https://idp.upstream.test';
const CONNECTION: OidcConnection = {
  name: 'upstream',
  issuer: ISSUER,
  clientId: 'reference-as',
  clientSecret: 'reference-as-upstream-secret',
  redirectUri: 'https://as.reference.test/federation/oidc/callback',
};

let clock: ManualClock;
let upstream: UpstreamOidc;
let deps: FlowDeps;
let users: MemoryUserDirectory;

// Key generation is the slow part, so one upstream serves every test; each test starts without a fault.
beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  upstream = await createUpstreamOidc({
    issuer: ISSUER,
    clock,
    clients: [
      {
        client_id: CONNECTION.clientId,
        client_secret: CONNECTION.clientSecret,
        redirect_uris: [CONNECTION.redirectUri],
      },
    ],
  });
});

beforeEach(() => {
  upstream.fault('none');
  users = new MemoryUserDirectory();
  deps = {
    fetch: routeByOrigin({ [ISSUER]: upstream.handler }),
    users,
    now: () => clock.now(),
    federation: { oidc: [CONNECTION] },
    useOnce: sharedOnce(),
    skipConsent: true,
    request: {
      issuer: 'https://as.reference.test',
      clientId: 'flow-oidc',
      scope: 'mcp:tools',
      scopes: ['mcp:tools'],
      resource: 'https://mcp.reference.test/mcp',
      cookies: {},
    },
  };
});

function redirectOf(state: FlowState) {
  if (state.status !== 'redirect') throw new Error(`expected a redirect, got ${JSON.stringify(state)}`);
  return state;
}

/** The browser follows the redirect to the upstream, which signs the user in and redirects back to our callback. */
async function upstreamCallback(run: FlowRun, tweak: (url: URL) => void = () => {}): Promise<URLSearchParams> {
  const authorize = new URL(redirectOf(run.state).location);
  tweak(authorize);
  const answer = await upstream.handler(new Request(authorize));
  const location = answer.headers.get('location');
  if (!location) throw new Error(`the upstream did not redirect: ${answer.status} ${await answer.text()}`);
  expect(location.startsWith(CONNECTION.redirectUri)).toBe(true);
  return new URL(location).searchParams;
}

async function signIn(extra: Partial<FlowDeps> = {}) {
  const run = await startFlow(oidcFederationFlow, { ...deps, ...extra });
  return run.resume({ kind: 'oidc-callback', query: await upstreamCallback(run) });
}

describe('federate-oidc against the upstream OpenID provider mock', () => {
  it('redirects with PKCE S256, a nonce and state = the correlation, then links the upstream user', async () => {
    const run = await startFlow(oidcFederationFlow, deps);
    const { location, correlation } = redirectOf(run.state);
    const query = new URL(location).searchParams;
    expect(query.get('code_challenge_method')).toBe('S256');
    expect(query.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(query.get('nonce')).toBeTruthy();
    expect(query.get('state')).toBe(correlation);
    const state = await run.resume({ kind: 'oidc-callback', query: await upstreamCallback(run) });
    expect(state).toMatchObject({
      status: 'done',
      outcome: {
        user: { email: 'erin@upstream.example', externalId: `oidc:${ISSUER}|upstream-erin` },
        claims: { idp: ISSUER },
        amr: ['fed'],
        scope: 'mcp:tools',
      },
    });
    expect(run.context.federated).toMatchObject({
      protocol: 'oidc',
      issuer: ISSUER,
      subject: 'upstream-erin',
      claims: { email: 'erin@upstream.example', name: 'Erin Upstream', groups: ['engineering'] },
    });
  });

  it('ignores input of another kind while waiting for the callback', async () => {
    const run = await startFlow(oidcFederationFlow, deps);
    const before = run.state;
    expect(await run.resume({ kind: 'consent', approve: true })).toBe(before);
  });

  it('fails cleanly when the token endpoint or userinfo answers 500', async () => {
    for (const fault of ['token-endpoint-500', 'userinfo-500'] as const) {
      upstream.fault(fault);
      const state = await signIn();
      expect(state).toMatchObject({ status: 'failed', stepId: 'upstream' });
      expect(state.status === 'failed' && state.error).toBeFalsy();
    }
  });
});

describe('each ID token check is decisive and has its own defect', () => {
  const cases: [UpstreamFault, string, RegExp][] = [
    ['bad-id-token-signature', 'oidc-id-token-signature-unchecked', /signature does not verify/],
    ['wrong-audience', 'oidc-id-token-audience-unchecked', /aud/],
    ['wrong-issuer', 'oidc-id-token-issuer-unchecked', /iss/],
    ['expired-id-token', 'oidc-id-token-expiry-unchecked', /expired/],
    ['missing-nonce', 'oidc-missing-nonce-accepted', /no nonce/],
    ['nonce-replayed', 'oidc-nonce-unchecked', /nonce is not the one/],
  ];
  for (const [fault, defect, reason] of cases) {
    it(`${fault}: refused by default, accepted with ${defect}`, async () => {
      upstream.fault(fault);
      const refused = await signIn();
      expect(refused).toMatchObject({ status: 'failed', stepId: 'upstream' });
      expect(refused.status === 'failed' && refused.reason).toMatch(reason);
      expect(users.users).toHaveLength(0);
      expect(await signIn({ defects: withDefects(defect) })).toMatchObject({ status: 'done' });
    });
  }
});

describe('callback and request defects', () => {
  it('a callback whose state is not the correlation is refused (oidc-state-unchecked accepts it)', async () => {
    const forged = async (extra: Partial<FlowDeps>) => {
      const run = await startFlow(oidcFederationFlow, { ...deps, ...extra });
      const query = await upstreamCallback(run);
      query.set('state', 'attacker-state');
      return run.resume({ kind: 'oidc-callback', query });
    };
    expect(await forged({})).toMatchObject({ status: 'failed', reason: expect.stringMatching(/state/) });
    expect(await forged({ defects: withDefects('oidc-state-unchecked') })).toMatchObject({ status: 'done' });
  });

  it('an upstream access_denied is passed on as the error (oidc-upstream-error-ignored drops it)', async () => {
    const denied = async (extra: Partial<FlowDeps>) => {
      const run = await startFlow(oidcFederationFlow, { ...deps, ...extra });
      const query = await upstreamCallback(run, (url) => url.searchParams.set('login_hint', 'nobody'));
      expect(query.get('error')).toBe('access_denied');
      return run.resume({ kind: 'oidc-callback', query });
    };
    const passedOn = await denied({});
    expect(passedOn).toMatchObject({ status: 'failed', error: 'access_denied' });
    expect(passedOn.status === 'failed' && passedOn.reason).toMatch(/^upstream: access_denied/);
    const ignored = await denied({ defects: withDefects('oidc-upstream-error-ignored') });
    expect(ignored).toMatchObject({ status: 'failed' });
    expect(ignored.status === 'failed' && ignored.error).toBeUndefined();
  });

  it('oidc-upstream-no-pkce drops code_challenge (and the upstream refuses)', async () => {
    const run = await startFlow(oidcFederationFlow, { ...deps, defects: withDefects('oidc-upstream-no-pkce') });
    expect(new URL(redirectOf(run.state).location).searchParams.has('code_challenge')).toBe(false);
    const query = await upstreamCallback(run);
    expect(query.get('error')).toBe('invalid_request');
  });

  it('oidc-upstream-no-nonce drops the nonce, and the run expects none', async () => {
    const run = await startFlow(oidcFederationFlow, { ...deps, defects: withDefects('oidc-upstream-no-nonce') });
    expect(new URL(redirectOf(run.state).location).searchParams.has('nonce')).toBe(false);
    expect(await run.resume({ kind: 'oidc-callback', query: await upstreamCallback(run) })).toMatchObject({
      status: 'done',
    });
  });

  it('oidc-claims-not-mapped leaves federated.claims empty, so the user gets no email', async () => {
    expect(await signIn()).toMatchObject({ outcome: { user: { email: 'erin@upstream.example' } } });
    const state = await signIn({ users: new MemoryUserDirectory(), defects: withDefects('oidc-claims-not-mapped') });
    expect(state.status === 'done' && state.outcome.user.email).toBeUndefined();
  });

  it('a second login links the same user; oidc-user-not-linked creates another', async () => {
    await signIn();
    await signIn();
    expect(users.users).toHaveLength(1);
    await signIn({ defects: withDefects('oidc-user-not-linked') });
    expect(users.users).toHaveLength(2);
  });
});
