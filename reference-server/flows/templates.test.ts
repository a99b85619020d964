import { describe, expect, it } from 'vitest';
import { evaluateCondition } from './conditions.ts';
import { renderHeader, renderJson, renderText, renderUrl, resolvePath } from './templates.ts';
import type { FlowContext } from './types.ts';

const context: FlowContext = {
  form: { email: 'a@example.com', evil: '{{form.password}}', password: 'hunter2', quote: '", "admin": true, "x": "' },
  connectors: { login: { status: 200, body: { user: { id: 'u-1', age: 42, roles: ['a', 'b'] } } } },
  claims: {},
};

describe('templates', () => {
  it('reads dotted paths into form and connector responses', () => {
    expect(renderText('{{form.email}} / {{ connectors.login.body.user.id }}', context, 'empty')).toBe(
      'a@example.com / u-1',
    );
  });

  it('renders a missing path as empty, or fails when the flow asks for errors', () => {
    expect(renderText('[{{form.nothing}}]', context, 'empty')).toBe('[]');
    expect(() => renderText('{{form.nothing}}', context, 'error')).toThrow('form.nothing is not set');
  });

  it('does not walk the prototype chain', () => {
    expect(resolvePath(context, 'form.constructor')).toBeUndefined();
    expect(resolvePath(context, 'form.__proto__')).toBeUndefined();
  });

  it('inserts values as data: a value that looks like a template is not expanded again', () => {
    expect(renderText('{{form.evil}}', context, 'empty')).toBe('{{form.password}}');
  });

  it('JSON-escapes values so they cannot add keys to a body', () => {
    const body = JSON.stringify(renderJson({ name: 'x{{form.quote}}' }, context, 'empty'));
    expect(JSON.parse(body)).toEqual({ name: 'x", "admin": true, "x": "' });
  });

  it('keeps the JSON type of a value when a leaf is exactly one placeholder', () => {
    expect(
      renderJson(
        { age: '{{connectors.login.body.user.age}}', roles: '{{connectors.login.body.user.roles}}' },
        context,
        'empty',
      ),
    ).toEqual({
      age: 42,
      roles: ['a', 'b'],
    });
  });

  it('URL-encodes values so they cannot add query parameters or path segments', () => {
    const hostile: FlowContext = { ...context, form: { q: 'x&admin=1/../#' } };
    expect(renderUrl('https://api.test/u?q={{form.q}}', hostile, 'empty')).toBe(
      'https://api.test/u?q=x%26admin%3D1%2F..%2F%23',
    );
  });

  it('refuses header values with line breaks', () => {
    const hostile: FlowContext = { ...context, form: { t: 'a\r\nX-Admin: 1' } };
    expect(() => renderHeader('Bearer {{form.t}}', hostile, 'empty')).toThrow('line break');
  });
});

describe('conditions', () => {
  const test = (condition: Parameters<typeof evaluateCondition>[0]) => evaluateCondition(condition, context);

  it('evaluates equals, exists, in', () => {
    expect(test({ equals: ['connectors.login.status', 200] })).toBe(true);
    expect(test({ equals: ['connectors.login.status', '200'] })).toBe(false);
    expect(test({ exists: 'form.email' })).toBe(true);
    expect(test({ exists: 'form.nothing' })).toBe(false);
    expect(test({ in: ['connectors.login.body.user.id', ['u-1', 'u-2']] })).toBe(true);
    expect(test({ in: ['form.email', ['b@example.com']] })).toBe(false);
  });

  it('compares numbers only', () => {
    expect(test({ gt: ['connectors.login.body.user.age', 40] })).toBe(true);
    expect(test({ lt: ['connectors.login.body.user.age', 40] })).toBe(false);
    expect(test({ gt: ['form.email', 0] })).toBe(false);
  });

  it('combines with and, or, not', () => {
    expect(test({ and: [{ exists: 'form.email' }, { not: { exists: 'form.nothing' } }] })).toBe(true);
    expect(test({ or: [{ exists: 'form.nothing' }, { equals: ['form.email', 'x'] }] })).toBe(false);
  });
});
