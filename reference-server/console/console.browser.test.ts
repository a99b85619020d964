import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../../harness/login/chromium.ts';
import { type ServedHandler, serveOnLoopback } from '../../harness/network/serve.ts';
import type { FetchHandler } from '../../harness/network/types.ts';
import { createReferenceSystem, REFERENCE_REDIRECT_URI, type ReferenceSystem } from '../system.ts';

const chromiumPath = findChromium();
const SCREENSHOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../reports/examples/clients-hub.png');

/** A loopback listener whose handler is attached once the system built for its origin exists. */
async function lateListener(): Promise<{ served: ServedHandler; attach(handler: FetchHandler): void }> {
  let current: FetchHandler = async () => new Response('starting', { status: 503 });
  const served = await serveOnLoopback((request) => current(request));
  return { served, attach: (handler) => (current = handler) };
}

function basicAuth(clientId: string, secret: string): string {
  return `Basic ${btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`)}`;
}

async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = 'v'.repeat(20) + crypto.randomUUID().replaceAll('-', '');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const challenge = btoa(String.fromCharCode(...digest))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
  return { verifier, challenge };
}

describe.skipIf(!chromiumPath)('Clients hub console in Chromium (needs Chromium: apt-get install chromium)', () => {
  const listeners: ServedHandler[] = [];
  let system: ReferenceSystem;
  let browser: Browser;
  let page: Page;
  let consoleUrl: string;

  beforeAll(async () => {
    const [as, mcp, mail] = await Promise.all([lateListener(), lateListener(), lateListener()]);
    listeners.push(as.served, mcp.served, mail.served);
    system = await createReferenceSystem({
      interaction: 'auto-approve',
      origins: { as: as.served.origin, mcp: mcp.served.origin, mail: mail.served.origin },
    });
    for (const listener of [as, mcp, mail]) {
      const handler = system.handlers.get(listener.served.origin);
      if (handler) listener.attach(handler);
    }
    consoleUrl = `${system.issuer}/console`;
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(listeners.map((listener) => listener.close()));
  });

  function adminApi(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${system.issuer}/admin/clients${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${system.adminToken}`, 'Content-Type': 'application/json' },
    });
  }

  async function tagsOf(clientId: string): Promise<string[]> {
    return ((await (await adminApi(`/${encodeURIComponent(clientId)}`)).json()) as { tags: string[] }).tags;
  }

  /** The code flow with offline_access for a confidential client, outside the browser (auto-approve). */
  async function userTokens(clientId: string, secret: string) {
    const { verifier, challenge } = await pkce();
    const authorize = new URL(`${system.issuer}/authorize`);
    for (const [name, value] of Object.entries({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REFERENCE_REDIRECT_URI,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource: system.resource,
      scope: 'mcp:tools offline_access',
    })) {
      authorize.searchParams.set(name, value);
    }
    const redirect = await fetch(authorize, { redirect: 'manual' });
    const code = new URL(redirect.headers.get('location') ?? '').searchParams.get('code');
    expect(code).toBeTruthy();
    const token = await tokenRequest(clientId, secret, {
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: REFERENCE_REDIRECT_URI,
      code_verifier: verifier,
    });
    expect(token.status).toBe(200);
    return (await token.json()) as { access_token: string; refresh_token: string };
  }

  function tokenRequest(clientId: string, secret: string, fields: Record<string, string>): Promise<Response> {
    return fetch(`${system.issuer}/token`, {
      method: 'POST',
      headers: { Authorization: basicAuth(clientId, secret), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
  }

  async function signIn(): Promise<void> {
    await page.goto(consoleUrl);
    await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    await page.getByLabel('Admin token').fill(system.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Clients' }).waitFor();
  }

  let created: { clientId: string; secret: string };

  it('refuses a wrong admin token, then signs in with the right one into an HttpOnly, Strict, path-scoped cookie', async () => {
    await page.goto(consoleUrl);
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('not the admin token');
    await signIn();
    const cookie = (await page.context().cookies()).find((candidate) => candidate.name === 'console_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
  });

  it('creates a client with two grant types and shows its secret once', async () => {
    await page.getByRole('link', { name: '+ Client' }).first().click();
    await page.getByLabel('Name (required)').fill('Browser agent');
    await page.getByLabel('Tags (comma-separated)').fill('browser, eu');
    await page.getByLabel('Client Credentials', { exact: true }).check();
    await page.getByLabel(/^Redirect URLs/).fill(REFERENCE_REDIRECT_URI);
    await page.getByRole('button', { name: 'Save client' }).click();
    await page.getByText('Client created.').waitFor();
    created = {
      clientId: (await page.locator('#client-id').textContent()) ?? '',
      secret: (await page.locator('#client-secret').textContent()) ?? '',
    };
    expect(created.secret.length).toBeGreaterThan(30);
    const machine = await tokenRequest(created.clientId, created.secret, {
      grant_type: 'client_credentials',
      resource: system.resource,
    });
    expect(machine.status).toBe(200);
    await page.goto(`${consoleUrl}/clients/${encodeURIComponent(created.clientId)}`);
    await page.getByRole('heading', { name: 'Browser agent' }).waitFor();
    expect(await page.locator('#client-secret').count()).toBe(0);
  });

  it('filters the list and tags the selected clients in bulk', async () => {
    const registered = await fetch(`${system.issuer}/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Cursor (DCR)',
        redirect_uris: [REFERENCE_REDIRECT_URI],
        token_endpoint_auth_method: 'none',
      }),
    });
    const dcrId = ((await registered.json()) as { client_id: string }).client_id;

    await page.goto(`${consoleUrl}/clients`);
    await page.locator('#filter-field-0').selectOption('tags');
    await page.locator('#filter-op-0').selectOption('equals');
    await page.locator('#filter-value-0').fill('browser');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('1 client matching the filters').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);

    await page.getByRole('link', { name: 'Clear filters' }).click();
    await page.getByLabel('Select Browser agent').check();
    await page.getByLabel('Select Cursor (DCR)').check();
    await page.locator('#bulk-tags').fill('bulk-tagged, reviewed');
    await page.getByRole('button', { name: 'Add tags' }).click();
    await page.getByText('Tags updated on the selected clients.').waitFor();
    expect(await tagsOf(created.clientId)).toEqual(['browser', 'eu', 'bulk-tagged', 'reviewed']);
    expect(await tagsOf(dcrId)).toEqual(['bulk-tagged', 'reviewed']);

    await page.getByLabel('Select Cursor (DCR)').check();
    await page.locator('#bulk-tags').fill('reviewed');
    await page.getByRole('button', { name: 'Remove tags' }).click();
    await page.getByText('Tags updated on the selected clients.').waitFor();
    expect(await tagsOf(dcrId)).toEqual(['bulk-tagged']);
  });

  it('revokes consent: the client stays, its refresh token fails with invalid_grant', async () => {
    const tokens = await userTokens(created.clientId, created.secret);
    await page.goto(`${consoleUrl}/clients`);
    await page.getByRole('link', { name: 'Browser agent' }).click();
    await page.getByRole('button', { name: 'Revoke consent' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('Type revoke to confirm');
    await page.getByLabel('Type revoke to confirm').fill('revoke');
    await page.getByRole('button', { name: 'Revoke consent' }).click();
    await page.getByText('Consent revoked').waitFor();
    const refreshed = await tokenRequest(created.clientId, created.secret, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    });
    expect(refreshed.status).toBe(400);
    expect(await refreshed.json()).toMatchObject({ error: 'invalid_grant' });
    const machine = await tokenRequest(created.clientId, created.secret, {
      grant_type: 'client_credentials',
      resource: system.resource,
    });
    expect(machine.status).toBe(200);
  });

  it('deletes: the client id then fails at /authorize (error page) and /token (invalid_client)', async () => {
    await page.getByLabel('Type delete to confirm').fill('delete');
    await page.getByRole('button', { name: 'Delete client' }).click();
    await page.getByText('Client deleted').waitFor();
    expect(await page.getByRole('link', { name: 'Browser agent' }).count()).toBe(0);
    const { challenge } = await pkce();
    const authorize = new URL(`${system.issuer}/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: created.clientId,
      redirect_uri: REFERENCE_REDIRECT_URI,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    const refused = await fetch(authorize, { redirect: 'manual' });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    const token = await tokenRequest(created.clientId, created.secret, {
      grant_type: 'client_credentials',
      resource: system.resource,
    });
    expect(token.status).toBe(401);
    expect(await token.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('shows what happened in the audit log, filtered by kind, and the users directory', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    expect(await page.locator('tbody tr', { hasText: 'Token issued' }).count()).toBeGreaterThanOrEqual(2);
    await page.getByLabel('Kind').selectOption({ label: 'Token revoked' });
    await page.getByRole('button', { name: 'Filter' }).click();
    const revocations = await page.locator('tbody tr').allTextContents();
    expect(revocations.every((row) => row.includes('Token revoked'))).toBe(true);
    expect(revocations.join('\n')).toMatch(/client deleted: \d+ grants? of/);
    expect(revocations.join('\n')).toContain('consent revoked');
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    expect(await page.getByRole('columnheader', { name: 'MFA enrolled' }).count()).toBe(1);
  });

  it('is usable by keyboard alone: Tab reaches the skip link, the filter and the bulk controls', async () => {
    await page.goto(`${consoleUrl}/clients`);
    const reached: string[] = [];
    for (let step = 0; step < 40; step++) {
      await page.keyboard.press('Tab');
      reached.push(
        await page.evaluate(() => {
          const active = document.activeElement as HTMLElement | null;
          return active?.id || active?.textContent?.trim() || active?.tagName || '';
        }),
      );
    }
    expect(reached[0]).toBe('Skip to main content');
    expect(reached).toEqual(
      expect.arrayContaining(['filter-field-0', 'filter-value-0', 'Apply filters', 'bulk-tags', 'Add tags']),
    );
    await page.goto(`${consoleUrl}/clients`);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.locator('#filter-value-0').focus();
    await page.keyboard.type('Cursor');
    await page.keyboard.press('Enter');
    await page.getByText('1 client matching the filters').waitFor();
  });

  it.skipIf(process.env.UPDATE_EXAMPLES !== '1')('saves a screenshot of the Clients page', async () => {
    const seed = [
      { client_name: 'Nightly report agent', tags: ['agents', 'prod'], grant_types: ['client_credentials'] },
      {
        client_name: 'Workload on GCP',
        tags: ['workloads'],
        grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:openid:params:grant-type:ciba'],
        trusted_issuers: [{ issuer: 'https://accounts.google.com', algorithms: ['RS256'] }],
      },
      {
        client_name: 'Support desk (first party)',
        tags: ['internal'],
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: ['https://support.example.com/callback'],
        skip_consent: true,
      },
    ];
    for (const body of seed)
      expect((await adminApi('', { method: 'POST', body: JSON.stringify(body) })).status).toBe(201);
    await system.authorizationServer.store.clients.save({
      client_id: 'https://vscode.example/oauth/client-metadata.json',
      client_id_issued_at: Math.floor(Date.now() / 1000),
      redirect_uris: ['http://127.0.0.1:33418/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      application_type: 'native',
      client_name: 'VS Code (CIMD)',
      tags: ['ide'],
      registeredBy: 'client-id-metadata-document',
    });
    await page.goto(`${consoleUrl}/clients`);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
