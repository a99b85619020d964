import { describe, expect, it } from 'vitest';
import type { ScenarioServer } from '../../../harness/client-mode/recorder.ts';
import type { ScenarioTraffic } from '../../../harness/client-mode/scenario.ts';
import { MADE_UP_ORIGINS, madeUpTraffic } from '../made-up-traffic.ts';
import { itFailsTheMatchingChecks, itPassesWithTheGoodClient } from '../test-support.ts';
import { LIFECYCLE_MISBEHAVIOURS } from './misbehaviours.ts';
import { LIFECYCLE_SCENARIOS } from './scenarios.ts';
import { stepUpKeepsScopes } from './step-up.ts';
import { dropsRejectedToken, recoversFromRejectedToken, refreshTokenUsedOnce } from './token-renewal.ts';

const MCP_URL = MADE_UP_ORIGINS.mcpUrl;
const AS_ORIGIN = MADE_UP_ORIGINS.issuer;

/** One request of a made-up run and the answer it got. */
interface Exchange {
  server: ScenarioServer;
  url: string;
  form?: Record<string, string>;
  bearer?: string;
  status?: number;
  body?: unknown;
  challenge?: string;
}

const authorize = (scope: string): Exchange => ({
  server: 'as',
  url: `${AS_ORIGIN}/authorize?${new URLSearchParams({ scope })}`,
  status: 302,
});
const token = (form: Record<string, string>, body: unknown, status = 200): Exchange => ({
  server: 'as',
  url: `${AS_ORIGIN}/token`,
  form,
  body,
  status,
});
const toolCall = (bearer: string, status = 200, challenge?: string): Exchange => ({
  server: 'mcp',
  url: MCP_URL,
  bearer,
  status,
  body: { jsonrpc: '2.0', id: 1, result: {} },
  ...(challenge ? { challenge } : {}),
});

/** The traffic of `exchanges`, recorded as the scenario servers record a client's requests. */
function trafficOf(exchanges: Exchange[]): Promise<ScenarioTraffic> {
  return madeUpTraffic(
    exchanges.map((exchange) => {
      const headers = new Headers({
        ...(exchange.challenge ? { 'WWW-Authenticate': exchange.challenge } : {}),
      });
      const answer =
        exchange.body === undefined
          ? new Response(null, { status: exchange.status ?? 200, headers })
          : Response.json(exchange.body, { status: exchange.status ?? 200, headers });
      const request = new Request(exchange.url, {
        method: exchange.form || exchange.server === 'mcp' ? 'POST' : 'GET',
        headers: {
          ...(exchange.form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
          ...(exchange.server === 'mcp' ? { 'Content-Type': 'application/json' } : {}),
          ...(exchange.bearer ? { Authorization: `Bearer ${exchange.bearer}` } : {}),
        },
        ...(exchange.form ? { body: new URLSearchParams(exchange.form).toString() } : {}),
        ...(exchange.server === 'mcp'
          ? { body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo' } }) }
          : {}),
      });
      return { server: exchange.server, request, answer };
    }),
  );
}

const codeRedemption = token(
  { grant_type: 'authorization_code', code: 'c' },
  { access_token: 'a1', refresh_token: 'r1', token_type: 'Bearer' },
);
const refresh = (refreshToken: string, body: unknown, status = 200) =>
  token({ grant_type: 'refresh_token', refresh_token: refreshToken, resource: MCP_URL }, body, status);

describe('refreshTokenUsedOnce', () => {
  it('observes each refresh presenting the refresh token issued last', async () => {
    const traffic = await trafficOf([
      codeRedemption,
      refresh('r1', { access_token: 'a2', refresh_token: 'r2' }),
      refresh('r2', { access_token: 'a3', refresh_token: 'r3' }),
    ]);
    expect(refreshTokenUsedOnce.judge(traffic).outcome).toBe('observed');
  });

  it('flags a rotated refresh token presented again, with that request as evidence', async () => {
    const traffic = await trafficOf([
      codeRedemption,
      refresh('r1', { access_token: 'a2', refresh_token: 'r2' }),
      refresh('r1', { error: 'invalid_grant' }, 400),
    ]);
    const verdict = refreshTokenUsedOnce.judge(traffic);
    expect(verdict).toMatchObject({ outcome: 'violated' });
    expect(verdict.outcome !== 'not-judged' && verdict.evidence.map((request) => request.index)).toEqual([2]);
  });
});

describe('stepUpKeepsScopes', () => {
  it('flags a step-up that asks for the challenged scope alone', async () => {
    const traffic = await trafficOf([
      authorize('mcp:tools'),
      codeRedemption,
      toolCall('a1', 403, 'Bearer error="insufficient_scope", scope="mcp:admin"'),
      authorize('mcp:admin'),
    ]);
    const verdict = stepUpKeepsScopes.judge(traffic);
    expect(verdict).toMatchObject({ outcome: 'violated' });
    expect(verdict.message).toMatch(/dropping mcp:tools/);
  });

  it('observes a step-up asking for the union', async () => {
    const traffic = await trafficOf([
      authorize('mcp:tools'),
      codeRedemption,
      toolCall('a1', 403, 'Bearer error="insufficient_scope", scope="mcp:admin"'),
      authorize('mcp:tools mcp:admin'),
    ]);
    expect(stepUpKeepsScopes.judge(traffic).outcome).toBe('observed');
  });
});

describe('recoversFromRejectedToken', () => {
  const rejected = toolCall('a1', 401, 'Bearer error="invalid_token"');

  it('flags the rejected token presented again as a SHOULD, not as a failure to recover', async () => {
    const traffic = await trafficOf([
      codeRedemption,
      rejected,
      toolCall('a1', 401, 'Bearer error="invalid_token"'),
      refresh('r1', { access_token: 'a2' }),
      toolCall('a2'),
    ]);
    expect(dropsRejectedToken.judge(traffic).message).toMatch(/presented the same token 1 more time/);
    expect(recoversFromRejectedToken.judge(traffic).outcome).toBe('observed');
  });

  it('fails a client looping on the rejected token', async () => {
    const again = () => toolCall('a1', 401, 'Bearer error="invalid_token"');
    const traffic = await trafficOf([codeRedemption, rejected, again(), again(), again()]);
    expect(recoversFromRejectedToken.judge(traffic).message).toMatch(/looping on a dead token/);
  });

  it('observes a refresh followed by a served retry', async () => {
    const traffic = await trafficOf([codeRedemption, rejected, refresh('r1', { access_token: 'a2' }), toolCall('a2')]);
    expect(recoversFromRejectedToken.judge(traffic).outcome).toBe('observed');
  });
});

// Each scenario runs its own servers on their own ports, so the client processes may run side by side.
describe.concurrent('client token lifecycle scenarios', () => {
  itPassesWithTheGoodClient(LIFECYCLE_SCENARIOS);

  itFailsTheMatchingChecks(LIFECYCLE_MISBEHAVIOURS);
});
