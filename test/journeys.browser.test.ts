import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../harness/login/chromium.ts';
import { type ServedReferenceSystem, serveReferenceSystem } from '../reference-server/serve.ts';
import { REFERENCE_REDIRECT_URI, REFERENCE_SCOPES } from '../reference-server/system.ts';
import { type JourneyTarget, runJourney } from '../reference-server/walkthrough/journeys.ts';

const chromiumPath = findChromium();

/** The bring-your-own-auth journeys through the served reference system's real pages, in Debian's Chromium. */
describe.skipIf(!chromiumPath)('consent-flow journeys in Chromium (needs Chromium: apt-get install chromium)', () => {
  let served: ServedReferenceSystem;
  let browser: Browser;
  let page: Page;
  let target: JourneyTarget;

  beforeAll(async () => {
    served = await serveReferenceSystem({ port: 0 });
    target = {
      issuer: served.urls.issuer,
      resource: served.urls.resource,
      redirectUri: REFERENCE_REDIRECT_URI,
      scopes: REFERENCE_SCOPES,
    };
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, headless: true });
    page = await (await browser.newContext()).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('homegrown credentials: the connector validates them, Generate JWT issues the token', async () => {
    const result = await runJourney(page, target, 'homegrown-login');
    expect(result.claims).toMatchObject({ email: 'carol@corp.example', roles: ['engineer'], amr: ['pwd'] });
    expect(result.pages).toContain('/flow');
  });

  it('consent: the user approves the scopes on the consent page', async () => {
    await page.context().clearCookies();
    const result = await runJourney(page, target, 'consent');
    expect(result.claims).toMatchObject({ email: 'carol@corp.example', scope: REFERENCE_SCOPES.basic });
  });

  it('MFA: the elevated scope needs a TOTP code (enrolment on first use); amr and acr say so', async () => {
    const result = await runJourney(page, target, 'mfa');
    expect(result.claims).toMatchObject({ amr: ['pwd', 'otp'], acr: 'urn:mcp-auth-conformance:loa:mfa' });
  });

  it('OIDC upstream: the browser goes to the upstream provider and back with its code', async () => {
    const result = await runJourney(page, target, 'oidc-upstream');
    expect(result.claims.email).toBe('erin@upstream.example');
    expect(result.claims.amr).toEqual(['fed']);
  });

  it('SAML: the IdP posts its signed response to the ACS (HTTP-POST binding)', async () => {
    const result = await runJourney(page, target, 'saml-post');
    expect(result.claims.email).toBe('grace@tenant.example');
    expect(result.claims.amr).toEqual(['fed']);
  });
});
