import { decodeJwt, type JWTPayload } from 'jose';
import { parse as parseHtml } from 'node-html-parser';
import { URI } from 'otpauth';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../harness/clock.ts';
import type { Defect } from '../defects.ts';
import { REFERENCE_MFA_ACR } from '../reference-flows.ts';
import { createReferenceSystem, REFERENCE_REDIRECT_URI, type ReferenceSystem } from '../system.ts';
import { base64url } from './http.ts';

const START = Date.UTC(2026, 0, 1);
const CAROL = {
  username: 'carol',
  password: 'carol-corp-password',
  email: 'carol@corp.example',
  id: 'corp-user-carol',
};

/** `federated: false` leaves out the upstream OpenID provider and SAML IdP (their RSA keys are slow to make). */
async function referenceSystem(defects: Defect[] = [], { federated = true } = {}): Promise<ReferenceSystem> {
  return createReferenceSystem({ clock: new ManualClock(START), defects, ...(federated ? {} : { federation: {} }) });
}

/** Where the browser stopped: a page (any origin), or the client's redirect URI (never fetched). */
type Stop =
  | { kind: 'page'; url: URL; status: number; html: string; contentType: string }
  | { kind: 'redirect'; url: URL; hops: URL[] };

interface ParsedForm {
  action: URL;
  values: Record<string, string>;
}

/** A browser without a browser: cookies per host, redirects followed by hand, forms read and posted. */
class Browser {
  readonly #cookies = new Map<string, Map<string, string>>();
  /** Every URL requested while following redirects (the last journey). */
  hops: URL[] = [];

  constructor(private readonly system: ReferenceSystem) {}

  setCookie(origin: string, name: string, value: string): void {
    const host = new URL(origin).host;
    const jar = this.#cookies.get(host) ?? new Map<string, string>();
    jar.set(name, value);
    this.#cookies.set(host, jar);
  }

  async send(url: URL, init: RequestInit = {}): Promise<Response> {
    const handler = this.system.handlers.get(url.origin);
    if (!handler) throw new Error(`no handler for ${url.origin}`);
    const headers = new Headers(init.headers);
    const jar = this.#cookies.get(url.host);
    if (jar && jar.size > 0) headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await handler(new Request(url, { ...init, headers, redirect: 'manual' }));
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const separator = pair!.indexOf('=');
      this.setCookie(url.origin, pair!.slice(0, separator).trim(), pair!.slice(separator + 1));
    }
    return response;
  }

  async open(url: string | URL, init: RequestInit = {}): Promise<Stop> {
    this.hops = [];
    let target = new URL(url);
    let request = init;
    for (let hop = 0; hop < 15; hop++) {
      this.hops.push(target);
      const response = await this.send(target, request);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        target = new URL(location, target);
        if (target.href.startsWith(REFERENCE_REDIRECT_URI)) return { kind: 'redirect', url: target, hops: this.hops };
        if (response.status !== 307) request = {};
        continue;
      }
      return {
        kind: 'page',
        url: target,
        status: response.status,
        html: await response.text(),
        contentType: response.headers.get('content-type') ?? '',
      };
    }
    throw new Error('too many redirects');
  }

  async submit(stop: Stop, fields: Record<string, string> = {}, omit: string[] = []): Promise<Stop> {
    const form = formOf(stop);
    const values: Record<string, string> = { ...form.values, ...fields };
    for (const name of omit) delete values[name];
    return this.open(form.action, postInit(values));
  }
}

function postInit(values: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(values).toString(),
  };
}

function page(stop: Stop): Extract<Stop, { kind: 'page' }> {
  if (stop.kind !== 'page') throw new Error(`expected a page, got the redirect ${stop.url.href}`);
  return stop;
}

function formOf(stop: Stop): ParsedForm {
  const { html, url } = page(stop);
  const form = parseHtml(html).querySelector('form');
  if (!form) throw new Error(`no form on ${url.href}: ${html.slice(0, 300)}`);
  const values: Record<string, string> = {};
  for (const input of form.querySelectorAll('input')) {
    const name = input.getAttribute('name');
    if (name && input.getAttribute('value') !== undefined) values[name] = input.getAttribute('value') ?? '';
  }
  return { action: new URL(form.getAttribute('action') ?? url.href, url), values };
}

function alertText(stop: Stop): string | undefined {
  return parseHtml(page(stop).html).querySelector('[role="alert"]')?.text.trim() || undefined;
}

function pageText(stop: Stop): string {
  return parseHtml(page(stop).html).text;
}

function redirect(stop: Stop): URL {
  if (stop.kind !== 'redirect')
    throw new Error(`expected the redirect, got ${stop.status}: ${pageText(stop).slice(0, 300)}`);
  return stop.url;
}

interface Authorization {
  clientId: string;
  verifier: string;
  state: string;
  url: URL;
}

async function authorizationRequest(system: ReferenceSystem, clientId: string, scope = 'mcp:tools') {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  const state = base64url(crypto.getRandomValues(new Uint8Array(8)));
  const url = new URL(`${system.issuer}/authorize`);
  const params = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REFERENCE_REDIRECT_URI,
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: 'S256',
    state,
    scope,
    resource: system.resource,
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return { clientId, verifier, state, url } satisfies Authorization;
}

interface Tokens {
  accessToken: string;
  claims: JWTPayload;
}

async function redeem(system: ReferenceSystem, authorization: Authorization, callback: URL): Promise<Tokens> {
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback.href}`);
  const response = await system.authorizationServer.handler(
    new Request(`${system.issuer}/token`, {
      ...postInit({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REFERENCE_REDIRECT_URI,
        client_id: authorization.clientId,
        code_verifier: authorization.verifier,
      }),
    }),
  );
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`token request failed: ${JSON.stringify(body)}`);
  return { accessToken: body.access_token, claims: decodeJwt(body.access_token) };
}

/** Authorization request → credentials screen → signed in: the client's redirect (or the page it stopped at). */
async function signInWithCredentials(
  system: ReferenceSystem,
  browser: Browser,
  clientId: string,
  credentials = CAROL,
  scope = 'mcp:tools',
) {
  const authorization = await authorizationRequest(system, clientId, scope);
  const screen = await browser.open(authorization.url);
  const after = await browser.submit(screen, { username: credentials.username, password: credentials.password });
  return { authorization, screen, after };
}

async function signInFully(system: ReferenceSystem, clientId: string, browser = new Browser(system)) {
  const { authorization, after } = await signInWithCredentials(system, browser, clientId);
  return redeem(system, authorization, redirect(after));
}

describe('reference consent flows over HTTP', { timeout: 30_000 }, () => {
  let system: ReferenceSystem;
  beforeAll(async () => {
    system = await referenceSystem();
  });

  it('signs up, then signs in, through the homegrown credentials flow, with claims from the connector', async () => {
    const browser = new Browser(system);
    const { authorization, screen, after } = await signInWithCredentials(
      system,
      browser,
      system.flowClients.signUpOrIn,
    );
    expect(page(screen).contentType).toContain('text/html');
    expect(Object.keys(formOf(screen).values)).toEqual(expect.arrayContaining(['txn', 'csrf_token']));
    const callback = redirect(after);
    expect(callback.searchParams.get('state')).toBe(authorization.state);
    expect(callback.searchParams.get('iss')).toBe(system.issuer);
    const first = await redeem(system, authorization, callback);
    expect(first.claims).toMatchObject({ email: CAROL.email, roles: ['engineer'], amr: ['pwd'] });
    expect(first.claims.sub).toMatch(/^user-/);
    const second = await signInFully(system, system.flowClients.signUpOrIn);
    expect(second.claims.sub).toBe(first.claims.sub);
    const userinfo = await system.authorizationServer.handler(
      new Request(`${system.issuer}/userinfo`, { headers: { authorization: `Bearer ${second.accessToken}` } }),
    );
    expect(await userinfo.json()).toMatchObject({ sub: first.claims.sub, email: CAROL.email, roles: ['engineer'] });
    const kinds = (await system.authorizationServer.store.audit.list()).map((event) => event.kind);
    expect(kinds).toEqual(expect.arrayContaining(['user-created', 'login']));
  });

  it('shows the screen again with an error after a wrong password, and issues no code', async () => {
    const browser = new Browser(system);
    const { after } = await signInWithCredentials(system, browser, system.flowClients.signUpOrIn, {
      ...CAROL,
      password: 'wrong-password',
    });
    expect(page(after).status).toBe(200);
    expect(alertText(after)).toMatch(/not accepted/);
    expect(page(after).html).not.toContain('wrong-password');
    expect(formOf(after).values.username).toBe(CAROL.username);
    const kinds = (await system.authorizationServer.store.audit.list()).map((event) => event.kind);
    expect(kinds).toContain('login-failed');
  });

  it('refuses sign-in for a user the directory does not know (error page, no code)', async () => {
    const fresh = await referenceSystem([], { federated: false });
    const { after } = await signInWithCredentials(fresh, new Browser(fresh), fresh.flowClients.signIn);
    expect(page(after).status).toBe(400);
    expect(alertText(after)).toBeTruthy();
  });

  it('fails a flow whose Generate JWT has no login ID before it', async () => {
    const authorization = await authorizationRequest(system, system.flowClients.missingLoginId);
    const stop = await new Browser(system).open(authorization.url);
    expect(page(stop).status).toBe(400);
    expect(alertText(stop)).toMatch(/email|externalId/);
  });

  it('signs in with an existing session cookie without a screen, and refuses a revoked one', async () => {
    await signInFully(system, system.flowClients.signUpOrIn);
    const homegrown = system.idps.homegrown!;
    const browser = new Browser(system);
    browser.setCookie(system.issuer, 'corp_session', homegrown.issueSession(CAROL.id));
    const authorization = await authorizationRequest(system, system.flowClients.sessionToken);
    const tokens = await redeem(system, authorization, redirect(await browser.open(authorization.url)));
    expect(tokens.claims).toMatchObject({ email: CAROL.email, roles: ['engineer'] });
    homegrown.revokeSessionsOf(CAROL.id);
    const again = await browser.open((await authorizationRequest(system, system.flowClients.sessionToken)).url);
    expect(formOf(again).values).toHaveProperty('txn');
    expect(page(again).html).toContain('name="password"');
  });

  it('asks for consent once per client, remembers it, and honours skip-consent and deny', async () => {
    const browser = new Browser(system);
    const { authorization, after } = await signInWithCredentials(system, browser, system.flowClients.consent);
    expect(pageText(after)).toContain('mcp:tools');
    expect(page(after).html).toContain('name="decision" value="approve"');
    await redeem(system, authorization, redirect(await browser.submit(after, { decision: 'approve' })));
    const remembered = await signInWithCredentials(system, browser, system.flowClients.consent);
    expect(redirect(remembered.after).searchParams.has('code')).toBe(true);
    const other = await signInWithCredentials(system, browser, system.flowClients.consentOther);
    const denied = redirect(await browser.submit(other.after, { decision: 'deny' }));
    expect(denied.searchParams.get('error')).toBe('access_denied');
    const skipped = await signInWithCredentials(system, browser, system.flowClients.skipConsent);
    expect(redirect(skipped.after).searchParams.has('code')).toBe(true);
    const kinds = (await system.authorizationServer.store.audit.list()).map((event) => event.kind);
    expect(kinds).toEqual(expect.arrayContaining(['consent-granted', 'consent-denied']));
  });

  it('steps up with TOTP for the elevated scope only: enrolment shows the otpauth URI', async () => {
    const browser = new Browser(system);
    const elevated = 'mcp:tools mcp:admin';
    const { authorization, after } = await signInWithCredentials(
      system,
      browser,
      system.flowClients.mfa,
      CAROL,
      elevated,
    );
    const uri = /otpauth:\/\/totp\/[^"<\s]+/.exec(page(after).html)?.[0];
    expect(uri).toBeDefined();
    const totp = URI.parse(uri!.replaceAll('&amp;', '&'));
    const wrong = await browser.submit(after, { otp: '000000' === totp.generate() ? '111111' : '000000' });
    expect(alertText(wrong)).toBeTruthy();
    const code = totp.generate({ timestamp: system.clock.now() });
    const tokens = await redeem(system, authorization, redirect(await browser.submit(wrong, { otp: code })));
    expect(tokens.claims).toMatchObject({ amr: ['pwd', 'otp'], acr: REFERENCE_MFA_ACR });
    const basic = await signInFully(system, system.flowClients.mfa);
    expect(basic.claims.acr).toBeUndefined();
    const kinds = (await system.authorizationServer.store.audit.list()).map((event) => event.kind);
    expect(kinds).toContain('mfa-enrolled');
  });

  it('federates to the upstream OpenID provider', async () => {
    const browser = new Browser(system);
    const authorization = await authorizationRequest(system, system.flowClients.oidc);
    const stop = await browser.open(authorization.url);
    expect(browser.hops.some((hop) => hop.pathname === '/federation/oidc/callback')).toBe(true);
    const tokens = await redeem(system, authorization, redirect(stop));
    expect(tokens.claims).toMatchObject({ email: 'erin@upstream.example', amr: ['fed'] });
  });

  it('federates to the tenant SAML IdP (Redirect binding out, POST binding back)', async () => {
    const browser = new Browser(system);
    const authorization = await authorizationRequest(system, system.flowClients.saml);
    const idpPage = await browser.open(authorization.url);
    expect(page(idpPage).url.origin).toBe('https://idp.tenant.test');
    const tokens = await redeem(system, authorization, redirect(await browser.submit(idpPage)));
    expect(tokens.claims).toMatchObject({ email: 'grace@tenant.example', amr: ['fed'] });
  });

  it('publishes its SAML SP metadata (entity ID, ACS by HTTP-POST)', async () => {
    const response = await new Browser(system).send(new URL(`${system.issuer}/federation/saml/metadata`));
    expect(response.status).toBe(200);
    const xml = await response.text();
    expect(xml).toContain(`entityID="${system.issuer}/federation/saml/metadata"`);
    expect(xml).toContain(`Location="${system.issuer}/federation/saml/acs"`);
    expect(xml).toContain('HTTP-POST');
  });

  it('answers bad input to the flow and federation endpoints with error pages', async () => {
    const browser = new Browser(system);
    for (const url of [
      `${system.issuer}/flow?txn=unknown`,
      `${system.issuer}/flow`,
      `${system.issuer}/federation/oidc/callback?state=unknown&code=x`,
      `${system.issuer}/federation/oidc/callback`,
    ]) {
      const stop = await browser.open(url);
      expect(page(stop).status, url).toBeGreaterThanOrEqual(400);
      expect(alertText(stop), url).toBeTruthy();
    }
    const acs = await browser.open(`${system.issuer}/federation/saml/acs`, postInit({ SAMLResponse: 'garbage' }));
    expect(page(acs).status).toBe(400);
    const json = await browser.open(`${system.issuer}/flow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(page(json).status).toBe(400);
  });
});

/** One scenario, observed on a correct system and on one with the defect; `observe` returns what differs. */
interface DefectCase {
  defect: Defect;
  /** The scenario needs the upstream IdPs. */
  federated?: boolean;
  observe(system: ReferenceSystem): Promise<unknown>;
  correct: unknown;
  defective: unknown;
}

async function wrongPasswordScreen(system: ReferenceSystem) {
  const browser = new Browser(system);
  const { after } = await signInWithCredentials(system, browser, system.flowClients.signUpOrIn, {
    ...CAROL,
    password: 'carol-typo-password',
  });
  return after;
}

async function oidcJourney(system: ReferenceSystem) {
  const browser = new Browser(system);
  const authorization = await authorizationRequest(system, system.flowClients.oidc);
  const stop = await browser.open(authorization.url);
  const callback = browser.hops.find((hop) => hop.pathname === '/federation/oidc/callback');
  return { browser, stop, callback: callback! };
}

async function samlResponseForm(system: ReferenceSystem) {
  const browser = new Browser(system);
  const authorization = await authorizationRequest(system, system.flowClients.saml);
  return { browser, form: formOf(await browser.open(authorization.url)) };
}

const DEFECT_CASES: DefectCase[] = [
  {
    defect: 'login-error-hidden',
    observe: async (system) => alertText(await wrongPasswordScreen(system)) !== undefined,
    correct: true,
    defective: false,
  },
  {
    defect: 'password-echoed',
    observe: async (system) => page(await wrongPasswordScreen(system)).html.includes('carol-typo-password'),
    correct: false,
    defective: true,
  },
  {
    defect: 'flow-custom-claims-dropped',
    observe: async (system) => (await signInFully(system, system.flowClients.signUpOrIn)).claims.roles,
    correct: ['engineer'],
    defective: undefined,
  },
  {
    defect: 'session-token-ignored',
    observe: async (system) => {
      await signInFully(system, system.flowClients.signUpOrIn);
      const browser = new Browser(system);
      browser.setCookie(system.issuer, 'corp_session', system.idps.homegrown!.issueSession(CAROL.id));
      return (await browser.open((await authorizationRequest(system, system.flowClients.sessionToken)).url)).kind;
    },
    correct: 'redirect',
    defective: 'page',
  },
  {
    defect: 'session-token-not-validated',
    observe: async (system) => {
      await signInFully(system, system.flowClients.signUpOrIn);
      const browser = new Browser(system);
      browser.setCookie(system.issuer, 'corp_session', system.idps.homegrown!.issueSession(CAROL.id));
      const sessionSignIn = async () =>
        (await browser.open((await authorizationRequest(system, system.flowClients.sessionToken)).url)).kind;
      expect(await sessionSignIn()).toBe('redirect');
      system.idps.homegrown!.revokeSessionsOf(CAROL.id);
      return sessionSignIn();
    },
    correct: 'page',
    defective: 'redirect',
  },
  {
    defect: 'flow-csrf-unchecked',
    observe: async (system) => {
      const browser = new Browser(system);
      const authorization = await authorizationRequest(system, system.flowClients.signUpOrIn);
      const form = formOf(await browser.open(authorization.url));
      const values = { txn: form.values.txn!, username: CAROL.username, password: CAROL.password };
      return (await browser.send(form.action, postInit(values))).status;
    },
    correct: 403,
    defective: 303,
  },
  {
    defect: 'flow-307-after-credentials',
    observe: async (system) => {
      const browser = new Browser(system);
      const form = formOf(await browser.open((await authorizationRequest(system, system.flowClients.signUpOrIn)).url));
      const values = { ...form.values, username: CAROL.username, password: CAROL.password };
      return (await browser.send(form.action, postInit(values))).status;
    },
    correct: 303,
    defective: 307,
  },
  {
    defect: 'flow-transaction-unbound',
    observe: async (system) => {
      const victim = new Browser(system);
      const authorization = await authorizationRequest(system, system.flowClients.signUpOrIn);
      const screen = page(await victim.open(authorization.url));
      return page(await new Browser(system).open(screen.url)).status;
    },
    correct: 400,
    defective: 200,
  },
  {
    defect: 'flow-drops-state',
    observe: async (system) => {
      const { after } = await signInWithCredentials(system, new Browser(system), system.flowClients.signUpOrIn);
      return redirect(after).searchParams.has('state');
    },
    correct: true,
    defective: false,
  },
  {
    defect: 'upstream-error-unhandled',
    federated: true,
    observe: async (system) => {
      system.idps.upstreamOidc!.fault('token-endpoint-500');
      const { stop } = await oidcJourney(system).finally(() => system.idps.upstreamOidc!.fault('none'));
      return [page(stop).status, page(stop).contentType.split(';')[0]];
    },
    correct: [400, 'text/html'],
    defective: [500, 'text/plain'],
  },
  {
    defect: 'saml-sp-metadata-missing',
    observe: async (system) =>
      (await new Browser(system).send(new URL(`${system.issuer}/federation/saml/metadata`))).status,
    correct: 200,
    defective: 404,
  },
  {
    defect: 'saml-acs-accepts-get',
    federated: true,
    observe: async (system) => {
      const { browser, form } = await samlResponseForm(system);
      const url = new URL(form.action);
      for (const [name, value] of Object.entries(form.values)) url.searchParams.set(name, value);
      return (await browser.open(url)).kind;
    },
    correct: 'page',
    defective: 'redirect',
  },
  {
    defect: 'oidc-callback-replayable',
    federated: true,
    observe: async (system) => {
      const { browser, stop, callback } = await oidcJourney(system);
      expect(redirect(stop).searchParams.has('code')).toBe(true);
      return (await browser.open(callback)).kind;
    },
    correct: 'page',
    defective: 'redirect',
  },
];

describe('deliberate defects of the flow pages and federation endpoints', { timeout: 30_000 }, () => {
  let correct: ReferenceSystem;
  beforeAll(async () => {
    correct = await referenceSystem();
  });

  for (const { defect, federated = false, observe, correct: expected, defective } of DEFECT_CASES) {
    it(`${defect}: off by default, observable when planted`, async () => {
      expect(await observe(correct)).toEqual(expected);
      expect(await observe(await referenceSystem([defect], { federated }))).toEqual(defective);
    });
  }
});
