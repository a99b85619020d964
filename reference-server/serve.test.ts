import { describe, expect, it } from 'vitest';
import { runGoodClientJourney } from '../mocks/clients/good-client.ts';
import { serveReferenceSystem } from './serve.ts';

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
});
