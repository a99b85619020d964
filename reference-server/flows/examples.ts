/** Example flows, used by tests and as documentation of the flow data format. */

import type { Flow } from './types.ts';

/** Seeds 000/001: credentials screen → HTTP connector → map response → Generate JWT (sign-up-or-in) → claims → end. */
export const homegrownLoginFlow: Flow = {
  id: 'homegrown-login',
  steps: [
    {
      kind: 'screen',
      id: 'credentials',
      fields: [
        { name: 'username', type: 'text', required: true },
        { name: 'password', type: 'password', required: true },
      ],
    },
    {
      kind: 'connector',
      id: 'validate-credentials',
      name: 'login',
      method: 'POST',
      url: 'https://auth.homegrown.test/login',
      headers: { accept: 'application/json' },
      body: { username: '{{form.username}}', password: '{{form.password}}' },
      timeoutMs: 5000,
    },
    {
      kind: 'condition',
      id: 'accepted',
      if: { equals: ['connectors.login.status', 200] },
      whenTrue: 'map-identity',
      whenFalse: 'credentials',
    },
    {
      kind: 'set-form',
      id: 'map-identity',
      values: { email: '{{connectors.login.body.user.email}}', externalId: '{{connectors.login.body.user.id}}' },
    },
    { kind: 'generate-jwt', id: 'issue', mode: 'sign-up-or-in' },
    {
      kind: 'custom-claims',
      id: 'claims',
      claims: { plan: '{{connectors.login.body.user.plan}}', roles: '{{connectors.login.body.user.roles}}' },
    },
    { kind: 'end', id: 'done' },
  ],
};
