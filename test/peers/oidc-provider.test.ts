import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserLoginDriver } from '../../harness/login/browser.ts';
import { findChromium } from '../../harness/login/chromium.ts';
import type { AuthorizationResponse, LoginDriver } from '../../harness/login/types.ts';
import { Network } from '../../harness/network/network.ts';
import { parseTargetFile, type TargetFile } from '../../harness/target.ts';
import { type OidcProviderPeer, oidcProviderTarget, startOidcProvider } from './oidc-provider.ts';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  registration_endpoint: string;
  jwks_uri: string;
  code_challenge_methods_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
}

async function startWithDiscovery(): Promise<{ peer: OidcProviderPeer; discovery: Discovery }> {
  const peer = await startOidcProvider();
  const response = await fetch(`${peer.issuer}/.well-known/openid-configuration`);
  return { peer, discovery: (await response.json()) as Discovery };
}

describe('node-oidc-provider peer', () => {
  let peer: OidcProviderPeer;
  let discovery: Discovery;

  beforeAll(async () => {
    ({ peer, discovery } = await startWithDiscovery());
  });
  afterAll(async () => {
    await peer?.close();
  });

  it('serves discovery metadata naming its issuer', () => {
    expect(discovery.issuer).toBe(peer.issuer);
    expect(discovery.registration_endpoint).toBe(`${peer.issuer}/reg`);
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
    expect(discovery.authorization_response_iss_parameter_supported).toBe(true);
  });

  it('yields a valid target file', () => {
    const target = parseTargetFile(oidcProviderTarget(peer));
    expect(target.login.mode).toBe('browser');
    expect(target.issuer).toBe(peer.issuer);
  });
});

describe.skipIf(!findChromium())(
  'node-oidc-provider peer: authorization code flow in the browser (needs Chromium)',
  () => {
    let peer: OidcProviderPeer;
    let discovery: Discovery;
    let target: TargetFile;
    let driver: LoginDriver;
    let clientId: string;

    beforeAll(async () => {
      ({ peer, discovery } = await startWithDiscovery());
      target = parseTargetFile(oidcProviderTarget(peer));
      if (target.login.mode !== 'browser') throw new Error('the peer target logs in with the browser');
      const network = new Network({ allowedHosts: [new URL(peer.issuer).host] });
      driver = await browserLoginDriver({ steps: target.login.steps, user: target.user, network });
      clientId = await registerPublicClient(target.redirectUri);
    });
    afterAll(async () => {
      await driver?.close();
      await peer?.close();
    });

    async function registerPublicClient(redirectUri: string): Promise<string> {
      const response = await fetch(discovery.registration_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          application_type: 'native',
          redirect_uris: [redirectUri],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        }),
      });
      expect(response.status).toBe(201);
      return ((await response.json()) as { client_id: string }).client_id;
    }

    function authorize(params: Record<string, string>): Promise<AuthorizationResponse> {
      const url = new URL(discovery.authorization_endpoint);
      url.search = new URLSearchParams({
        client_id: clientId,
        redirect_uri: target.redirectUri,
        response_type: 'code',
        scope: 'mcp:tools',
        state: randomBytes(8).toString('hex'),
        ...params,
      }).toString();
      return driver.authorize({ url, redirectUri: target.redirectUri });
    }

    it('logs in, consents, redirects with a code, and redeems it for a JWT access token for the resource', async () => {
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const reply = await authorize({
        code_challenge: challenge,
        code_challenge_method: 'S256',
        resource: peer.resource,
      });
      if (reply.kind !== 'redirect') throw new Error(`no redirect: ${reply.status} ${reply.body}`);
      const code = reply.url.searchParams.get('code');
      expect(code).toBeTruthy();
      expect(reply.url.searchParams.get('iss')).toBe(peer.issuer);

      const tokenResponse = await fetch(discovery.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: code ?? '',
          redirect_uri: target.redirectUri,
          code_verifier: verifier,
          client_id: clientId,
          resource: peer.resource,
        }),
      });
      const tokens = (await tokenResponse.json()) as { access_token?: string; token_type?: string; scope?: string };
      expect(tokenResponse.status, JSON.stringify(tokens)).toBe(200);
      expect(tokens.token_type).toBe('Bearer');
      const accessToken = tokens.access_token ?? '';
      expect(decodeProtectedHeader(accessToken)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      const { payload } = await jwtVerify(accessToken, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
        issuer: peer.issuer,
        audience: peer.resource,
      });
      expect(payload.aud).toBe(peer.resource);
      expect(payload.scope).toBe('mcp:tools');
      expect(payload.client_id).toBe(clientId);
    });

    it('remembers the session and the grant: a second authorization redirects at once', async () => {
      const challenge = createHash('sha256').update('x'.repeat(43)).digest('base64url');
      const reply = await authorize({
        code_challenge: challenge,
        code_challenge_method: 'S256',
        resource: peer.resource,
      });
      expect(reply.kind).toBe('redirect');
      if (reply.kind === 'redirect') expect(reply.url.searchParams.get('code')).toBeTruthy();
    });

    it('refuses an authorization request without PKCE from a public client (error redirect)', async () => {
      const reply = await authorize({ resource: peer.resource });
      if (reply.kind !== 'redirect') throw new Error(`no redirect: ${reply.status} ${reply.body}`);
      expect(reply.url.searchParams.get('error')).toBe('invalid_request');
    });

    it('refuses an unknown resource with invalid_target (error redirect)', async () => {
      const challenge = createHash('sha256').update('y'.repeat(43)).digest('base64url');
      const reply = await authorize({
        code_challenge: challenge,
        code_challenge_method: 'S256',
        resource: 'https://elsewhere.example/mcp',
      });
      if (reply.kind !== 'redirect') throw new Error(`no redirect: ${reply.status} ${reply.body}`);
      expect(reply.url.searchParams.get('error')).toBe('invalid_target');
    });
  },
);
