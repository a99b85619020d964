import { describe, expect, it } from 'vitest';
import type { ClientProcessOutcome } from '../../../harness/client-mode/process.ts';
import { createTrafficRecorder, type ScenarioServer } from '../../../harness/client-mode/recorder.ts';
import type { ScenarioTraffic } from '../../../harness/client-mode/scenario.ts';
import { itFailsTheMatchingChecks, itPassesWithTheGoodClient } from '../test-support.ts';
import { tokenNotForwarded } from './forwarding.ts';
import { IDENTITY_MISBEHAVIOURS } from './misbehaviours.ts';
import { noCredentialReuseAcrossAuthorizationServers } from './registration.ts';
import { IDENTITY_SCENARIOS } from './scenarios.ts';

const ISSUER = 'http://127.0.0.1:9';
const FOREIGN = 'http://127.0.0.1:7';
const PROCESS: ClientProcessOutcome = {
  exitCode: 0,
  signal: null,
  timedOut: false,
  stdout: { text: '', droppedBytes: 0 },
  stderr: { text: '', droppedBytes: 0 },
  durationMs: 0,
};

interface Exchange {
  server: ScenarioServer;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  answer: Response;
}

/** Traffic made of the given exchanges, recorded as the harness records them. */
async function traffic(exchanges: Exchange[]): Promise<ScenarioTraffic> {
  const recorder = createTrafficRecorder();
  for (const exchange of exchanges) {
    const { method = 'GET', headers = {}, body } = exchange;
    await recorder.wrap(
      exchange.server,
      async () => exchange.answer,
    )(new Request(exchange.url, { method, headers, ...(body !== undefined ? { body } : {}) }));
  }
  return {
    mcpUrl: 'http://127.0.0.1:8/mcp',
    issuer: ISSUER,
    foreignOrigin: FOREIGN,
    requests: recorder.requests,
    process: PROCESS,
  };
}

const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
const registration = (path: string, clientId: string): Exchange => ({
  server: 'as',
  url: `${ISSUER}${path}/register`,
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: '{}',
  answer: Response.json({ client_id: clientId }, { status: 201 }),
});
const redemption = (path: string, clientId: string, token: string): Exchange => ({
  server: 'as',
  url: `${ISSUER}${path}/token`,
  method: 'POST',
  headers: form,
  body: new URLSearchParams({ grant_type: 'authorization_code', code: 'c', client_id: clientId }).toString(),
  answer: Response.json({ access_token: token, refresh_token: `${token}-refresh`, token_type: 'Bearer' }),
});

describe('noCredentialReuseAcrossAuthorizationServers', () => {
  const check = noCredentialReuseAcrossAuthorizationServers((issuer) => ({ from: issuer, to: `${issuer}/t/two` }));

  it('observes a client that registered anew at the tenant issuer', async () => {
    const seen = await traffic([
      registration('', 'first-client'),
      redemption('', 'first-client', 'first-token'),
      registration('/t/two', 'second-client'),
      redemption('/t/two', 'second-client', 'second-token'),
    ]);
    expect(check.judge(seen).outcome).toBe('observed');
  });

  it('flags the first AS refresh token presented at the second, though the root issuer is a prefix of it', async () => {
    const seen = await traffic([
      registration('', 'first-client'),
      redemption('', 'first-client', 'first-token'),
      registration('/t/two', 'second-client'),
      {
        server: 'as',
        url: `${ISSUER}/t/two/token`,
        method: 'POST',
        headers: form,
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'first-token-refresh' }).toString(),
        answer: Response.json({ error: 'invalid_grant' }, { status: 400 }),
      },
    ]);
    const verdict = check.judge(seen);
    expect(verdict.outcome).toBe('violated');
    expect(verdict.message).toMatch(/1 request\(s\) to http:\/\/127\.0\.0\.1:9\/t\/two carry/);
  });

  it('flags the first client_id in Basic credentials at the second AS', async () => {
    const seen = await traffic([
      registration('', 'first-client'),
      redemption('', 'first-client', 'first-token'),
      {
        server: 'as',
        url: `${ISSUER}/t/two/token`,
        method: 'POST',
        headers: { ...form, Authorization: `Basic ${btoa('first-client:secret')}` },
        body: 'grant_type=authorization_code&code=c',
        answer: Response.json({ error: 'invalid_client' }, { status: 401 }),
      },
    ]);
    expect(check.judge(seen).outcome).toBe('violated');
  });
});

describe('tokenNotForwarded', () => {
  const redirect: Exchange = {
    server: 'mcp',
    url: 'http://127.0.0.1:8/mcp',
    method: 'POST',
    headers: { Authorization: 'Bearer issued', 'Content-Type': 'application/json' },
    body: '{}',
    answer: new Response(null, { status: 307, headers: { Location: `${FOREIGN}/relocated/mcp` } }),
  };
  const issued = redemption('', 'client', 'issued');
  const followed = (headers: Record<string, string>): Exchange => ({
    server: 'foreign',
    url: `${FOREIGN}/relocated/mcp`,
    method: 'POST',
    headers,
    body: '{}',
    answer: Response.json({}),
  });

  it('cannot judge a run without a redirect to the foreign origin', async () => {
    expect(tokenNotForwarded.judge(await traffic([issued])).outcome).toBe('not-judged');
  });

  it('observes a followed redirect without Authorization', async () => {
    const seen = await traffic([issued, redirect, followed({ 'Content-Type': 'application/json' })]);
    expect(tokenNotForwarded.judge(seen).outcome).toBe('observed');
  });

  it('flags any Authorization header at the foreign origin', async () => {
    const seen = await traffic([issued, redirect, followed({ Authorization: 'Bearer issued' })]);
    expect(tokenNotForwarded.judge(seen).outcome).toBe('violated');
  });
});

/** Each run waits mostly on its client process and servers, so the runs overlap. */
describe.concurrent('identity scenarios with the mock clients', () => {
  itPassesWithTheGoodClient(IDENTITY_SCENARIOS);
  itFailsTheMatchingChecks(IDENTITY_MISBEHAVIOURS);
});
