/**
 * The bring-your-own-auth journeys of the reference system, driven in a real browser through its real pages: homegrown
 * credentials, an upstream OpenID provider, tenant SAML SSO (HTTP-POST binding), consent and MFA step-up. Each journey
 * starts with the client's authorization request and ends when the browser is sent back to the client with a code,
 * which is then redeemed; the tests assert the tokens, the benchmark times the journeys.
 */
import { decodeJwt, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import { TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { DEFAULT_HOMEGROWN_USERS } from '../../mocks/idps/homegrown-auth/index.ts';

export interface JourneyTarget {
  issuer: string;
  resource: string;
  redirectUri: string;
  scopes: { basic: string; elevated: string };
  /** The person at the homegrown identity system who signs in (default its first user). */
  user?: { email: string; password: string };
}

/** TOTP secrets enrolled during journeys, by issuer and user: a later MFA journey answers with them. */
const enrolledSecrets = new Map<string, string>();

export interface JourneyResult {
  name: string;
  /** The access token's claims. */
  claims: JWTPayload;
  /** The pages the browser showed, by path, in order. */
  pages: string[];
}

export type JourneyName = 'homegrown-login' | 'oidc-upstream' | 'saml-post' | 'consent' | 'mfa';

const HOMEGROWN_USER = DEFAULT_HOMEGROWN_USERS[0]!;
const STEP_TIMEOUT_MS = 10_000;
const JOURNEY_TIMEOUT_MS = 20_000;

/** Sends the browser through one journey; throws with what the page showed when it does not end with a code. */
export async function runJourney(page: Page, target: JourneyTarget, name: JourneyName): Promise<JourneyResult> {
  switch (name) {
    case 'homegrown-login':
      return authorizeThrough(page, target, name, 'flow-sign-up-or-in', target.scopes.basic, (current) =>
        signInWithCredentials(current, target),
      );
    case 'oidc-upstream':
      return authorizeThrough(page, target, name, 'flow-oidc', target.scopes.basic, async () => {});
    case 'saml-post':
      return authorizeThrough(page, target, name, 'flow-saml', target.scopes.basic, async () => {});
    case 'consent':
      return authorizeThrough(page, target, name, 'flow-consent', target.scopes.basic, async (current) => {
        await signInWithCredentials(current, target);
        await approveConsentIfAsked(current);
      });
    case 'mfa':
      return authorizeThrough(page, target, name, 'flow-mfa', target.scopes.elevated, async (current) => {
        await signInWithCredentials(current, target);
        await passTotp(current, target);
      });
  }
}

export const JOURNEYS: readonly JourneyName[] = ['homegrown-login', 'oidc-upstream', 'saml-post', 'consent', 'mfa'];

async function authorizeThrough(
  page: Page,
  target: JourneyTarget,
  name: JourneyName,
  clientId: string,
  scope: string,
  interact: (page: Page) => Promise<void>,
): Promise<JourneyResult> {
  const pages: string[] = [];
  const record = (frame: { url(): string }) => pages.push(new URL(frame.url()).pathname);
  page.on('framenavigated', record);
  try {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const callback = (await waitForCallback(page, target.redirectUri)).reached;
    await page.goto(authorizationUrl(target, clientId, scope, state, await oauth.calculatePKCECodeChallenge(verifier)));
    await Promise.race([interact(page), callback.then(() => undefined)]);
    const returned = await withinJourneyTime(name, callback);
    // The next journey starts only once this one's answer has loaded (else it would interrupt that navigation).
    await page.waitForURL(returned.href, { timeout: STEP_TIMEOUT_MS });
    const code = returned.searchParams.get('code');
    if (!code || returned.searchParams.get('state') !== state) {
      throw new Error(`${name}: the flow returned ${returned.search || 'no parameters'} instead of a code`);
    }
    return { name, claims: await redeem(target, clientId, code, verifier), pages };
  } finally {
    page.off('framenavigated', record);
  }
}

/** A journey that does not come back to the client in time failed (e.g. the page refused a code): never a hang. */
function withinJourneyTime(name: JourneyName, callback: Promise<URL>): Promise<URL> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${name}: no redirect back to the client within ${JOURNEY_TIMEOUT_MS} ms`)),
      JOURNEY_TIMEOUT_MS,
    );
  });
  return Promise.race([callback, late]).finally(() => clearTimeout(timer));
}

function authorizationUrl(target: JourneyTarget, clientId: string, scope: string, state: string, challenge: string) {
  const url = new URL(`${target.issuer}/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: target.redirectUri,
    scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource: target.resource,
  }).toString();
  return url.href;
}

/**
 * The redirect URI is never contacted: the browser's request to it is answered here and its URL kept. Chrome DevTools
 * `Fetch` interception sees every hop of a redirect chain (Playwright routes miss hops inside one navigation).
 */
async function waitForCallback(page: Page, redirectUri: string): Promise<{ reached: Promise<URL> }> {
  const cdp = await page.context().newCDPSession(page);
  const prefix = redirectUri.split('?')[0]!;
  await cdp.send('Fetch.enable', { patterns: [{ urlPattern: `${prefix}*`, requestStage: 'Request' }] });
  const reached = new Promise<URL>((resolve) => {
    cdp.on('Fetch.requestPaused', (event) => {
      resolve(new URL(event.request.url));
      void cdp
        .send('Fetch.fulfillRequest', {
          requestId: event.requestId,
          responseCode: 200,
          responseHeaders: [{ name: 'Content-Type', value: 'text/html' }],
          body: Buffer.from('<!doctype html><title>Signed in</title>').toString('base64'),
        })
        .finally(() => cdp.detach().catch(() => {}));
    });
  });
  return { reached };
}

function personOf(target: JourneyTarget): { email: string; password: string } {
  return target.user ?? HOMEGROWN_USER;
}

async function signInWithCredentials(page: Page, target: JourneyTarget): Promise<void> {
  const person = personOf(target);
  await page.locator('input[name="username"]').fill(person.email, { timeout: STEP_TIMEOUT_MS });
  await page.locator('input[name="password"]').fill(person.password);
  await page.locator('form button[type="submit"], form input[type="submit"]').first().click();
}

async function approveConsentIfAsked(page: Page): Promise<void> {
  const approve = page.locator('button[name="decision"][value="approve"]');
  await approve.waitFor({ timeout: STEP_TIMEOUT_MS });
  await approve.click();
}

/** Enrols (the page shows the otpauth:// URI) or answers with a code from the secret enrolled before. */
async function passTotp(page: Page, target: JourneyTarget): Promise<void> {
  const otp = page.locator('input[name="otp"]');
  await otp.waitFor({ timeout: STEP_TIMEOUT_MS });
  const key = `${target.issuer} ${personOf(target).email}`;
  const uri = (await page.content()).match(/otpauth:\/\/totp\/[^"'<\s]+/)?.[0];
  const secret = uri ? new URL(uri.replaceAll('&amp;', '&')).searchParams.get('secret') : enrolledSecrets.get(key);
  if (!secret) throw new Error('mfa: the page shows no otpauth:// URI and no secret was enrolled before');
  enrolledSecrets.set(key, secret);
  await otp.fill(new TOTP({ secret }).generate());
  await page.locator('form button[type="submit"], form input[type="submit"]').first().click();
}

async function redeem(target: JourneyTarget, clientId: string, code: string, verifier: string): Promise<JWTPayload> {
  const response = await fetch(`${target.issuer}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: target.redirectUri,
      code_verifier: verifier,
      client_id: clientId,
      resource: target.resource,
    }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!response.ok || !body.access_token) throw new Error(`token request answered ${response.status}`);
  return decodeJwt(body.access_token);
}
