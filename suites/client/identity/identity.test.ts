import { describe, expect, it } from 'vitest';
import type { ScenarioServer } from '../../../harness/client-mode/recorder.ts';
import type { ScenarioTraffic } from '../../../harness/client-mode/scenario.ts';
import { MADE_UP_ORIGINS, madeUpTraffic } from '../made-up-traffic.ts';
import { itFailsTheMatchingChecks, itPassesWithTheGoodClient } from '../test-support.ts';
import { tokenNotForwarded } from './forwarding.ts';
import { IDENTITY_MISBEHAVIOURS } from './misbehaviours.ts';
import { noCredentialReuseAcrossAuthorizationServers } from './registration.ts';
import { IDENTITY_SCENARIOS } from './scenarios.ts';

const ISSUER = MADE_UP_ORIGINS.issuer;
const FOREIGN = MADE_UP_ORIGINS.foreignOrigin;

interface Exchange {
  server: ScenarioServer;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  answer: Response;
}

/** Traffic made of the given exchanges, recorded as the harness records them. */
function traffic(exchanges: Exchange[]): Promise<ScenarioTraffic> {
  return madeUpTraffic(
    exchanges.map(({ server, url, method = 'GET', headers = {}, body, answer }) => ({
      server,
      request: new Request(url, { method, headers, ...(body !== undefined ? { body } : {}) }),
      answer,
    })),
  );
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
