import { describe, expect, it } from 'vitest';
import type { PreRegisteredCredentials, ScenarioTraffic } from '../../harness/client-mode/scenario.ts';
import { MADE_UP_ORIGINS, madeUpTraffic } from './made-up-traffic.ts';
import { secretAuthentication } from './token-auth.ts';

const POST_CLIENT: PreRegisteredCredentials = {
  client_id: 'post-client',
  client_secret: 'post-secret',
  token_endpoint_auth_method: 'client_secret_post',
};
const BASIC_CLIENT: PreRegisteredCredentials = { ...POST_CLIENT, token_endpoint_auth_method: 'client_secret_basic' };

/** Traffic of one code redemption with the given extra form fields and headers, answered 200. */
async function redemption(
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<ScenarioTraffic> {
  return madeUpTraffic([
    {
      server: 'as',
      request: new Request(`${MADE_UP_ORIGINS.issuer}/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'c', ...form }).toString(),
      }),
      answer: Response.json({ access_token: 'at', token_type: 'Bearer' }),
    },
  ]);
}

const basicHeader = (id: string, secret: string) => ({ Authorization: `Basic ${btoa(`${id}:${secret}`)}` });

describe('secretAuthentication', () => {
  it('observes client_secret_post with the registered client_id', async () => {
    const traffic = await redemption({ client_id: 'post-client', client_secret: 'post-secret' });
    expect(secretAuthentication(POST_CLIENT).judge(traffic).outcome).toBe('observed');
  });

  it('flags Basic credentials from a client registered for client_secret_post', async () => {
    const traffic = await redemption({}, basicHeader('post-client', 'post-secret'));
    const verdict = secretAuthentication(POST_CLIENT).judge(traffic);
    expect(verdict).toMatchObject({ outcome: 'violated' });
    expect(verdict.message).toMatch(
      /authenticated with client_secret_basic but was registered with client_secret_post/,
    );
  });

  it('flags a header and a body secret together, whichever method was registered', async () => {
    const traffic = await redemption({ client_secret: 'post-secret' }, basicHeader('post-client', 'post-secret'));
    for (const client of [POST_CLIENT, BASIC_CLIENT]) {
      expect(secretAuthentication(client).judge(traffic).message).toMatch(
        /both an Authorization header and client_secret/,
      );
    }
  });

  it('flags Basic credentials naming another client', async () => {
    const traffic = await redemption({}, basicHeader('someone-else', 'post-secret'));
    expect(secretAuthentication(BASIC_CLIENT).judge(traffic).message).toMatch(/presented client_id someone-else/);
  });

  it('cannot judge a run without a code redemption', async () => {
    const traffic = { ...(await redemption({})), requests: [] };
    expect(secretAuthentication(BASIC_CLIENT).judge(traffic).outcome).toBe('not-judged');
  });
});
