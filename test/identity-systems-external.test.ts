import { describe, expect, it } from 'vitest';
import { declaredHosts, externalSystemUnderTest } from '../harness/external.ts';
import { freeLoopbackPorts } from '../harness/network/serve.ts';
import { parseTargetFile } from '../harness/target.ts';
import { DEFAULT_HOMEGROWN_USERS } from '../mocks/idps/homegrown-auth/index.ts';

/**
 * Against a real target the harness serves the identity systems its flows use on loopback, at the URLs the target
 * file declares, each knowing the target AS as the file describes it (client at the upstream, SP at the SAML IdP).
 */
async function identityTarget() {
  const [homegrownPort, oidcPort, samlPort] = await freeLoopbackPorts(3);
  const as = 'https://as.vendor.example';
  return parseTargetFile({
    name: 'vendor',
    issuer: as,
    byoa: { homegrownAuth: `http://127.0.0.1:${homegrownPort}`, flows: { signUpOrIn: { clientId: 'flow-a' } } },
    federation: {
      oidc: {
        issuer: `http://127.0.0.1:${oidcPort}`,
        clientId: 'vendor-as',
        clientSecret: 'vendor-as-secret',
        redirectUri: `${as}/oidc/callback`,
        flow: { clientId: 'flow-oidc' },
      },
      saml: {
        idp: `http://127.0.0.1:${samlPort}`,
        sp: { entityId: `${as}/saml`, acsUrl: `${as}/saml/acs`, metadataUrl: `${as}/saml/metadata` },
        flow: { clientId: 'flow-saml' },
      },
    },
  });
}

describe('identity systems of an external target', () => {
  it('are served at the declared loopback URLs for the run, and closed after it', async () => {
    const target = await identityTarget();
    const sut = await externalSystemUnderTest(target);
    const homegrown = target.byoa!.homegrownAuth;
    const oidc = target.federation!.oidc!.issuer;
    const saml = target.federation!.saml!.idp;
    const carol = DEFAULT_HOMEGROWN_USERS[0]!;
    try {
      const login = await fetch(`${homegrown}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: carol.email, password: carol.password }),
      });
      expect(login.status).toBe(200);
      expect(sut.homegrown?.requests().map((request) => request.path)).toEqual(['/login']);
      const discovery = await fetch(`${oidc}/.well-known/openid-configuration`);
      expect(((await discovery.json()) as { issuer: string }).issuer).toBe(oidc);
      const metadata = await fetch(`${saml}/metadata`);
      expect(await metadata.text()).toContain(`entityID="${saml}/metadata"`);
      expect(sut.samlIdp?.entityId).toBe(`${saml}/metadata`);
    } finally {
      await sut.close();
    }
    await expect(fetch(`${homegrown}/login`, { method: 'POST' })).rejects.toThrow();
  });

  it('register the target AS as the declared upstream client and SAML service provider', async () => {
    const target = await identityTarget();
    const sut = await externalSystemUnderTest(target);
    const declared = target.federation!.oidc!;
    try {
      const authorize = new URL(sut.upstreamOidc!.endpoints.authorization);
      for (const [name, value] of Object.entries({
        response_type: 'code',
        client_id: declared.clientId,
        redirect_uri: declared.redirectUri,
        scope: 'openid email',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      })) {
        authorize.searchParams.set(name, value);
      }
      const answer = await fetch(authorize, { redirect: 'manual' });
      expect(answer.headers.get('location')).toMatch(new RegExp(`^${declared.redirectUri}\\?code=`));
      const minted = await sut.samlIdp!.createResponse({ sp: target.federation!.saml!.sp });
      expect(minted.acsUrl).toBe(target.federation!.saml!.sp.acsUrl);
    } finally {
      await sut.close();
    }
  });

  it('are hosts the harness may contact', async () => {
    const target = await identityTarget();
    const hosts = declaredHosts(target);
    for (const url of [target.byoa!.homegrownAuth, target.federation!.oidc!.issuer, target.federation!.saml!.idp]) {
      expect(hosts).toContain(new URL(url).host);
    }
  });
});
