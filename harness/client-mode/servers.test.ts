import { describe, expect, it } from 'vitest';
import { configureScenarioServers, startScenarioServers } from './servers.ts';

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

  it('refuses to configure servers that do not run', async () => {
    const servers = await startScenarioServers();
    await servers.close();
    expect(() => configureScenarioServers(servers.issuer, { registration: false })).toThrow(/no scenario servers/);
  });
});
