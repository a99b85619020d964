import { beforeEach, describe, expect, it } from 'vitest';
import {
  CookieJar,
  createTestServer,
  get,
  hiddenInput,
  ISSUER,
  postForm,
  START,
  type TestServer,
  userAccessToken,
} from '../authorization-server/test-support.ts';

const ADMIN_TOKEN = 'console-activity-admin-token';
const CONSOLE = `${ISSUER}/console`;

/** Signs in to the console with the admin token; answers a function that GETs console pages with the session. */
async function signedInConsole(server: TestServer): Promise<(path: string) => Promise<Response>> {
  const jar = new CookieJar();
  const form = await get(server.handler, `${CONSOLE}/sign-in`);
  jar.store(form);
  const signedIn = await postForm(
    server.handler,
    `${CONSOLE}/sign-in`,
    { csrf_token: hiddenInput(await form.text(), 'csrf_token'), admin_token: ADMIN_TOKEN },
    jar.header(),
  );
  expect(signedIn.status).toBe(303);
  jar.store(signedIn);
  return (path) => get(server.handler, `${CONSOLE}${path}`, jar.header());
}

/** The text of each row of the page's table body, cells joined by `|`. */
function tableRows(html: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)]
      .map((cell) => cell[1]!.replace(/<[^>]+>/g, '').trim())
      .join('|'),
  );
}

describe('console: users and audit log pages', () => {
  let server: TestServer;
  let open: (path: string) => Promise<Response>;
  beforeEach(async () => {
    server = await createTestServer({ adminToken: ADMIN_TOKEN });
    open = await signedInConsole(server);
  });

  it('links both pages from the navigation, and sends strangers to sign in', async () => {
    const clients = await (await open('/clients')).text();
    expect(clients).toContain(`<a href="${CONSOLE}/users">Users</a>`);
    expect(clients).toContain(`<a href="${CONSOLE}/audit">Audit log</a>`);
    for (const path of ['/users', '/audit']) {
      const stranger = await get(server.handler, `${CONSOLE}${path}`);
      expect(stranger.status).toBe(303);
      expect(stranger.headers.get('location')).toBe(`${CONSOLE}/sign-in`);
    }
  });

  it('lists users with their IDs, tenant and MFA state, found by login ID, escaped', async () => {
    await server.store.users.save({
      id: 'u-carol',
      tenant: '/t/acme',
      email: 'carol@example.com',
      loginIds: ['carol<script>'],
      externalIds: ['hg-42'],
      attributes: {},
      totpSecret: 'JBSWY3DPEHPK3PXP',
      createdAt: START,
      updatedAt: START,
    });
    await server.store.users.save({
      id: 'u-dave',
      tenant: '',
      loginIds: [],
      externalIds: [],
      attributes: {},
      createdAt: START + 1,
      updatedAt: START + 1,
    });
    const page = await open('/users');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(tableRows(html)).toEqual([
      'u-carol|carol@example.com|carol&lt;script&gt;|hg-42|/t/acme|Yes|2026-01-01 00:00:00 UTC',
      'u-dave|—|—|—|(root)|No|2026-01-01 00:00:00 UTC',
    ]);
    expect(html).not.toContain('JBSWY3DPEHPK3PXP');
    expect(tableRows(await (await open('/users?login_id=CAROL@example.com')).text())).toHaveLength(1);
  });

  it('shows the audit log newest first, filtered by kind and by user (ID or login ID)', async () => {
    await userAccessToken(server);
    server.clock.advance(60_000);
    await userAccessToken(server, { login_hint: 'bob' });
    await server.store.users.save({
      id: 'user-bob',
      tenant: '',
      email: 'bob@example.com',
      loginIds: [],
      externalIds: [],
      attributes: {},
      createdAt: START,
      updatedAt: START,
    });
    const all = tableRows(await (await open('/audit')).text());
    expect(all).toHaveLength(2);
    expect(all[0]).toMatch(/^2026-01-01 00:01:00 UTC\|Token issued\|user-bob\|public-client\|/);
    expect(all[1]).toMatch(/^2026-01-01 00:00:00 UTC\|Token issued\|user-alice\|/);
    expect(tableRows(await (await open('/audit?user=user-alice')).text())).toHaveLength(1);
    expect(tableRows(await (await open('/audit?user=BOB@example.com')).text())[0]).toContain('user-bob');
    expect(tableRows(await (await open('/audit?kind=login')).text())).toEqual(['No events match.']);
    const kinds = await (await open('/audit?kind=token-issued')).text();
    expect(kinds).toContain('<option value="token-issued" selected>Token issued</option>');
  });

  it('answers an unknown kind with a visible error and every event', async () => {
    await userAccessToken(server);
    const page = await open('/audit?kind=%3Cb%3E');
    expect(page.status).toBe(400);
    const html = await page.text();
    expect(html).toContain('role="alert">Unknown kind &quot;&lt;b&gt;&quot;');
    expect(tableRows(html)).toHaveLength(1);
  });
});
