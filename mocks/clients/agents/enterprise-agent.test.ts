import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../harness/clock.ts';
import { Network } from '../../../harness/network/network.ts';
import type { Defect } from '../../../reference-server/defects.ts';
import { createReferenceSystem, REFERENCE_USERS } from '../../../reference-server/system.ts';
import { createEnterpriseIdp } from '../../idps/enterprise/index.ts';
import { JourneyError } from '../good-client.ts';
import { runEnterpriseAgent } from './enterprise-agent.ts';

const IDP = 'https://idp.enterprise.test';
/** The app's registration at the IdP is its own, distinct from the one at the MCP AS. */
const IDP_CLIENT = { client_id: 'wiki-app-at-idp', client_secret: 'wiki-app-idp-secret' };

/** The reference system and an enterprise IdP it trusts, on one in-memory network that records every exchange. */
async function world(defects: Defect[] = []) {
  const clock = new ManualClock(Date.now());
  const system = await createReferenceSystem({ clock, enterpriseIdp: IDP, defects });
  const idp = await createEnterpriseIdp({
    issuer: IDP,
    clock,
    clients: [
      {
        ...IDP_CLIENT,
        audiences: { [system.issuer]: [system.resource] },
        scopes: [system.scopes.basic],
        clientIdAt: { [system.issuer]: system.clients.enterprise.client_id },
      },
    ],
    users: REFERENCE_USERS.map(({ sub, email }) => ({ sub, email })),
  });
  const network = new Network();
  system.mount(network);
  network.mount(IDP, idp.handler);
  const urls: string[] = [];
  network.onExchange((exchange) => urls.push(`${exchange.request.method} ${exchange.request.url}`));
  return { system, idp, network, urls };
}

describe('enterprise agent (ID token → ID-JAG → access token → MCP)', () => {
  it('calls echo with a token obtained without any browser step', async () => {
    const { system, idp, network, urls } = await world();
    const journey = await runEnterpriseAgent({
      mcpUrl: system.resource,
      idpIssuer: IDP,
      idToken: await idp.idToken({ clientId: IDP_CLIENT.client_id }),
      idpClient: IDP_CLIENT,
      asClient: system.clients.enterprise,
      scope: system.scopes.basic,
      fetch: network.fetch,
    });
    expect(journey.toolResult).toMatchObject({
      content: [{ type: 'text', text: 'hello from the enterprise agent' }],
    });
    expect(journey.steps).toHaveLength(6);
    expect(decodeJwt(journey.idJag)).toMatchObject({ aud: system.issuer, resource: system.resource });
    expect(decodeJwt(journey.accessToken)).toMatchObject({ aud: system.resource, sub: 'user-alice' });
    expect(urls).toContain(`POST ${IDP}/token`);
    expect(urls).toContain(`POST ${system.issuer}/token`);
    // EMA-CL-NO-BROWSER: the AS's authorization endpoint is never visited.
    expect(urls.some((url) => url.includes('/authorize'))).toBe(false);
  });

  it('stops when the AS does not advertise the ID-JAG grant profile', async () => {
    const { system, idp, network } = await world(['id-jag-profile-unadvertised']);
    const journey = runEnterpriseAgent({
      mcpUrl: system.resource,
      idpIssuer: IDP,
      idToken: await idp.idToken({ clientId: IDP_CLIENT.client_id }),
      idpClient: IDP_CLIENT,
      asClient: system.clients.enterprise,
      fetch: network.fetch,
    });
    await expect(journey).rejects.toBeInstanceOf(JourneyError);
  });

  it('fails at the IdP when its ID token was issued to another app', async () => {
    const { system, idp, network } = await world();
    const journey = runEnterpriseAgent({
      mcpUrl: system.resource,
      idpIssuer: IDP,
      idToken: await idp.idToken({ clientId: 'another-app' }),
      idpClient: IDP_CLIENT,
      asClient: system.clients.enterprise,
      fetch: network.fetch,
    });
    await expect(journey).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
