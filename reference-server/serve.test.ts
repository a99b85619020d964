import { describe, expect, it } from 'vitest';
import { runGoodClientJourney } from '../mocks/clients/good-client.ts';
import { serveReferenceSystem } from './serve.ts';
import { REFERENCE_REDIRECT_URI } from './system.ts';

function hidden(html: string, name: string): string {
  const value = new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
  if (value === undefined) throw new Error(`no ${name} on the page`);
  return value;
}

describe('serveReferenceSystem', () => {
  it('serves the reference system on loopback ports, where the good client journey succeeds over real HTTP', async () => {
    const served = await serveReferenceSystem({ port: 0, interaction: 'auto-approve' });
    try {
      expect(served.urls.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(served.urls.resource).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      expect(new URL(served.urls.resource).port).not.toBe(new URL(served.urls.issuer).port);
      const prm = await fetch(served.urls.prm);
      expect(await prm.json()).toMatchObject({
        resource: served.urls.resource,
        authorization_servers: [served.urls.issuer],
      });
      const asMetadata = await fetch(served.urls.asMetadata);
      expect(await asMetadata.json()).toMatchObject({ issuer: served.urls.issuer });

      const journey = await runGoodClientJourney({ mcpUrl: served.urls.resource, allowInsecureRequests: true });
      expect(journey.toolResult).toMatchObject({ content: [{ type: 'text', text: 'hello from the good client' }] });
    } finally {
      await served.close();
    }
  });

  it('defaults to interactive sign-in: the authorization endpoint shows a page instead of redirecting back', async () => {
    const served = await serveReferenceSystem({ port: 0 });
    try {
      await expect(runGoodClientJourney({ mcpUrl: served.urls.resource, allowInsecureRequests: true })).rejects.toThrow(
        /login|redirect/,
      );
    } finally {
      await served.close();
    }
  });

  it('serves the mock identity systems, and a homegrown credentials flow signs in over real HTTP', async () => {
    const served = await serveReferenceSystem({ port: 0 });
    try {
      const { issuer, homegrownAuth, upstreamOidc, samlIdp } = served.urls;
      const ports = new Set([issuer, homegrownAuth, upstreamOidc, samlIdp].map((url) => new URL(url).port));
      expect(ports.size).toBe(4);
      expect((await fetch(`${upstreamOidc}/.well-known/openid-configuration`)).status).toBe(200);
      expect((await fetch(`${samlIdp}/metadata`)).status).toBe(200);
      const authorize = new URL(`${issuer}/authorize`);
      const params = {
        response_type: 'code',
        client_id: 'flow-sign-up-or-in',
        redirect_uri: REFERENCE_REDIRECT_URI,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        state: 'served-state',
        resource: served.urls.resource,
      };
      for (const [name, value] of Object.entries(params)) authorize.searchParams.set(name, value);
      const started = await fetch(authorize, { redirect: 'manual' });
      const cookie = started.headers.getSetCookie()[0]!.split(';')[0]!;
      const screen = await (await fetch(started.headers.get('location')!, { headers: { cookie } })).text();
      const form = new URLSearchParams({
        txn: hidden(screen, 'txn'),
        csrf_token: hidden(screen, 'csrf_token'),
        username: 'carol',
        password: 'carol-corp-password',
      });
      const posted = await fetch(`${issuer}/flow`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
        redirect: 'manual',
      });
      expect(posted.status).toBe(303);
      const done = await fetch(posted.headers.get('location')!, { headers: { cookie }, redirect: 'manual' });
      const callback = new URL(done.headers.get('location')!);
      expect(callback.href.startsWith(REFERENCE_REDIRECT_URI)).toBe(true);
      expect(callback.searchParams.get('code')).toBeTruthy();
    } finally {
      await served.close();
    }
  });
});
