/** Example flows, used by tests and as documentation of the flow data format. */

import type { Flow, Step } from './types.ts';

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

const homegrownSteps: Step[] = homegrownLoginFlow.steps.filter((step) => step.kind !== 'end');

/** Seed 004 Flows: the homegrown login, then consent to the requested scopes (remembered per user and client). */
export const consentFlow: Flow = {
  id: 'homegrown-consent',
  steps: [...homegrownSteps, { kind: 'consent', id: 'consent' }, { kind: 'end', id: 'done' }],
};

export const MFA_ACR = 'urn:mcp-auth-conformance:loa:mfa';

/** Step-up: the homegrown login, then TOTP only when the elevated scope is requested. */
export const mfaStepUpFlow: Flow = {
  id: 'homegrown-mfa',
  steps: [
    ...homegrownSteps,
    {
      kind: 'condition',
      id: 'elevated',
      if: { contains: ['request.scope', 'mcp:admin'] },
      whenTrue: 'totp',
      whenFalse: 'done',
    },
    { kind: 'mfa', id: 'totp', method: 'totp', acr: MFA_ACR },
    { kind: 'end', id: 'done' },
  ],
};

/** The steps after federation: link the upstream account by its external ID, keep its email, ask consent. */
function afterFederation(kind: 'oidc' | 'saml'): Step[] {
  return [
    {
      kind: 'set-form',
      id: `map-${kind}-identity`,
      values: { email: '{{federated.claims.email}}', externalId: '{{federated.externalId}}' },
    },
    { kind: 'generate-jwt', id: 'issue', mode: 'sign-up-or-in' },
    { kind: 'custom-claims', id: 'claims', claims: { idp: '{{federated.issuer}}' } },
    { kind: 'consent', id: 'consent' },
    { kind: 'end', id: 'done' },
  ];
}

/** Seed 004 "custom OAuth provider": sign in at an upstream OpenID provider (connection `upstream`). */
export const oidcFederationFlow: Flow = {
  id: 'oidc-federation',
  steps: [{ kind: 'federate-oidc', id: 'upstream', connection: 'upstream' }, ...afterFederation('oidc')],
};

/** Seed 004 tenant SSO: sign in at the tenant's SAML IdP (connection `tenant`). */
export const samlFederationFlow: Flow = {
  id: 'saml-federation',
  steps: [{ kind: 'federate-saml', id: 'tenant', connection: 'tenant' }, ...afterFederation('saml')],
};
