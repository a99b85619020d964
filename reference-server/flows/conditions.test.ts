import { describe, expect, it } from 'vitest';
import { evaluateCondition } from './conditions.ts';
import type { FlowContext } from './types.ts';
import { validateFlow } from './validate.ts';

const context: FlowContext = {
  form: {},
  connectors: { login: { status: 200, body: { roles: ['admin', 'dev'] } } },
  claims: {},
  request: {
    issuer: 'https://as.reference.test',
    clientId: 'c',
    scope: 'mcp:tools mcp:admin',
    scopes: ['mcp:tools', 'mcp:admin'],
    resource: 'https://mcp.reference.test/mcp',
    cookies: {},
  },
};

describe('contains', () => {
  it('finds an item of an array or of a space-separated string, never a substring', () => {
    expect(evaluateCondition({ contains: ['connectors.login.body.roles', 'admin'] }, context)).toBe(true);
    expect(evaluateCondition({ contains: ['request.scopes', 'mcp:admin'] }, context)).toBe(true);
    expect(evaluateCondition({ contains: ['request.scope', 'mcp:admin'] }, context)).toBe(true);
    expect(evaluateCondition({ contains: ['request.scope', 'mcp'] }, context)).toBe(false);
    expect(evaluateCondition({ contains: ['request.missing', 'mcp:admin'] }, context)).toBe(false);
  });
});

describe('validation of the new roots and steps', () => {
  it('accepts request.* and federated.* paths, and needs a user before mfa and consent', () => {
    const issues = validateFlow({
      id: 'f',
      steps: [
        { kind: 'federate-oidc', id: 'up', connection: 'upstream' },
        { kind: 'mfa', id: 'm', method: 'totp', acr: 'x' },
        { kind: 'consent', id: 'c' },
        { kind: 'set-form', id: 's', values: { email: '{{federated.claims.email}}', hint: '{{request.scope}}' } },
        { kind: 'generate-jwt', id: 'g', mode: 'sign-up-or-in' },
        { kind: 'end', id: 'e' },
      ],
    });
    expect(issues.map((issue) => issue.message)).toEqual([
      'mfa m: some path reaches it without generate-jwt',
      'consent c: some path reaches it without generate-jwt',
    ]);
  });
});
