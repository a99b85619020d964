import { describe, expect, it } from 'vitest';
import { homegrownLoginFlow } from './examples.ts';
import type { Flow, Step } from './types.ts';
import { validateFlow } from './validate.ts';

const flowOf = (...steps: Step[]): Flow => ({ id: 'f', steps });
const messages = (flow: Flow) => validateFlow(flow).map((issue) => issue.message);
const identity: Step = { kind: 'set-form', id: 'id', values: { email: 'x@example.com' } };
const issue: Step = { kind: 'generate-jwt', id: 'g', mode: 'sign-up-or-in' };
const end: Step = { kind: 'end', id: 'e' };

describe('validateFlow', () => {
  it('accepts the homegrown login example', () => {
    expect(validateFlow(homegrownLoginFlow)).toEqual([]);
  });

  it('reports an empty flow, duplicate ids and unknown step ids', () => {
    expect(messages(flowOf())).toEqual(['flow f has no steps']);
    expect(messages(flowOf(identity, { ...identity }, issue, end))).toEqual(['step id id is used twice']);
    expect(messages(flowOf(identity, { ...issue, next: 'nowhere' }, end))).toEqual([
      'step g goes to unknown step nowhere',
    ]);
  });

  it('reports unreachable steps', () => {
    expect(messages(flowOf(identity, { ...issue, next: 'e' }, { kind: 'end', id: 'orphan' }, end))).toEqual([
      'step orphan is unreachable',
    ]);
  });

  it('reports a last step that is not an end step', () => {
    expect(messages(flowOf(identity, issue))).toEqual(['step g is last but is not an end step']);
  });

  it('reports generate-jwt with no step setting form.email or form.externalId before it', () => {
    const screen: Step = { kind: 'screen', id: 's', fields: [{ name: 'username', type: 'text', required: true }] };
    expect(messages(flowOf(screen, issue, end))).toContain(
      'generate-jwt g: some path reaches it without a screen or set-form setting form.email or form.externalId',
    );
  });

  it('reports generate-jwt reachable on one branch without identity', () => {
    const flow = flowOf(
      { kind: 'condition', id: 'c', if: { exists: 'form.x' }, whenTrue: 'id', whenFalse: 'g' },
      identity,
      issue,
      end,
    );
    expect(messages(flow)).toEqual([
      'generate-jwt g: some path reaches it without a screen or set-form setting form.email or form.externalId',
    ]);
  });

  it('reports update-user and end reachable without generate-jwt', () => {
    expect(messages(flowOf(identity, { kind: 'update-user', id: 'u', attributes: {} }, issue, end))).toEqual([
      'update-user u: some path reaches it without generate-jwt',
    ]);
    expect(messages(flowOf(identity, end))).toEqual(['end e: some path reaches it without generate-jwt']);
  });

  it('reports bad paths, unknown connectors, reserved claims, bad timeouts and empty screens', () => {
    const flow = flowOf(
      { kind: 'screen', id: 's', fields: [] },
      { kind: 'connector', id: 'k', name: 'api', method: 'GET', url: 'https://x.test/{{env.SECRET}}', timeoutMs: 0 },
      { ...identity, values: { email: '{{connectors.other.body.email}}' } },
      issue,
      { kind: 'custom-claims', id: 'c', claims: { sub: 'admin' } },
      end,
    );
    expect(messages(flow)).toEqual([
      'screen s: declares no fields',
      'connector k: path env.SECRET must start with one of form, connectors, user, claims, request, federated',
      'connector k: timeoutMs must be between 1 and 30000',
      'set-form id: path connectors.other.body.email names no connector',
      'custom-claims c: claim sub is reserved',
    ]);
  });
});
