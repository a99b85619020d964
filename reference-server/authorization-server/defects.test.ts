import {
  type CryptoKey,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { describe, expect, it } from 'vitest';
import { DEFECTS, type Defect } from '../defects.ts';
import { CLIENT_ASSERTION_TYPE } from './clients.ts';
import {
  authorizationParams,
  authorizeUrl,
  basic,
  CLIENTS,
  createTestServer,
  get,
  ISSUER,
  introspect,
  OTHER_RESOURCE,
  obtainCode,
  PUBLIC_REDIRECT,
  pkcePair,
  postForm,
  postJson,
  redeem,
  redirectedTo,
  revoke,
  type TestServer,
  WEB_REDIRECT,
} from './test-support.ts';

/** Each probe answers: is the planted bug visible on this server? It must be false without the defect. */
type Probe = (server: TestServer) => Promise<boolean>;

async function json(server: TestServer, url: string): Promise<Record<string, unknown>> {
  return (await get(server.handler, url)).json() as Promise<Record<string, unknown>>;
}

const oauthMetadata = (server: TestServer) => json(server, `${ISSUER}/.well-known/oauth-authorization-server`);
const openidMetadata = (server: TestServer) => json(server, `${ISSUER}/.well-known/openid-configuration`);

async function authorizeWith(server: TestServer, overrides: Record<string, string | undefined>) {
  const { params } = await authorizationParams(overrides);
  return get(server.handler, authorizeUrl(params));
}

async function successRedirect(server: TestServer): Promise<URL> {
  return redirectedTo(await authorizeWith(server, {}))!;
}

async function errorRedirect(server: TestServer): Promise<URL> {
  return redirectedTo(await authorizeWith(server, { scope: 'unknown-scope' }))!;
}

const register = (server: TestServer, body: unknown) => postJson(server.handler, `${ISSUER}/register`, body);
const VALID_REGISTRATION = { redirect_uris: ['https://app.example.com/cb'] };

async function tokenResponse(server: TestServer): Promise<Response> {
  return redeem(server, await obtainCode(server));
}

async function accessToken(server: TestServer): Promise<string> {
  return ((await (await tokenResponse(server)).json()) as { access_token: string }).access_token;
}

// ── Refresh tokens: a client registered for the refresh_token grant, its refresh token, and a refresh ──
async function refreshClientId(server: TestServer): Promise<string> {
  const registration = { redirect_uris: [PUBLIC_REDIRECT], grant_types: ['authorization_code', 'refresh_token'] };
  const body = await (await register(server, { ...registration, token_endpoint_auth_method: 'none' })).json();
  return (body as { client_id: string }).client_id;
}

async function refreshTokenOf(server: TestServer, clientId: string): Promise<string> {
  const response = await redeem(server, await obtainCode(server, { client_id: clientId }), { client_id: clientId });
  return ((await response.json()) as { refresh_token: string }).refresh_token;
}

function refresh(server: TestServer, clientId: string, token: string, extra: Record<string, string> = {}) {
  const fields = { grant_type: 'refresh_token', refresh_token: token, client_id: clientId, ...extra };
  return postForm(server.handler, `${ISSUER}/token`, fields);
}

/** A refresh token, refreshed once: the spent one and its successor. */
async function rotatedPair(server: TestServer): Promise<{ clientId: string; spent: string; successor?: string }> {
  const clientId = await refreshClientId(server);
  const spent = await refreshTokenOf(server, clientId);
  const body = (await (await refresh(server, clientId, spent)).json()) as { refresh_token?: string };
  return { clientId, spent, ...(body.refresh_token ? { successor: body.refresh_token } : {}) };
}

async function refreshedWith(server: TestServer, extra: Record<string, string>): Promise<boolean> {
  const clientId = await refreshClientId(server);
  return (await refresh(server, clientId, await refreshTokenOf(server, clientId), extra)).status === 200;
}

const PROBES: Record<string, Probe> = {
  // ── Authorization server metadata ──
  'as-metadata-none': async (server) =>
    (await get(server.handler, `${ISSUER}/.well-known/oauth-authorization-server`)).status === 404 &&
    (await get(server.handler, `${ISSUER}/.well-known/openid-configuration`)).status === 404,
  'metadata-path-appended': async (server) =>
    (await get(server.handler, `${ISSUER}/.well-known/oauth-authorization-server/t/acme`)).status === 404 &&
    (await get(server.handler, `${ISSUER}/t/acme/.well-known/oauth-authorization-server`)).status === 200,
  'metadata-issuer-trailing-slash': async (server) => (await oauthMetadata(server)).issuer === `${ISSUER}/`,
  'issuer-with-query': async (server) => String((await oauthMetadata(server)).issuer).includes('?'),
  'metadata-no-response-types': async (server) => !('response_types_supported' in (await oauthMetadata(server))),
  'metadata-no-pkce-methods': async (server) => !('code_challenge_methods_supported' in (await oauthMetadata(server))),
  'metadata-http-endpoints': async (server) => String((await oauthMetadata(server)).token_endpoint).startsWith('http:'),
  'metadata-omits-optional': async (server) => {
    const metadata = await oauthMetadata(server);
    return !('grant_types_supported' in metadata) && !('scopes_supported' in metadata);
  },
  'metadata-empty-arrays': async (server) =>
    Object.values(await oauthMetadata(server)).some((value) => Array.isArray(value) && value.length === 0),
  'metadata-none-alg': async (server) => {
    const algs = (await oauthMetadata(server)).token_endpoint_auth_signing_alg_values_supported;
    return Array.isArray(algs) && algs.includes('none');
  },
  'metadata-advertises-legacy-grants': async (server) => {
    const grants = (await oauthMetadata(server)).grant_types_supported;
    return Array.isArray(grants) && grants.includes('password') && grants.includes('implicit');
  },
  'jwks-leaks-private-key': async (server) =>
    ((await json(server, `${ISSUER}/jwks`)).keys as Record<string, unknown>[]).some((key) => 'd' in key),
  'oidc-discovery-drops-pkce': async (server) =>
    !('code_challenge_methods_supported' in (await openidMetadata(server))),
  'oidc-issuer-mismatch': async (server) => (await openidMetadata(server)).issuer !== ISSUER,
  // ── Dynamic client registration ──
  'dcr-returns-200': async (server) => (await register(server, VALID_REGISTRATION)).status === 200,
  'dcr-omits-metadata': async (server) =>
    !('redirect_uris' in ((await (await register(server, VALID_REGISTRATION)).json()) as object)),
  'dcr-fixed-client-id': async (server) => {
    const first = (await (await register(server, VALID_REGISTRATION)).json()) as { client_id: string };
    const second = (await (await register(server, VALID_REGISTRATION)).json()) as { client_id: string };
    return first.client_id === second.client_id;
  },
  'dcr-no-secret-expiry': async (server) => {
    const body = (await (await register(server, VALID_REGISTRATION)).json()) as Record<string, unknown>;
    return 'client_secret' in body && !('client_secret_expires_at' in body);
  },
  'dcr-accepts-any-redirect': async (server) =>
    (await register(server, { redirect_uris: ['http://app.example.com/cb#x'] })).status === 201,
  'dcr-redirect-optional': async (server) => (await register(server, {})).status === 201,
  'dcr-skips-metadata-validation': async (server) =>
    (
      await register(server, {
        ...VALID_REGISTRATION,
        response_types: [],
        token_endpoint_auth_method: 'private_key_jwt',
      })
    ).status === 201,
  'dcr-rejects-unknown-fields': async (server) =>
    (await register(server, { ...VALID_REGISTRATION, x_vendor: 1 })).status === 400,
  'dcr-errors-as-text': async (server) => {
    const response = await register(server, {});
    return response.status === 500 && !response.headers.get('content-type')?.includes('json');
  },
  'dcr-accepts-form': async (server) => {
    const form = { redirect_uris: 'https://app.example.com/cb', token_endpoint_auth_method: 'none' };
    return (await postForm(server.handler, `${ISSUER}/register`, form)).status === 201;
  },
  'dcr-rejects-loopback-http': async (server) =>
    (await register(server, { redirect_uris: ['http://127.0.0.1:4000/cb'], application_type: 'native' })).status ===
    400,
  // ── Authorization endpoint ──
  'pkce-optional': async (server) => {
    const location = redirectedTo(
      await authorizeWith(server, { code_challenge: undefined, code_challenge_method: undefined }),
    );
    const code = location?.searchParams.get('code');
    if (!code) return false;
    const redeemed = await redeem(server, { code, verifier: 'z'.repeat(43), redirectUri: PUBLIC_REDIRECT });
    return redeemed.status === 200;
  },
  'pkce-plain-allowed': async (server) => {
    const verifier = 'p'.repeat(43);
    const location = redirectedTo(
      await authorizeWith(server, { code_challenge: verifier, code_challenge_method: 'plain' }),
    );
    return location?.searchParams.has('code') ?? false;
  },
  'pkce-optional-for-confidential': async (server) => {
    const withoutPkce = { code_challenge: undefined, code_challenge_method: undefined, redirect_uri: WEB_REDIRECT };
    const confidential = redirectedTo(
      await authorizeWith(server, { ...withoutPkce, client_id: CLIENTS.basic.client_id }),
    );
    const publicClient = redirectedTo(
      await authorizeWith(server, { code_challenge: undefined, code_challenge_method: undefined }),
    );
    return (confidential?.searchParams.has('code') ?? false) && !(publicClient?.searchParams.has('code') ?? false);
  },
  'pkce-method-defaults-plain': async (server) => {
    const location = redirectedTo(await authorizeWith(server, { code_challenge_method: undefined }));
    return location?.searchParams.has('code') ?? false;
  },
  'state-dropped': async (server) => !(await successRedirect(server)).searchParams.has('state'),
  'state-dropped-on-error': async (server) => !(await errorRedirect(server)).searchParams.has('state'),
  'iss-omitted': async (server) => !(await successRedirect(server)).searchParams.has('iss'),
  'iss-omitted-on-error': async (server) => !(await errorRedirect(server)).searchParams.has('iss'),
  'iss-wrong-value': async (server) => (await successRedirect(server)).searchParams.get('iss') !== ISSUER,
  'iss-not-advertised': async (server) =>
    (await oauthMetadata(server)).authorization_response_iss_parameter_supported !== true &&
    (await successRedirect(server)).searchParams.has('iss'),
  'redirect-prefix-match': async (server) =>
    redirectedTo(await authorizeWith(server, { redirect_uri: `${PUBLIC_REDIRECT}/../../evil` })) !== undefined,
  'open-redirect-on-error': async (server) =>
    redirectedTo(await authorizeWith(server, { client_id: 'nobody', redirect_uri: 'https://evil.example/cb' }))
      ?.host === 'evil.example',
  'loopback-port-exact': async (server) =>
    (await authorizeWith(server, { redirect_uri: 'http://127.0.0.1:40000/callback' })).status === 400,
  'implicit-allowed': async (server) =>
    redirectedTo(await authorizeWith(server, { response_type: 'token' }))?.hash.includes('access_token=') ?? false,
  // ── Token endpoint ──
  'pkce-verifier-unchecked': async (server) =>
    (await redeem(server, await obtainCode(server), { code_verifier: 'w'.repeat(43) })).status === 200,
  'pkce-verifier-shape-unchecked': async (server) => {
    const { verifier, challenge } = await pkcePair('short!');
    const issued = await obtainCode(server, { code_challenge: challenge });
    return (await redeem(server, { ...issued, verifier })).status === 200;
  },
  'pkce-s256-hex': async (server) => (await tokenResponse(server)).status !== 200,
  'code-reusable': async (server) => {
    const issued = await obtainCode(server);
    await redeem(server, issued);
    return (await redeem(server, issued)).status === 200;
  },
  'code-replay-keeps-tokens': async (server) => {
    const issued = await obtainCode(server);
    const token = ((await (await redeem(server, issued)).json()) as { access_token: string }).access_token;
    const replay = await redeem(server, issued);
    return replay.status === 400 && ((await introspect(server, token)) as { active: boolean }).active;
  },
  'code-not-bound-to-client': async (server) => {
    const other = { client_id: CLIENTS.post.client_id, client_secret: CLIENTS.post.client_secret };
    return (await redeem(server, await obtainCode(server), other)).status === 200;
  },
  'code-not-bound-to-redirect': async (server) =>
    (await redeem(server, await obtainCode(server), { redirect_uri: 'http://127.0.0.1:5555/other' })).status === 200,
  'code-never-expires': async (server) => {
    const issued = await obtainCode(server);
    server.clock.advance(60 * 60_000);
    return (await redeem(server, issued)).status === 200;
  },
  'resource-not-bound': async (server) => {
    const response = await redeem(server, await obtainCode(server), { resource: 'https://other.reference.test/mcp' });
    return response.status === 200;
  },
  'token-response-cacheable': async (server) =>
    (await tokenResponse(server)).headers.get('cache-control') !== 'no-store',
  'audience-not-bound': async (server) => decodeJwt(await accessToken(server)).aud === ISSUER,
  'at-typ-jwt': async (server) => decodeProtectedHeader(await accessToken(server)).typ === 'JWT',
  'long-lived-access-tokens': async (server) =>
    ((await (await tokenResponse(server)).json()) as { expires_in: number }).expires_in > 24 * 60 * 60,
  'token-errors-not-json': async (server) => {
    const response = await redeem(server, await obtainCode(server), { code_verifier: 'w'.repeat(43) });
    return response.status === 200 && !response.headers.get('content-type')?.includes('json');
  },
  'invalid-client-400': async (server) => {
    const issued = await obtainCode(server, { client_id: CLIENTS.basic.client_id, redirect_uri: WEB_REDIRECT });
    const response = await redeem(server, issued, { client_id: undefined }, basic(CLIENTS.basic.client_id, 'wrong'));
    return response.status === 400 && !response.headers.has('www-authenticate');
  },
  'confidential-auth-skipped': async (server) => {
    const issued = await obtainCode(server, { client_id: CLIENTS.basic.client_id, redirect_uri: WEB_REDIRECT });
    return (await redeem(server, issued, { client_id: CLIENTS.basic.client_id })).status === 200;
  },
  // ── Refresh tokens ──
  'refresh-not-rotated': async (server) => {
    const { clientId, spent, successor } = await rotatedPair(server);
    return successor === undefined && (await refresh(server, clientId, spent)).status === 200;
  },
  'refresh-reuse-undetected': async (server) => {
    const { clientId, spent, successor } = await rotatedPair(server);
    return successor !== undefined && (await refresh(server, clientId, spent)).status === 200;
  },
  'refresh-reuse-keeps-family': async (server) => {
    const { clientId, spent, successor } = await rotatedPair(server);
    const reuse = await refresh(server, clientId, spent);
    return reuse.status === 400 && (await refresh(server, clientId, successor ?? spent)).status === 200;
  },
  'refresh-not-bound-to-client': async (server) => {
    const token = await refreshTokenOf(server, await refreshClientId(server));
    return (await refresh(server, await refreshClientId(server), token)).status === 200;
  },
  'refresh-scope-widening': (server) => refreshedWith(server, { scope: 'mcp:tools mcp:admin' }),
  'refresh-resource-widening': (server) => refreshedWith(server, { resource: OTHER_RESOURCE }),
  'refresh-survives-revocation': async (server) => {
    const clientId = await refreshClientId(server);
    const token = await refreshTokenOf(server, clientId);
    await revoke(server, { token, client_id: clientId });
    return (await refresh(server, clientId, token)).status === 200;
  },
  'refresh-never-expires': async (server) => {
    const clientId = await refreshClientId(server);
    const token = await refreshTokenOf(server, clientId);
    server.clock.advance(400 * 24 * 60 * 60_000);
    return (await refresh(server, clientId, token)).status === 200;
  },
  // ── Client credentials ──
  'client-credentials-for-public-clients': async (server) => {
    const client = await registeredMachineClient(server, { token_endpoint_auth_method: 'none' });
    return (await clientCredentials(server, { client_id: client.client_id })).status === 200;
  },
  'client-assertion-replay': async (server) => {
    const client = await assertingClient(server);
    const assertion = await client.sign();
    await clientCredentials(server, client.fields(assertion));
    return (await clientCredentials(server, client.fields(assertion))).status === 200;
  },
  'client-assertion-audience-unchecked': async (server) => {
    const client = await assertingClient(server);
    const assertion = await client.sign({ aud: 'https://elsewhere.example/token' });
    return (await clientCredentials(server, client.fields(assertion))).status === 200;
  },
  'client-assertion-expiry-unchecked': async (server) => {
    const client = await assertingClient(server);
    const assertion = await client.sign({ exp: Math.floor(server.clock.now() / 1000) - 60 });
    return (await clientCredentials(server, client.fields(assertion))).status === 200;
  },
  'client-assertion-unsigned': async (server) => {
    const client = await assertingClient(server);
    const assertion = await client.sign({}, (await generateKeyPair('ES256')).privateKey);
    return (await clientCredentials(server, client.fields(assertion))).status === 200;
  },
  'client-credentials-audience-unbound': async (server) => {
    const client = await registeredMachineClient(server, { token_endpoint_auth_method: 'client_secret_basic' });
    const response = await clientCredentials(server, {}, basic(client.client_id, client.client_secret ?? ''));
    const { access_token } = (await response.json()) as { access_token: string };
    return decodeJwt(access_token).aud === ISSUER;
  },
};

/** The authorization server's sections of defects.ts end with this defect; the resource server's follow. */
const LAST_AUTHORIZATION_SERVER_DEFECT: Defect = 'client-credentials-audience-unbound';

describe('deliberate defects of the authorization server', () => {
  it('has a probe for every authorization server defect', () => {
    const names = Object.keys(DEFECTS);
    const authorizationServerDefects = names.slice(0, names.indexOf(LAST_AUTHORIZATION_SERVER_DEFECT) + 1);
    expect(Object.keys(PROBES).sort()).toEqual(authorizationServerDefects.sort());
  });

  it.each(Object.entries(PROBES))('%s: the bug appears only with the defect', async (defect, probe) => {
    expect(await probe(await createTestServer()), 'visible on the correct server').toBe(false);
    expect(await probe(await createTestServer({ defects: [defect as Defect] })), 'visible with the defect').toBe(true);
  });
});

// ── Client credentials: machine clients registered by DCR, and their RFC 7523 client assertions ──

interface MachineClient {
  client_id: string;
  client_secret?: string;
}

async function registeredMachineClient(server: TestServer, metadata: Record<string, unknown>): Promise<MachineClient> {
  const registration = { grant_types: ['client_credentials'], response_types: [], ...metadata };
  return (await (await register(server, registration)).json()) as MachineClient;
}

function clientCredentials(server: TestServer, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return postForm(server.handler, `${ISSUER}/token`, { grant_type: 'client_credentials', ...fields }, headers);
}

/** A private_key_jwt client registered with an ES256 key, signing assertions for the token endpoint by default. */
async function assertingClient(server: TestServer) {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256' }] };
  const { client_id } = await registeredMachineClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks });
  return {
    sign(overrides: JWTPayload = {}, key: CryptoKey = privateKey): Promise<string> {
      const exp = Math.floor(server.clock.now() / 1000) + 60;
      const claims = { iss: client_id, sub: client_id, aud: `${ISSUER}/token`, exp, jti: crypto.randomUUID() };
      return new SignJWT({ ...claims, ...overrides }).setProtectedHeader({ alg: 'ES256' }).sign(key);
    },
    fields: (assertion: string) => ({ client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion }),
  };
}
