import { describe, expect, it } from 'vitest';
import type { Fetch } from '../../harness/network/types.ts';
import { startFlow } from './engine.ts';
import { homegrownLoginFlow } from './examples.ts';
import { MemoryUserDirectory } from './memory-directory.ts';
import { deafFetch, fakeFetch, hangingFetch, json } from './test-support.ts';
import type { ConnectorStep, Flow } from './types.ts';

/** Runs the homegrown flow to the connector with `fetch`, returning the final state and the user store. */
async function loginWith(fetch: Fetch, timeoutMs = 5000) {
  const flow: Flow = {
    ...homegrownLoginFlow,
    steps: homegrownLoginFlow.steps.map((step) => (step.kind === 'connector' ? { ...step, timeoutMs } : step)),
  };
  const users = new MemoryUserDirectory();
  const run = await startFlow(flow, { fetch, users });
  const state = await run.submit({ username: 'alice', password: 'secret' });
  return { state, users };
}

function expectConnectorFailure(result: Awaited<ReturnType<typeof loginWith>>, reason: RegExp) {
  expect(result.state).toMatchObject({ status: 'failed', stepId: 'validate-credentials' });
  expect(result.state.status === 'failed' && result.state.reason).toMatch(reason);
  expect(result.users.users).toHaveLength(0);
}

describe('connector faults end the flow cleanly and create no user', () => {
  it('timeout via AbortSignal', async () => {
    expectConnectorFailure(await loginWith(hangingFetch, 5), /timed out after 5 ms/);
  });

  it('timeout when the fetch ignores the signal', async () => {
    expectConnectorFailure(await loginWith(deafFetch, 5), /timed out after 5 ms/);
  });

  it('network error', async () => {
    const failing: Fetch = () => Promise.reject(new TypeError('fetch failed'));
    expectConnectorFailure(await loginWith(failing), /request failed \(fetch failed\)/);
  });

  it('500', async () => {
    expectConnectorFailure(await loginWith(fakeFetch(() => json({ ok: false }, 500)).fetch), /server error 500/);
  });

  it('malformed JSON', async () => {
    const broken = fakeFetch(() => new Response('{"user":', { headers: { 'content-type': 'application/json' } }));
    expectConnectorFailure(await loginWith(broken.fetch), /not valid JSON/);
  });

  it('wrong content type', async () => {
    const html = fakeFetch(() => new Response('<html>ok</html>', { headers: { 'content-type': 'text/html' } }));
    expectConnectorFailure(await loginWith(html.fetch), /expected a JSON response/);
  });
});

describe('connector requests', () => {
  const step: ConnectorStep = {
    kind: 'connector',
    id: 'lookup',
    name: 'lookup',
    method: 'POST',
    url: 'https://api.test/users/{{form.username}}?via=flow',
    headers: { authorization: 'Bearer {{form.password}}' },
    body: { name: '{{form.username}}', note: 'static' },
    timeoutMs: 1000,
  };
  const flow: Flow = {
    id: 'f',
    steps: [
      {
        kind: 'screen',
        id: 's',
        fields: [
          { name: 'username', type: 'text', required: true },
          { name: 'password', type: 'password', required: true },
        ],
      },
      step,
      { kind: 'set-form', id: 'm', values: { externalId: '{{connectors.lookup.body.id}}' } },
      { kind: 'generate-jwt', id: 'g', mode: 'sign-up' },
      { kind: 'custom-claims', id: 'c', claims: { status: '{{connectors.lookup.status}}' } },
      { kind: 'end', id: 'e' },
    ],
  };

  it('keeps template injection attempts as data in URL, body and claims', async () => {
    const api = fakeFetch(() => json({ id: '{{form.password}}' }, 201));
    const run = await startFlow(flow, { fetch: api.fetch, users: new MemoryUserDirectory() });
    const state = await run.submit({ username: '../admin?x={{form.password}}"}', password: 'tok' });

    const sent = api.seen[0]!;
    expect(sent.url).toBe('https://api.test/users/..%2Fadmin%3Fx%3D%7B%7Bform.password%7D%7D%22%7D?via=flow');
    expect(JSON.parse(sent.body)).toEqual({ name: '../admin?x={{form.password}}"}', note: 'static' });
    expect(sent.headers.get('authorization')).toBe('Bearer tok');
    expect(sent.headers.get('content-type')).toBe('application/json');
    expect(state).toMatchObject({
      status: 'done',
      outcome: { user: { externalId: '{{form.password}}' }, claims: { status: 201 } },
    });
  });

  it('refuses a header value carrying a line break', async () => {
    const api = fakeFetch(() => json({}));
    const run = await startFlow(flow, { fetch: api.fetch, users: new MemoryUserDirectory() });
    const state = await run.submit({ username: 'u', password: 'tok\r\nX-Admin: 1' });
    expect(state).toMatchObject({ status: 'failed', stepId: 'lookup' });
    expect(api.seen).toHaveLength(0);
  });
});
