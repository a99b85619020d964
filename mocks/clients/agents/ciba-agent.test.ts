import { describe, expect, it } from 'vitest';
import { type CibaDecision, CibaUser } from '../../../harness/ciba.ts';
import { ManualClock } from '../../../harness/clock.ts';
import { Network } from '../../../harness/network/network.ts';
import { createReferenceSystem, REFERENCE_USERS } from '../../../reference-server/system.ts';
import { CibaAgentError, runCibaAgent } from './ciba-agent.ts';

const ALICE = REFERENCE_USERS[0]!.email;

interface Pacing {
  /** The wait (1-based) during which alice answers the mail. */
  answerAt?: number;
  /** How many seconds the agent's `call`-th wait really lets pass (it asks for `seconds`). */
  pace?: (seconds: number, call: number) => number;
}

/** The reference system in memory, the agent polling it, and alice answering the approval mail during a wait. */
async function scenario(decision: CibaDecision, { answerAt = 1, pace = (seconds) => seconds }: Pacing = {}) {
  const clock = new ManualClock(Date.now());
  const system = await createReferenceSystem({ clock });
  const network = new Network();
  system.mount(network);
  const alice = new CibaUser({
    fetch: network.fetch,
    inbox: { messages: async (to) => system.mailbox.messages(to) },
    address: ALICE,
  });
  const mark = await alice.mark();
  const submissions: number[] = [];
  let calls = 0;
  const run = runCibaAgent({
    issuer: system.issuer,
    mcpUrl: system.resource,
    client: system.clients.ciba,
    loginHint: ALICE,
    bindingMessage: 'Agent 42',
    fetch: network.fetch,
    wait: async (seconds) => {
      calls += 1;
      clock.advance(pace(seconds, calls) * 1000);
      if (calls === answerAt) submissions.push((await alice.answer(mark, decision)).status);
    },
  });
  return { run, submissions, system };
}

describe('the CIBA agent', () => {
  it('waits for the emailed approval, gets tokens with an ID token, and calls echo', async () => {
    const { run, submissions } = await scenario('approve');
    const result = await run;
    expect(submissions).toEqual([200]);
    expect(result.idTokenClaims).toMatchObject({ sub: 'user-alice', aud: 'reference-ciba-client' });
    expect(JSON.stringify(result.toolResult)).toContain('hello from the CIBA agent');
    expect(result.waits).toEqual([5]);
  });

  it('stops with access_denied when the user denies', async () => {
    const { run } = await scenario('deny');
    await expect(run).rejects.toThrow(CibaAgentError);
    await expect(run).rejects.toThrow(/access_denied/);
  });

  it('slows down by 5 s when told to, and still gets the tokens', async () => {
    // The second wait lets only 1 s pass, so that poll comes too soon and is answered slow_down.
    const { run, system } = await scenario('approve', { answerAt: 3, pace: (s, call) => (call === 2 ? 1 : s) });
    const result = await run;
    expect(result.waits).toEqual([5, 5, 10]);
    expect(result.steps.some((step) => step.startsWith('slow_down'))).toBe(true);
    expect(system.mailbox.messages(ALICE)).toHaveLength(1);
  });
});
