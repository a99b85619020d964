import { beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationParams,
  authorizeUrl,
  createTestServer,
  get,
  ISSUER,
  OTHER_RESOURCE,
  PUBLIC_REDIRECT,
  RESOURCE,
  redirectedTo,
  type TestServer,
} from './test-support.ts';

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});

async function authorize(overrides: Record<string, string | undefined>): Promise<Response> {
  const { params } = await authorizationParams(overrides);
  return get(server.handler, authorizeUrl(params));
}

async function expectErrorPage(overrides: Record<string, string | undefined>): Promise<void> {
  const response = await authorize(overrides);
  expect(response.status).toBe(400);
  expect(response.headers.get('location')).toBeNull();
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.headers.get('x-frame-options')).toBe('DENY');
}

async function expectErrorRedirect(overrides: Record<string, string | undefined>, error: string): Promise<URL> {
  const location = redirectedTo(await authorize(overrides));
  expect(location, 'expected a redirect').toBeDefined();
  expect(location!.searchParams.get('error')).toBe(error);
  expect(location!.searchParams.get('error_description')).toBeTruthy();
  expect(location!.searchParams.get('state')).toBe('state-123');
  expect(location!.searchParams.get('iss')).toBe(ISSUER);
  return location!;
}

describe('authorization endpoint: client and redirect URI (never redirected on error)', () => {
  it.each([
    ['an unknown client_id', { client_id: 'nobody' }],
    ['a missing client_id', { client_id: undefined }],
    ['an unregistered redirect_uri', { redirect_uri: 'https://evil.example/cb' }],
    ['a redirect_uri with an extra path', { redirect_uri: `${PUBLIC_REDIRECT}/extra` }],
    ['a redirect_uri with a query added', { redirect_uri: `${PUBLIC_REDIRECT}?x=1` }],
    ['a loopback redirect on another host', { redirect_uri: 'http://localhost:5555/callback' }],
  ])('shows an error page for %s', async (_, overrides) => {
    await expectErrorPage(overrides);
  });

  it('requires redirect_uri when the client has several', async () => {
    const several = await createTestServer({
      clients: [
        {
          client_id: 'multi',
          redirect_uris: ['https://a.example/cb', 'https://b.example/cb'],
          token_endpoint_auth_method: 'none',
        },
      ],
    });
    const { params } = await authorizationParams({ client_id: 'multi', redirect_uri: undefined });
    const response = await get(several.handler, authorizeUrl(params));
    expect(response.status).toBe(400);
    const { params: withUri } = await authorizationParams({ client_id: 'multi', redirect_uri: 'https://b.example/cb' });
    expect(redirectedTo(await get(several.handler, authorizeUrl(withUri)))?.host).toBe('b.example');
  });

  it('accepts another port on a loopback IP redirect URI (OAuth 2.1 §8.4.2)', async () => {
    const location = redirectedTo(await authorize({ redirect_uri: 'http://127.0.0.1:61234/callback' }));
    expect(location?.port).toBe('61234');
    expect(location?.searchParams.get('code')).toBeTruthy();
  });

  it('uses the single registered redirect URI when redirect_uri is omitted', async () => {
    const location = redirectedTo(await authorize({ redirect_uri: undefined }));
    expect(location?.href.startsWith(PUBLIC_REDIRECT)).toBe(true);
  });
});

describe('authorization endpoint: request errors redirect with error, state and iss', () => {
  it.each([
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
    ['a missing response_type', { response_type: undefined }, 'invalid_request'],
    ['a missing code_challenge', { code_challenge: undefined }, 'invalid_request'],
    ['code_challenge_method=plain', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['a missing code_challenge_method', { code_challenge_method: undefined }, 'invalid_request'],
    ['a short code_challenge', { code_challenge: 'abc' }, 'invalid_request'],
    ['a non-base64url code_challenge', { code_challenge: `${'a'.repeat(42)}+` }, 'invalid_request'],
    ['an unknown resource', { resource: OTHER_RESOURCE }, 'invalid_target'],
    ['a relative resource', { resource: '/mcp' }, 'invalid_target'],
    ['a resource with a fragment', { resource: `${RESOURCE}#x` }, 'invalid_target'],
    ['an unknown scope', { scope: 'mcp:tools mcp:unknown' }, 'invalid_scope'],
  ])('%s → %s', async (_, overrides, error) => {
    await expectErrorRedirect(overrides, error);
  });

  it('requires resource when several resources are registered', async () => {
    const several = await createTestServer({
      resources: [
        { resource: RESOURCE, scopes: ['mcp:tools'] },
        { resource: OTHER_RESOURCE, scopes: ['other:read'] },
      ],
    });
    const { params } = await authorizationParams({ resource: undefined, scope: undefined });
    const location = redirectedTo(await get(several.handler, authorizeUrl(params)));
    expect(location?.searchParams.get('error')).toBe('invalid_target');
  });
});

describe('authorization endpoint: success', () => {
  it('redirects with code, state and iss (RFC 9207)', async () => {
    const response = await authorize({});
    expect(response.status).toBe(302);
    const location = redirectedTo(response)!;
    expect(`${location.origin}${location.pathname}`).toBe(PUBLIC_REDIRECT);
    expect(location.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(location.searchParams.get('state')).toBe('state-123');
    expect(location.searchParams.get('iss')).toBe(ISSUER);
  });

  it('defaults resource and scope, and signs in the login_hint user', async () => {
    const location = redirectedTo(await authorize({ resource: undefined, scope: undefined, login_hint: 'bob' }));
    const code = await server.store.codes.get(location!.searchParams.get('code')!);
    expect(code).toMatchObject({ sub: 'user-bob', resource: RESOURCE, scope: 'mcp:tools' });
  });

  it('accepts an uppercase scheme and host in resource (canonical URI)', async () => {
    const location = redirectedTo(await authorize({ resource: 'HTTPS://MCP.REFERENCE.TEST/mcp' }));
    expect(location?.searchParams.get('code')).toBeTruthy();
  });
});
