/**
 * The reference consent flows (seeds 000, 001, 004) and the public clients that go through them: homegrown
 * credentials checked over HTTP, an existing session token, consent, MFA step-up, and federation (OIDC, SAML).
 */

import type { ConfiguredClient } from './authorization-server/index.ts';
import type { Flow, GenerateJwtMode, Step } from './flows/types.ts';

/** Client ids, one per reference flow (the harness's target file names them the same way). */
export const REFERENCE_FLOW_CLIENTS = {
  signUpOrIn: 'flow-sign-up-or-in',
  signIn: 'flow-sign-in',
  signUp: 'flow-sign-up',
  sessionToken: 'flow-session-token',
  missingLoginId: 'flow-missing-login-id',
  consent: 'flow-consent',
  consentOther: 'flow-consent-other',
  skipConsent: 'flow-skip-consent',
  mfa: 'flow-mfa',
  oidc: 'flow-oidc',
  saml: 'flow-saml',
} as const;

/** The `acr` a TOTP step-up grants (RFC 8176 `otp` joins the `amr`). */
export const REFERENCE_MFA_ACR = 'urn:mcp-auth-conformance:loa:mfa';
/** The cookie of the homegrown identity system that holds an existing session token (seed 000). */
export const REFERENCE_SESSION_COOKIE = 'corp_session';
/** The names of the federation connections the reference flows use. */
export const REFERENCE_CONNECTIONS = { oidc: 'upstream', saml: 'tenant' } as const;

export interface ReferenceFlowOptions {
  /** Base URL of the homegrown identity API (POST /login, GET /userinfo). */
  homegrownAuth: string;
  /** The OIDC connection the `oidc` flow federates to; absent, no such flow (nor its client). */
  oidcConnection?: string;
  /** The SAML connection the `saml` flow federates to; absent, no such flow (nor its client). */
  samlConnection?: string;
  /** Requesting it makes the `mfa` flow step up. */
  elevatedScope: string;
  mfaAcr: string;
  /** The redirect URI of every flow client. */
  redirectUri: string;
}

export interface ReferenceFlows {
  flows: Flow[];
  clients: ConfiguredClient[];
}

const CONNECTOR_TIMEOUT_MS = 1000;

/**
 * Seed 000: credentials screen → POST /login → on 200 map the user → Generate JWT → custom claims `roles`.
 * `mapUser: false` leaves out the mapping (a misconfigured flow: no login ID before Generate JWT).
 */
function credentialsSteps(homegrownAuth: string, mode: GenerateJwtMode, next: string, mapUser = true): Step[] {
  const mapping: Step[] = [
    {
      kind: 'set-form',
      id: 'map-user',
      values: { email: '{{connectors.login.body.user.email}}', externalId: '{{connectors.login.body.user.id}}' },
    },
  ];
  return [
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
      id: 'check-credentials',
      name: 'login',
      method: 'POST',
      url: `${homegrownAuth}/login`,
      headers: { accept: 'application/json' },
      body: { username: '{{form.username}}', password: '{{form.password}}' },
      timeoutMs: CONNECTOR_TIMEOUT_MS,
    },
    // Wrong credentials (401) lead back to the screen.
    {
      kind: 'condition',
      id: 'credentials-accepted',
      if: { equals: ['connectors.login.status', 200] },
      whenTrue: mapUser ? 'map-user' : 'generate-jwt',
      whenFalse: 'credentials',
    },
    ...(mapUser ? mapping : []),
    { kind: 'generate-jwt', id: 'generate-jwt', mode },
    { kind: 'custom-claims', id: 'claims', claims: { roles: '{{connectors.login.body.user.roles}}' }, next },
  ];
}

const END: Step = { kind: 'end', id: 'end' };

function homegrownFlow(id: string, homegrownAuth: string, mode: GenerateJwtMode, tail: Step[] = []): Flow {
  return { id, steps: [...credentialsSteps(homegrownAuth, mode, tail[0]?.id ?? END.id), ...tail, END] };
}

/**
 * Seed 000 (existing session token): the cookie is validated at GET /userinfo; only a 200 signs in (Generate JWT
 * sign-in). Without a cookie, or with one the identity system refuses, the credentials screen.
 */
function sessionTokenFlow(homegrownAuth: string): Flow {
  return {
    id: 'session-token',
    steps: [
      {
        kind: 'condition',
        id: 'has-session',
        if: { exists: `request.cookies.${REFERENCE_SESSION_COOKIE}` },
        whenTrue: 'check-session',
        whenFalse: 'credentials',
      },
      {
        kind: 'connector',
        id: 'check-session',
        name: 'session',
        method: 'GET',
        url: `${homegrownAuth}/userinfo`,
        headers: {
          accept: 'application/json',
          authorization: `Bearer {{request.cookies.${REFERENCE_SESSION_COOKIE}}}`,
        },
        timeoutMs: CONNECTOR_TIMEOUT_MS,
      },
      {
        kind: 'condition',
        id: 'session-valid',
        if: { equals: ['connectors.session.status', 200] },
        whenTrue: 'map-session-user',
        whenFalse: 'credentials',
      },
      {
        kind: 'set-form',
        id: 'map-session-user',
        values: { email: '{{connectors.session.body.email}}', externalId: '{{connectors.session.body.id}}' },
      },
      { kind: 'generate-jwt', id: 'session-sign-in', mode: 'sign-in' },
      {
        kind: 'custom-claims',
        id: 'session-claims',
        claims: { roles: '{{connectors.session.body.roles}}' },
        next: 'end',
      },
      ...credentialsSteps(homegrownAuth, 'sign-up-or-in', 'end'),
      END,
    ],
  };
}

/** A misconfigured flow: Generate JWT with neither form.email nor form.externalId set before it. */
function missingLoginIdFlow(homegrownAuth: string): Flow {
  return { id: 'missing-login-id', steps: [...credentialsSteps(homegrownAuth, 'sign-up-or-in', 'end', false), END] };
}

/** Seed 004 federation: the upstream's identity becomes form.email / form.externalId, then sign-up-or-in. */
function federatedFlow(id: string, federate: Step): Flow {
  return {
    id,
    steps: [
      federate,
      {
        kind: 'set-form',
        id: 'map-federated-user',
        values: { email: '{{federated.claims.email}}', externalId: '{{federated.issuer}}|{{federated.subject}}' },
      },
      { kind: 'generate-jwt', id: 'generate-jwt', mode: 'sign-up-or-in' },
      END,
    ],
  };
}

function flowClient(clientId: string, flowId: string, redirectUri: string, extra: Partial<ConfiguredClient> = {}) {
  return {
    client_id: clientId,
    redirect_uris: [redirectUri],
    token_endpoint_auth_method: 'none',
    client_name: `Reference flow client (${flowId})`,
    flow_id: flowId,
    ...extra,
  } satisfies ConfiguredClient;
}

export function referenceFlows(options: ReferenceFlowOptions): ReferenceFlows {
  const { homegrownAuth, redirectUri } = options;
  const consent: Step = { kind: 'consent', id: 'consent' };
  const stepUp: Step[] = [
    {
      kind: 'condition',
      id: 'needs-mfa',
      if: { contains: ['request.scopes', options.elevatedScope] },
      whenTrue: 'mfa',
      whenFalse: 'end',
    },
    { kind: 'mfa', id: 'mfa', method: 'totp', acr: options.mfaAcr },
  ];
  const flows: Flow[] = [
    homegrownFlow('sign-up-or-in', homegrownAuth, 'sign-up-or-in'),
    homegrownFlow('sign-in', homegrownAuth, 'sign-in'),
    homegrownFlow('sign-up', homegrownAuth, 'sign-up'),
    sessionTokenFlow(homegrownAuth),
    missingLoginIdFlow(homegrownAuth),
    homegrownFlow('consent', homegrownAuth, 'sign-up-or-in', [consent]),
    homegrownFlow('mfa', homegrownAuth, 'sign-up-or-in', stepUp),
  ];
  const ids = REFERENCE_FLOW_CLIENTS;
  const clients: ConfiguredClient[] = [
    flowClient(ids.signUpOrIn, 'sign-up-or-in', redirectUri),
    flowClient(ids.signIn, 'sign-in', redirectUri),
    flowClient(ids.signUp, 'sign-up', redirectUri),
    flowClient(ids.sessionToken, 'session-token', redirectUri),
    flowClient(ids.missingLoginId, 'missing-login-id', redirectUri),
    flowClient(ids.consent, 'consent', redirectUri),
    flowClient(ids.consentOther, 'consent', redirectUri),
    flowClient(ids.skipConsent, 'consent', redirectUri, { skip_consent: true }),
    flowClient(ids.mfa, 'mfa', redirectUri),
  ];
  if (options.oidcConnection !== undefined) {
    flows.push(federatedFlow('oidc', { kind: 'federate-oidc', id: 'upstream', connection: options.oidcConnection }));
    clients.push(flowClient(ids.oidc, 'oidc', redirectUri));
  }
  if (options.samlConnection !== undefined) {
    flows.push(federatedFlow('saml', { kind: 'federate-saml', id: 'tenant-sso', connection: options.samlConnection }));
    clients.push(flowClient(ids.saml, 'saml', redirectUri));
  }
  return { flows, clients };
}
