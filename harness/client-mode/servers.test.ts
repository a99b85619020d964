import { describe, expect, it } from 'vitest';
import { configureScenarioServers, startScenarioServers } from './servers.ts';

const REDIRECT_URI = 'http://127.0.0.1:5555/callback';

describe('startScenarioServers', () => {
  it('switches registration off and advertises only the pre-registered client’s auth method', async () => {
    const servers = await startScenarioServers({
      registration: false,
      preRegisteredClient: { client_id: 'c1', client_secret: 's1', token_endpoint_auth_method: 'client_secret_post' },
    });
    try {
      const metadata = (await (
        await fetch(`${servers.issuer}/.well-known/oauth-authorization-server`)
      ).json()) as Record<string, unknown>;
      expect(metadata.registration_endpoint).toBeUndefined();
      expect(metadata.token_endpoint_auth_methods_supported).toEqual(['client_secret_post']);
      const registration = await fetch(`${servers.issuer}/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:5555/callback'] }),
      });
      expect(registration.status).toBe(404);
      const token = await fetch(`${servers.issuer}/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: 'x',
          client_id: 'c1',
          client_secret: 's1',
        }),
      });
      // The client is known and its secret accepted: the grant (not the client) is what fails.
      expect(((await token.json()) as { error?: string }).error).toBe('invalid_grant');
    } finally {
      await servers.close();
    }
  });

  it('tells the lies a scenario asks for: forged state and iss in the redirect, another resource in the PRM', async () => {
    const servers = await startScenarioServers({
      lies: {
        authorizationState: true,
        authorizationIss: 'https://evil.example.com',
        prmResource: 'https://x.test/mcp',
      },
    });
    try {
      const prmUrl = new URL('/.well-known/oauth-protected-resource/mcp', servers.mcpUrl);
      expect(((await (await fetch(prmUrl)).json()) as { resource?: string }).resource).toBe('https://x.test/mcp');
      const { client_id } = (await (
        await fetch(`${servers.issuer}/register`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' }),
        })
      ).json()) as { client_id: string };
      const authorize = new URL('/authorize', servers.issuer);
      authorize.search = new URLSearchParams({
        response_type: 'code',
        client_id,
        redirect_uri: REDIRECT_URI,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        state: 'sent-state',
        resource: servers.mcpUrl,
      }).toString();
      const location = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location') ?? '');
      expect(location.searchParams.get('code')).toBeTruthy();
      expect(location.searchParams.get('state')).not.toBe('sent-state');
      expect(location.searchParams.get('iss')).toBe('https://evil.example.com');
    } finally {
      await servers.close();
    }
  });

  it('refuses to configure servers that do not run', async () => {
    const servers = await startScenarioServers();
    await servers.close();
    expect(() => configureScenarioServers(servers.issuer, { registration: false })).toThrow(/no scenario servers/);
  });
});
