import { describe, expect, it } from 'vitest';
import { credentialsFromContext } from './good/identity.ts';
import { parseConformanceContext } from './good-client.ts';

describe('credentialsFromContext', () => {
  it('reads client_id and client_secret of the official pre-registration context', () => {
    const context = parseConformanceContext(
      JSON.stringify({ name: 'auth/pre-registration', client_id: 'c1', client_secret: 's1' }),
    );
    expect(credentialsFromContext(context)).toEqual({ client_id: 'c1', client_secret: 's1' });
  });

  it.each([
    ['no context', undefined],
    ['not JSON', '{client_id'],
    ['no secret', JSON.stringify({ name: 'x', client_id: 'c1' })],
    ['a secret that is not a string', JSON.stringify({ client_id: 'c1', client_secret: 42 })],
    ['a JSON string', '"c1"'],
    ['a JSON array', '["c1", "s1"]'],
  ])('finds no credentials in %s', (_, context) => {
    expect(credentialsFromContext(parseConformanceContext(context))).toBeUndefined();
  });
});
