/**
 * OAuth 2.1 §4.2 client credentials, with shared-secret and private_key_jwt (RFC 7523) client authentication.
 * private_key_jwt is checked with a client the harness registers by DCR with its own key (RFC 7591 `jwks`).
 */
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { type Check, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply, type HttpReply, isJsonContentType, member, readReply } from '../../harness/http.ts';
import { audiences, decodeAccessToken } from '../../harness/jwt.ts';
import type { OAuthClient } from '../../harness/oauth.ts';
import type { NegativeCase } from '../suite.ts';

const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const NEEDS = ['resource', 'client-credentials'] as const;

// ── How the checks talk to the token endpoint ─────────────────────────────────────────────────────────────────

/** A correct client_credentials request for the target's resource and basic scope; `null` leaves a parameter out. */
function grantParams(ctx: CheckContext, overrides: Record<string, string | null> = {}) {
  return {
    grant_type: 'client_credentials',
    resource: ctx.target.resource,
    scope: ctx.target.scopes?.basic,
    ...overrides,
  };
}

function requestToken(ctx: CheckContext, client: OAuthClient, overrides: Record<string, string | null> = {}) {
  return ctx.oauth.tokenRequest(grantParams(ctx, overrides), client);
}

/** The access token of a successful reply; anything else means the thing checked did not happen. */
function issuedAccessToken(reply: HttpReply, what: string): string {
  const token = member(reply, 'access_token');
  expect.that(
    reply.status === 200 && typeof token === 'string',
    `${what} was refused: ${describeReply(reply)}; a registered confidential client asking for the client_credentials ` +
      'grant with correct credentials gets an access token (OAuth 2.1 §4.2)',
  );
  return token;
}

/** The token works where it is meant to: the MCP server answers initialize with it. */
async function expectAcceptedByMcpServer(ctx: CheckContext, token: string, how: string): Promise<void> {
  const reply = await ctx.mcp.post({ token });
  expect.that(
    reply.status === 200,
    `the MCP server refused the client_credentials token obtained ${how} (${describeReply(reply)}); the token must ` +
      `be issued for the requested resource ${ctx.target.resource} (RFC 8707) and accepted there`,
  );
}

async function advertisedAuthMethods(ctx: CheckContext): Promise<unknown> {
  const { metadata } = await ctx.discovery.authorizationServerMetadata();
  return metadata.token_endpoint_auth_methods_supported;
}

/** A client_credentials client registered by DCR; SKIPs when the AS cannot register one. */
async function registeredMachineClient(ctx: CheckContext, metadata: Record<string, unknown>, why: string) {
  if (!(await ctx.oauth.canRegister())) ctx.skip(`${why}, and the AS offers no registration_endpoint`);
  const reply = await ctx.oauth.register({
    client_name: 'mcp-auth-conformance machine client',
    grant_types: ['client_credentials'],
    response_types: [],
    ...metadata,
  });
  const clientId = member(reply, 'client_id');
  if (reply.status >= 300 || typeof clientId !== 'string') {
    ctx.skip(`${why}, and DCR refused to register one: ${describeReply(reply)}`);
  }
  return { reply, clientId };
}

// ── private_key_jwt: a client the check registers with its own key ───────────────────────────────────────────

interface AssertingClient {
  clientId: string;
  tokenEndpoint: string;
  /** A fresh assertion: iss = sub = client_id, aud = the token endpoint, exp in a minute, a new jti. */
  sign(overrides?: JWTPayload, options?: { foreignKey?: boolean }): Promise<string>;
}

/** The target's current time: the harness's clock when it controls the target's, else real time. */
function targetNow(ctx: CheckContext): number {
  return Math.floor((ctx.clock?.now() ?? Date.now()) / 1000);
}

/**
 * Registers a private_key_jwt client (RFC 7591 `jwks` by value, ES256) by DCR. SKIPs when the AS does not list
 * private_key_jwt (CC-CLIENT-AUTH lets it offer client secrets only) or cannot register such a client.
 */
async function assertingClient(ctx: CheckContext): Promise<AssertingClient> {
  const methods = await advertisedAuthMethods(ctx);
  if (!Array.isArray(methods) || !methods.includes('private_key_jwt')) {
    ctx.skip(
      `the AS does not list private_key_jwt in token_endpoint_auth_methods_supported (${JSON.stringify(methods)})`,
    );
  }
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `conformance-${crypto.randomUUID()}`;
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const { clientId } = await registeredMachineClient(
    ctx,
    { token_endpoint_auth_method: 'private_key_jwt', jwks },
    'checking private_key_jwt needs a client whose key the harness holds',
  );
  const tokenEndpoint = await ctx.discovery.endpoint('token_endpoint');
  return {
    clientId,
    tokenEndpoint,
    async sign(overrides = {}, options = {}) {
      const key = options.foreignKey ? (await generateKeyPair('ES256')).privateKey : privateKey;
      const claims = { iss: clientId, sub: clientId, aud: tokenEndpoint, exp: targetNow(ctx) + 60 };
      const payload = { ...claims, iat: targetNow(ctx), jti: crypto.randomUUID(), ...overrides };
      return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid }).sign(key);
    },
  };
}

/** RFC 7523 §2.2: the assertion goes in the form body with its type; no other client credentials. */
async function requestWithAssertion(ctx: CheckContext, client: AssertingClient, assertion: string) {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(grantParams(ctx))) if (value) body.set(name, value);
  body.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
  body.set('client_assertion', assertion);
  const response = await ctx.fetch(client.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body,
  });
  return readReply(response, client.tokenEndpoint);
}

/** An assertion the AS must refuse: RFC 7523 §3.1 makes every client assertion failure invalid_client. */
async function expectAssertionRefused(
  ctx: CheckContext,
  client: AssertingClient,
  assertion: string,
  why: string,
): Promise<string> {
  return expect.tokenError(await requestWithAssertion(ctx, client, assertion), ['invalid_client'], why);
}

// ── Checks ────────────────────────────────────────────────────────────────────────────────────────────────────

export const tokenForMachineClient = check({
  id: 'grants.client-credentials-token',
  title: "The target's machine client gets a client_credentials token the MCP server accepts",
  description:
    'OAuth 2.1 §4.2: a confidential client authenticates and gets an access token for itself; MCP client ' +
    'credentials: the client authenticates with a client secret (or a JWT) and sends resource and scope.',
  requirements: ['CC-GRANT', 'CC-CLIENT-AUTH'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const client = await ctx.oauth.machineClient();
    const token = issuedAccessToken(await requestToken(ctx, client), `the client_credentials request (${client.auth})`);
    await expectAcceptedByMcpServer(ctx, token, `with ${client.auth}`);
    return `token issued to ${client.client_id} (${client.auth}) and accepted by the MCP server`;
  },
});

function hasNoStore(reply: HttpReply): boolean {
  return (reply.headers.get('cache-control') ?? '')
    .split(',')
    .some((directive) => directive.trim().toLowerCase() === 'no-store');
}

export const secretPostTokenResponse = check({
  id: 'grants.client-credentials-secret-post',
  title: 'A client_secret_post machine client gets a JSON Bearer token response that is never cached',
  description:
    'OAuth 2.1 §2.4.1: the AS accepts client credentials in the request body; §3.2.3: the token response is JSON ' +
    'with access_token and token_type, with Cache-Control: no-store.',
  requirements: ['CC-CLIENT-AUTH', 'OA21-TOKEN-RESPONSE'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const methods = await advertisedAuthMethods(ctx);
    if (!Array.isArray(methods) || !methods.includes('client_secret_post')) {
      ctx.skip(
        `the AS does not list client_secret_post (token_endpoint_auth_methods_supported = ${JSON.stringify(methods)})`,
      );
    }
    const client = await secretPostClient(ctx);
    const reply = await requestToken(ctx, client);
    issuedAccessToken(reply, 'the client_credentials request with client_secret_post');
    expect.that(
      isJsonContentType(reply.headers) && String(member(reply, 'token_type')).toLowerCase() === 'bearer',
      `the token response is ${reply.headers.get('content-type')} with token_type ` +
        `${JSON.stringify(member(reply, 'token_type'))}; expected application/json and "Bearer"`,
    );
    expect.that(
      hasNoStore(reply),
      `the token response has Cache-Control: ${JSON.stringify(reply.headers.get('cache-control'))}; responses ` +
        'carrying tokens must say no-store so no cache keeps a machine credential',
    );
    return 'client_secret_post accepted; JSON, Bearer, Cache-Control: no-store';
  },
});

/** The declared machine client when it uses client_secret_post, else one registered by DCR for it. */
async function secretPostClient(ctx: CheckContext): Promise<OAuthClient> {
  const declared = await ctx.oauth.machineClient();
  if (declared.auth === 'client_secret_post') return declared;
  const why = 'the declared machine client uses client_secret_basic';
  const { reply, clientId } = await registeredMachineClient(
    ctx,
    { token_endpoint_auth_method: 'client_secret_post' },
    why,
  );
  const secret = member(reply, 'client_secret');
  if (typeof secret !== 'string') ctx.skip(`${why}, and DCR issued no client_secret: ${describeReply(reply)}`);
  return { client_id: clientId, client_secret: secret, redirect_uri: '', auth: 'client_secret_post', source: 'dcr' };
}

export const tokenAudienceIsResource = check({
  id: 'grants.client-credentials-audience',
  title: 'A client_credentials token is audience-bound to the requested resource',
  description:
    'RFC 8707 §2 and MCP "Token Audience Binding": the AS issues the token for the resource named in the request, ' +
    'so it is useless at any other server.',
  requirements: ['CC-GRANT', 'AS-AUD-BINDING'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const client = await ctx.oauth.machineClient();
    const token = issuedAccessToken(await requestToken(ctx, client), 'the client_credentials request');
    const jwt = decodeAccessToken(token);
    if (!jwt) return ctx.skip('the access token is opaque; its audience cannot be read');
    const { aud } = jwt.claims;
    expect.that(
      ctx.target.resource !== undefined && audiences(jwt.claims).includes(ctx.target.resource),
      `the token's aud is ${JSON.stringify(aud)}; expected the requested resource ${ctx.target.resource}. A token ` +
        'not bound to its resource can be replayed at every server that trusts this AS',
    );
    return `aud = ${JSON.stringify(aud)}`;
  },
});

export const wrongSecretRefused = check({
  id: 'grants.client-credentials-wrong-secret',
  title: 'A client_credentials request with a wrong secret is refused with 401 invalid_client',
  description:
    'OAuth 2.1 §3.2.1 and §4.2: the AS authenticates the client; a failed authentication is invalid_client, HTTP ' +
    '401 when the client authenticated (RFC 6749 §5.2).',
  requirements: ['OA21-CONF-AUTH', 'OA21-TOKEN-ERRORS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const client = await ctx.oauth.machineClient();
    const impostor = { ...client, client_secret: `wrong-${crypto.randomUUID()}` };
    const reply = await requestToken(ctx, impostor);
    const observed = expect.tokenError(reply, ['invalid_client'], 'the client secret was wrong');
    expect.status(reply, 401, 'A failed client authentication is answered 401 (RFC 6749 §5.2, OAuth 2.1 §3.2.4).');
    return observed;
  },
});

export const publicClientRefused = check({
  id: 'grants.client-credentials-public-client-refused',
  title: 'A public client cannot use the client_credentials grant',
  description:
    'OAuth 2.1 §4.2: the client credentials grant MUST only be used by confidential clients, and the AS MUST ' +
    'authenticate the client.',
  requirements: ['CC-AS-CONFIDENTIAL', 'OA21-CC-CONFIDENTIAL'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const client = await publicMachineClient(ctx);
    const reply = await requestToken(ctx, client);
    return expect.tokenError(
      reply,
      ['unauthorized_client', 'invalid_client'],
      `public client ${client.client_id} sent only its client_id; without authentication anyone knowing a client_id ` +
        'would get tokens',
    );
  },
});

/** A public client that asked for client_credentials (DCR), else the run's public client. */
async function publicMachineClient(ctx: CheckContext): Promise<OAuthClient> {
  if (await ctx.oauth.canRegister()) {
    const reply = await ctx.oauth.register({
      client_name: 'mcp-auth-conformance public machine client',
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'none',
    });
    const clientId = member(reply, 'client_id');
    if (reply.status < 300 && typeof clientId === 'string') {
      return { client_id: clientId, redirect_uri: '', auth: 'none', source: 'dcr' };
    }
  }
  return ctx.oauth.publicClient();
}

export const metadataAuthMethods = check({
  id: 'grants.client-credentials-metadata-auth-methods',
  title: 'AS metadata lists private_key_jwt or client_secret_basic in token_endpoint_auth_methods_supported',
  description:
    'MCP client credentials, Server Metadata Requirements: token_endpoint_auth_methods_supported includes at least ' +
    'one of private_key_jwt and client_secret_basic.',
  requirements: ['CC-AS-META-AUTH-METHODS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const methods = await advertisedAuthMethods(ctx);
    const listed = Array.isArray(methods)
      ? methods.filter((m) => m === 'private_key_jwt' || m === 'client_secret_basic')
      : [];
    expect.that(
      listed.length > 0,
      `token_endpoint_auth_methods_supported is ${JSON.stringify(methods)}; machine clients learn from it how to ` +
        'authenticate, so it must list private_key_jwt (recommended) or client_secret_basic',
    );
    return `lists ${listed.join(', ')}`;
  },
});

export const metadataSigningAlgs = check({
  id: 'grants.client-credentials-metadata-signing-algs',
  title: 'With private_key_jwt, AS metadata lists the assertion signing algorithms, without "none"',
  description:
    'MCP client credentials: token_endpoint_auth_signing_alg_values_supported is present when JWT authentication ' +
    'is supported; RFC 8414 §2: "none" MUST NOT be listed.',
  requirements: ['CC-AS-META-SIGNING-ALGS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const methods = await advertisedAuthMethods(ctx);
    if (!Array.isArray(methods) || !methods.includes('private_key_jwt')) {
      ctx.skip('the AS does not list private_key_jwt, so no signing algorithms are needed');
    }
    const { metadata } = await ctx.discovery.authorizationServerMetadata();
    const algs = metadata.token_endpoint_auth_signing_alg_values_supported;
    expect.that(
      Array.isArray(algs) && algs.length > 0,
      `token_endpoint_auth_signing_alg_values_supported is ${JSON.stringify(algs)}; with private_key_jwt listed, ` +
        'clients need it to know which algorithm to sign their assertions with',
    );
    expect.that(
      !algs.includes('none'),
      `token_endpoint_auth_signing_alg_values_supported lists "none" (${JSON.stringify(algs)}); an unsigned ` +
        'assertion proves nothing, and RFC 8414 §2 forbids listing it',
    );
    return `signing algorithms ${algs.join(', ')}`;
  },
});

export const privateKeyJwtToken = check({
  id: 'grants.private-key-jwt-token',
  title: 'A private_key_jwt client assertion (RFC 7523) gets a client_credentials token the MCP server accepts',
  description:
    "RFC 7523 §2.2/§3 and MCP client credentials: client_assertion_type jwt-bearer, a JWT signed with the client's " +
    'key, iss = sub = client_id, aud = the token endpoint, exp and jti.',
  requirements: ['CC-JWT-CLAIMS', 'CC-CLIENT-AUTH', 'R7523-CLIENT-AUTH'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const client = await assertingClient(ctx);
    const reply = await requestWithAssertion(ctx, client, await client.sign());
    const token = issuedAccessToken(reply, 'the client_credentials request with a valid client assertion');
    await expectAcceptedByMcpServer(ctx, token, 'with private_key_jwt');
    return `token issued to ${client.clientId} (private_key_jwt) and accepted by the MCP server`;
  },
});

export const assertionReplayRefused = check({
  id: 'grants.client-assertion-replay',
  title: 'A client assertion is accepted once: its replay is refused',
  description:
    'RFC 7523 §3 item 7: the AS may keep the jti values it has seen until they expire and refuse a replayed ' +
    'assertion; a captured assertion then cannot be reused for its remaining lifetime.',
  requirements: ['R7523-JTI', 'CC-JWT-CLAIMS'],
  level: 'SHOULD',
  needs: NEEDS,
  async run(ctx) {
    const client = await assertingClient(ctx);
    const assertion = await client.sign();
    issuedAccessToken(await requestWithAssertion(ctx, client, assertion), 'the first use of a valid client assertion');
    return expectAssertionRefused(
      ctx,
      client,
      assertion,
      'the same assertion (same jti) was presented a second time; whoever captures it could obtain tokens until it expires',
    );
  },
});

export const assertionAudienceChecked = check({
  id: 'grants.client-assertion-wrong-audience',
  title: 'A client assertion for another audience is refused',
  description: 'RFC 7523 §3 item 3: the AS rejects a JWT whose aud does not identify it (issuer or token endpoint).',
  requirements: ['R7523-AUD', 'CC-JWT-CLAIMS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const client = await assertingClient(ctx);
    const assertion = await client.sign({ aud: 'https://conformance.invalid/token' });
    return expectAssertionRefused(
      ctx,
      client,
      assertion,
      'its aud names another server; an assertion made for one AS must not open another',
    );
  },
});

export const assertionExpiryChecked = check({
  id: 'grants.client-assertion-expired',
  title: 'An expired client assertion is refused',
  description: 'RFC 7523 §3 item 4: the AS rejects a JWT whose exp has passed (allowing a small clock skew).',
  requirements: ['R7523-EXP', 'CC-JWT-CLAIMS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const client = await assertingClient(ctx);
    const past = targetNow(ctx) - 600;
    const assertion = await client.sign({ iat: past - 60, exp: past });
    return expectAssertionRefused(ctx, client, assertion, 'its exp was ten minutes in the past');
  },
});

export const assertionSignatureChecked = check({
  id: 'grants.client-assertion-foreign-key',
  title: 'A client assertion signed with a key the client never registered is refused',
  description: "RFC 7523 §3 item 9: the AS rejects a JWT whose signature does not verify with the client's keys.",
  requirements: ['R7523-SIG', 'CC-JWT-CLAIMS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const client = await assertingClient(ctx);
    const assertion = await client.sign({}, { foreignKey: true });
    return expectAssertionRefused(
      ctx,
      client,
      assertion,
      'it was signed with a key the client never registered; anyone could forge it',
    );
  },
});

export const unsignedAssertionRefused = check({
  id: 'grants.client-assertion-alg-none',
  title: 'An unsigned client assertion (alg "none") is refused',
  description: 'RFC 7523 §3 item 9: the JWT MUST be digitally signed or MACed; alg "none" is neither.',
  requirements: ['R7523-SIG', 'CC-JWT-CLAIMS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const client = await assertingClient(ctx);
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = targetNow(ctx);
    const claims = { iss: client.clientId, sub: client.clientId, aud: client.tokenEndpoint, iat: now, exp: now + 60 };
    const assertion = `${encode({ alg: 'none' })}.${encode({ ...claims, jti: crypto.randomUUID() })}.`;
    return expectAssertionRefused(ctx, client, assertion, 'it carries no signature at all; anyone could write it');
  },
});

export const clientCredentialsChecks: Check[] = [
  tokenForMachineClient,
  secretPostTokenResponse,
  tokenAudienceIsResource,
  wrongSecretRefused,
  publicClientRefused,
  metadataAuthMethods,
  metadataSigningAlgs,
  privateKeyJwtToken,
  assertionReplayRefused,
  assertionAudienceChecked,
  assertionExpiryChecked,
  assertionSignatureChecked,
  unsignedAssertionRefused,
];

export const clientCredentialsNegatives: Record<string, NegativeCase> = {
  'grants.client-credentials-token': { defect: 'client-credentials-audience-unbound' },
  'grants.client-credentials-secret-post': { defect: 'token-response-cacheable' },
  'grants.client-credentials-audience': { defect: 'client-credentials-audience-unbound' },
  'grants.client-credentials-wrong-secret': { defect: 'invalid-client-400' },
  'grants.client-credentials-public-client-refused': { defect: 'client-credentials-for-public-clients' },
  'grants.client-credentials-metadata-auth-methods': { defect: 'metadata-omits-optional' },
  'grants.client-credentials-metadata-signing-algs': { defect: 'metadata-none-alg' },
  'grants.private-key-jwt-token': { defect: 'client-credentials-audience-unbound' },
  'grants.client-assertion-replay': { defect: 'client-assertion-replay' },
  'grants.client-assertion-wrong-audience': { defect: 'client-assertion-audience-unchecked' },
  'grants.client-assertion-expired': { defect: 'client-assertion-expiry-unchecked' },
  'grants.client-assertion-foreign-key': { defect: 'client-assertion-unsigned' },
  'grants.client-assertion-alg-none': { defect: 'client-assertion-unsigned' },
};
