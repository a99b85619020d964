/** RFC 7591 registration policy and RFC 7592 client management (read, update, delete with the registration access token). */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { BlockedError, type Check, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply, type HttpReply, isJsonObject, member, readReply } from '../../harness/http.ts';
import { type ClientAuthMethod, type OAuthClient, summarizeAuthorization } from '../../harness/oauth.ts';
import type { NegativeCase } from '../suite.ts';
import {
  type ClientMetadata,
  expectRegistered,
  expectRegistrationError,
  publicClientMetadata,
  registeredClientId,
} from './client-metadata.ts';

// ── Shared steps ────────────────────────────────────────────────────────────────────────────────────────────────

/** A registration and, when the AS offers RFC 7592, the credentials that manage it. */
interface ManagedClient {
  clientId: string;
  token: string;
  uri: string;
  reply: HttpReply;
  secret?: string;
  auth: ClientAuthMethod;
}

const NO_MANAGEMENT =
  'the registration response has no registration_access_token: the AS does not offer RFC 7592 client management (optional)';

/** Registers a client (public unless told) and SKIPs when the AS issues no registration access token. */
async function registerManaged(
  ctx: CheckContext,
  changes: ClientMetadata = {},
  options: { confidential?: boolean } = {},
): Promise<ManagedClient> {
  const auth = options.confidential ? await ctx.oauth.secretMethod() : 'none';
  const reply = await ctx.oauth.register(
    publicClientMetadata(ctx.target.redirectUri, { token_endpoint_auth_method: auth, ...changes }),
  );
  const clientId = expectRegistered(reply, 'A plain client registration is the prerequisite of this check');
  const token = member(reply, 'registration_access_token');
  const uri = member(reply, 'registration_client_uri');
  if (typeof token !== 'string') ctx.skip(NO_MANAGEMENT);
  expect.that(
    typeof uri === 'string' && URL.canParse(uri),
    `the registration response has a registration_access_token but registration_client_uri is ${JSON.stringify(uri)}; ` +
      'RFC 7592 §3 returns both, so the client knows where to manage its registration',
  );
  const secret = member(reply, 'client_secret');
  return { clientId, token, uri, reply, auth, ...(typeof secret === 'string' ? { secret } : {}) };
}

/** RFC 7592 §2: a call to the client configuration endpoint with the registration access token as a Bearer token. */
async function configurationRequest(
  ctx: CheckContext,
  uri: string,
  method: 'GET' | 'PUT' | 'DELETE',
  token: string | undefined,
  body?: unknown,
): Promise<HttpReply> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await ctx.fetch(uri, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return readReply(response, uri);
}

/** RFC 7592 §2.2: an update sends every metadata value, not the server-managed members of the response. */
function updateBody(information: HttpReply, changes: ClientMetadata): ClientMetadata {
  const body: ClientMetadata = isJsonObject(information.json) ? { ...information.json } : {};
  for (const managed of [
    'registration_access_token',
    'registration_client_uri',
    'client_secret_expires_at',
    'client_id_issued_at',
  ]) {
    delete body[managed];
  }
  return { ...body, ...changes };
}

function expectSuccess(reply: HttpReply, status: number, why: string): void {
  expect.status(reply, status, why);
}

/** The reply to a token request with a bogus code: invalid_client means the credentials were refused. */
async function credentialsAccepted(
  ctx: CheckContext,
  client: OAuthClient,
): Promise<{ accepted: boolean; reply: HttpReply }> {
  const reply = await ctx.oauth.tokenRequest(
    {
      grant_type: 'authorization_code',
      code: `mcp-conformance-no-such-code-${randomUUID()}`,
      redirect_uri: client.redirect_uri,
      code_verifier: 'a'.repeat(43),
    },
    client,
  );
  return { accepted: member(reply, 'error') !== 'invalid_client' && reply.status !== 401, reply };
}

function confidentialClient(managed: ManagedClient, secret: string, redirectUri: string): OAuthClient {
  return {
    client_id: managed.clientId,
    client_secret: secret,
    redirect_uri: redirectUri,
    auth: managed.auth,
    source: 'dcr',
  };
}

function cacheControl(reply: HttpReply): string {
  return reply.headers.get('cache-control') ?? '(none)';
}

function noStore(reply: HttpReply): boolean {
  return /\bno-store\b/i.test(reply.headers.get('cache-control') ?? '');
}

/** The AS either refused the registration (400, one of `errors`) or registered it without `stillWrong`. */
function expectRefusedOrCorrected(
  reply: HttpReply,
  errors: readonly string[],
  stillWrong: (registered: HttpReply) => string | undefined,
  why: string,
): string {
  if (!registeredClientId(reply)) return expectRegistrationError(reply, errors, why);
  const problem = stillWrong(reply);
  expect.that(
    problem === undefined,
    `the AS registered the client and ${problem}; expected HTTP 400 error=${errors.join('|')} (or the value ` +
      `replaced by a valid one in the response, RFC 7591 §2). ${why}`,
  );
  return 'registered with the offending value left out or replaced (RFC 7591 §2 allows this)';
}

/** An EC public key (and its private half, to plant in a bad request), made fresh for the run. */
async function clientKey(): Promise<{ publicJwk: JWK; privateJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { publicJwk: await exportJWK(publicKey), privateJwk: await exportJWK(privateKey) };
}

async function requirePrivateKeyJwt(ctx: CheckContext): Promise<void> {
  const { metadata } = await ctx.discovery.authorizationServerMetadata();
  const methods = metadata.token_endpoint_auth_methods_supported;
  if (!Array.isArray(methods) || !methods.includes('private_key_jwt')) {
    ctx.skip('the AS does not list private_key_jwt in token_endpoint_auth_methods_supported');
  }
}

// ── RFC 7592 client management ─────────────────────────────────────────────────────────────────────────────

const managementCredentials = check({
  id: 'registration.dcr-management-credentials',
  title: 'registration_access_token and registration_client_uri come together',
  description:
    'RFC 7592 §3: a server offering client management returns both the registration access token and the client ' +
    'configuration endpoint URL in the client information response.',
  requirements: ['R7592-CREDENTIALS'],
  level: 'MUST',
  needs: ['dcr'],
  async run(ctx) {
    const reply = await ctx.oauth.register(publicClientMetadata(ctx.target.redirectUri));
    expectRegistered(reply, 'A plain public client registration is the prerequisite of this check');
    const token = member(reply, 'registration_access_token');
    const uri = member(reply, 'registration_client_uri');
    if (token === undefined && uri === undefined) ctx.skip(NO_MANAGEMENT);
    expect.that(
      typeof token === 'string' && token.length > 0,
      `registration_client_uri ${JSON.stringify(uri)} came without a registration_access_token; RFC 7592 §3 requires ` +
        'both, or the client cannot authenticate to manage its registration',
    );
    expect.that(
      typeof uri === 'string' && URL.canParse(uri),
      `registration_client_uri is ${JSON.stringify(uri)}; RFC 7592 §3 requires the absolute URL of the client configuration endpoint`,
    );
    const url = new URL(uri);
    expect.that(
      url.protocol === 'https:' || ctx.target.allowInsecureHttp,
      `registration_client_uri ${uri} is not https; the registration access token travels to it (RFC 7592 §5)`,
    );
    return `registration_access_token and registration_client_uri ${uri} issued`;
  },
});

const managementRead = check({
  id: 'registration.dcr-management-read',
  title: 'Reading the client configuration returns the current registration',
  description:
    'RFC 7592 §2.1: GET on registration_client_uri with the registration access token returns the client information ' +
    'response (RFC 7591 §3.2.1) with all registered metadata.',
  requirements: ['R7592-READ'],
  level: 'MUST',
  needs: ['dcr'],
  async run(ctx) {
    const managed = await registerManaged(ctx);
    const reply = await configurationRequest(ctx, managed.uri, 'GET', managed.token);
    expectSuccess(reply, 200, 'RFC 7592 §2.1: a read with the right token answers 200 with the client information');
    expect.that(
      member(reply, 'client_id') === managed.clientId,
      `the read returned client_id ${JSON.stringify(member(reply, 'client_id'))}, not ${managed.clientId}`,
    );
    const redirectUris = member(reply, 'redirect_uris');
    expect.that(
      Array.isArray(redirectUris) && redirectUris.includes(ctx.target.redirectUri),
      `the read returned redirect_uris ${JSON.stringify(redirectUris)}; RFC 7592 §2.1 returns all registered metadata ` +
        `(expected ${ctx.target.redirectUri} among them)`,
    );
    return `GET ${managed.uri} returned the registration of ${managed.clientId}`;
  },
});

const managementRequiresToken = check({
  id: 'registration.dcr-management-requires-token',
  title: 'The client configuration endpoint refuses requests without the registration access token',
  description:
    'RFC 7592 §2 and RFC 6750 §3.1: a missing or wrong registration access token is answered 401 with a Bearer challenge.',
  requirements: ['R7592-AUTH'],
  level: 'MUST',
  needs: ['dcr'],
  async run(ctx) {
    const managed = await registerManaged(ctx);
    const why = 'Anyone who knows a client_id could otherwise read its secret or rewrite its redirect URIs';
    const missing = await configurationRequest(ctx, managed.uri, 'GET', undefined);
    expect.status(missing, 401, `A read without the registration access token must be refused. ${why}`);
    expect.that(
      /^\s*bearer\b/i.test(missing.headers.get('www-authenticate') ?? ''),
      `the 401 carries WWW-Authenticate ${JSON.stringify(missing.headers.get('www-authenticate'))}; RFC 6750 §3 requires a Bearer challenge`,
    );
    const wrong = await configurationRequest(ctx, managed.uri, 'GET', `${managed.token}x`);
    expect.status(wrong, 401, `A read with a wrong registration access token must be refused. ${why}`);
    return 'no token and a wrong token were both answered 401 with a Bearer challenge';
  },
});

const managementTokenBound = check({
  id: 'registration.dcr-management-token-bound',
  title: "One client's registration access token does not manage another client",
  description: 'RFC 7592 §2: the registration access token is bound to the client it was issued for.',
  requirements: ['R7592-AUTH'],
  level: 'MUST',
  needs: ['dcr'],
  async run(ctx) {
    const first = await registerManaged(ctx);
    const second = await registerManaged(ctx);
    const reply = await configurationRequest(ctx, second.uri, 'GET', first.token);
    expect.that(
      reply.status === 401 || reply.status === 403,
      `the token of ${first.clientId} read the configuration of ${second.clientId} (${describeReply(reply)}); ` +
        'expected 401 (RFC 7592 §2.1). Any registered client could take over every other one',
    );
    return `the token of one client was refused (HTTP ${reply.status}) at another client's configuration endpoint`;
  },
});

const managementUpdate = check({
  id: 'registration.dcr-management-update',
  title: 'An update replaces the registered metadata',
  description:
    'RFC 7592 §2.2: PUT with all metadata replaces the registration; the response and later reads show the new values.',
  requirements: ['R7592-UPDATE'],
  level: 'MUST',
  needs: ['dcr'],
  async run(ctx) {
    const managed = await registerManaged(ctx);
    const newName = `mcp-auth-conformance renamed ${randomUUID().slice(0, 8)}`;
    const reply = await configurationRequest(
      ctx,
      managed.uri,
      'PUT',
      managed.token,
      updateBody(managed.reply, { client_name: newName }),
    );
    expectSuccess(reply, 200, 'RFC 7592 §2.2: a valid update answers 200 with the client information');
    expect.that(
      member(reply, 'client_name') === newName,
      `the update response has client_name ${JSON.stringify(member(reply, 'client_name'))}, not ${JSON.stringify(newName)}`,
    );
    const token =
      typeof member(reply, 'registration_access_token') === 'string'
        ? String(member(reply, 'registration_access_token'))
        : managed.token;
    const read = await configurationRequest(ctx, managed.uri, 'GET', token);
    expect.that(
      member(read, 'client_name') === newName,
      `after the update a read still shows client_name ${JSON.stringify(member(read, 'client_name'))}; the update was ` +
        'answered but not applied (RFC 7592 §2.2)',
    );
    return `client_name updated to ${newName}, and a read shows it`;
  },
});

const managementUpdateValidates = check({
  id: 'registration.dcr-management-update-validates',
  title: 'An update is validated as a registration is',
  description:
    'RFC 7592 §2.2: invalid metadata in an update is refused with the errors of RFC 7591 §3.2.2 (invalid_redirect_uri).',
  requirements: ['R7592-UPDATE', 'R7591-ERR-REDIRECT'],
  level: 'MUST',
  needs: ['dcr'],
  async run(ctx) {
    const managed = await registerManaged(ctx);
    const reply = await configurationRequest(
      ctx,
      managed.uri,
      'PUT',
      managed.token,
      updateBody(managed.reply, { redirect_uris: ['http://mcp-conformance.example.com/callback'] }),
    );
    expect.that(
      reply.status === 400 &&
        ['invalid_redirect_uri', 'invalid_client_metadata'].includes(String(member(reply, 'error'))),
      `an update to an http redirect URI on a public host answered ${describeReply(reply)}; expected HTTP 400 ` +
        'error=invalid_redirect_uri. A client could otherwise register safely and then move its codes to plain http',
    );
    return `refused with HTTP 400 error=${member(reply, 'error')}`;
  },
});

const managementUpdateClientId = check({
  id: 'registration.dcr-management-update-client-id',
  title: 'An update naming another client_id is refused',
  description: 'RFC 7592 §2.2: the update request includes client_id, which must be the current client identifier.',
  requirements: ['R7592-UPDATE'],
  level: 'MUST',
  needs: ['dcr'],
  async run(ctx) {
    const managed = await registerManaged(ctx);
    const reply = await configurationRequest(
      ctx,
      managed.uri,
      'PUT',
      managed.token,
      updateBody(managed.reply, { client_id: `another-client-${randomUUID()}` }),
    );
    expect.that(
      reply.status >= 400 && reply.status < 500,
      `an update whose client_id differs from ${managed.clientId} answered ${describeReply(reply)}; expected a 4xx ` +
        'refusal (RFC 7592 §2.2: client_id MUST be the current one)',
    );
    return `refused with HTTP ${reply.status}`;
  },
});

const managementNoStore = check({
  id: 'registration.dcr-management-no-store',
  title: 'Client configuration responses are not cacheable',
  description:
    'RFC 7592 §2.1, §2.2 with RFC 6749 §5.1: responses carrying client credentials are sent with Cache-Control: no-store.',
  requirements: ['R7592-NO-STORE'],
  level: 'SHOULD',
  needs: ['dcr'],
  async run(ctx) {
    const managed = await registerManaged(ctx);
    const read = await configurationRequest(ctx, managed.uri, 'GET', managed.token);
    expectSuccess(read, 200, 'A read with the right token is the prerequisite of this check');
    expect.that(
      noStore(read),
      `the read response carries Cache-Control ${cacheControl(read)}; it holds the registration access token and ` +
        'possibly the client secret, so send Cache-Control: no-store',
    );
    return 'the client configuration response is sent with no-store';
  },
});

const managementSecretRotation = check({
  id: 'registration.dcr-management-secret-rotation',
  title: 'A client_secret replaced on update stops working',
  description:
    'RFC 7592 §2.2: the server may issue a new client secret on update; the client must use the returned values, so ' +
    'the replaced secret no longer authenticates.',
  requirements: ['R7592-SECRET', 'OA21-CONF-AUTH'],
  level: 'MUST',
  needs: ['dcr'],
  async run(ctx) {
    const managed = await registerManaged(ctx, {}, { confidential: true });
    const oldSecret = managed.secret;
    if (!oldSecret) return ctx.skip('the AS issued no client_secret to a confidential client');
    const reply = await configurationRequest(ctx, managed.uri, 'PUT', managed.token, updateBody(managed.reply, {}));
    expectSuccess(reply, 200, 'A plain update (the registered values sent back) is the prerequisite of this check');
    const newSecret = member(reply, 'client_secret');
    if (typeof newSecret !== 'string' || newSecret === oldSecret) {
      return ctx.skip('the AS keeps the client_secret on update (rotation is optional, RFC 7592 §2.2)');
    }
    const redirectUri = ctx.target.redirectUri;
    const old = await credentialsAccepted(ctx, confidentialClient(managed, oldSecret, redirectUri));
    expect.that(
      !old.accepted,
      `the AS announced a new client_secret on update but the old one still authenticates (${describeReply(old.reply)}); ` +
        'a rotated secret must stop working, or rotation protects nothing',
    );
    const current = await credentialsAccepted(ctx, confidentialClient(managed, newSecret, redirectUri));
    expect.that(
      current.accepted,
      `the new client_secret from the update response is refused (${describeReply(current.reply)}); the client must ` +
        'be able to use the values returned (RFC 7592 §2.2)',
    );
    return 'the update rotated the secret: the old one is refused (invalid_client), the new one authenticates';
  },
});

const managementChosenSecret = check({
  id: 'registration.dcr-management-client-chosen-secret',
  title: 'An update cannot set a client_secret of the client’s choosing',
  description:
    'RFC 7592 §2.2: a client_secret in the update must match the current one; the client must not be able to ' +
    'overwrite its secret with its own value.',
  requirements: ['R7592-SECRET'],
  level: 'MUST',
  needs: ['dcr'],
  async run(ctx) {
    const managed = await registerManaged(ctx, {}, { confidential: true });
    if (!managed.secret) ctx.skip('the AS issued no client_secret to a confidential client');
    const chosen = `chosen-by-the-client-${randomUUID()}`;
    const reply = await configurationRequest(
      ctx,
      managed.uri,
      'PUT',
      managed.token,
      updateBody(managed.reply, { client_secret: chosen }),
    );
    if (reply.status >= 400 && reply.status < 500) return `refused with HTTP ${reply.status}`;
    const probe = await credentialsAccepted(ctx, confidentialClient(managed, chosen, ctx.target.redirectUri));
    expect.that(
      !probe.accepted,
      `the AS accepted an update with a client_secret of the client's choosing (${describeReply(reply)}) and that ` +
        'secret now authenticates; RFC 7592 §2.2 forbids it (a weak or leaked value becomes the credential)',
    );
    return `the update answered HTTP ${reply.status} but the chosen secret does not authenticate`;
  },
});

const managementDelete = check({
  id: 'registration.dcr-management-delete',
  title: 'Delete answers 204 and the registration access token stops working',
  description:
    'RFC 7592 §2.3: DELETE answers 204 No Content; afterwards the client does not exist, so its token is refused (401).',
  requirements: ['R7592-DELETE'],
  level: 'MUST',
  needs: ['dcr'],
  async run(ctx) {
    const managed = await registerManaged(ctx);
    const deleted = await configurationRequest(ctx, managed.uri, 'DELETE', managed.token);
    expectSuccess(deleted, 204, 'RFC 7592 §2.3: a successful delete answers 204 No Content');
    const read = await configurationRequest(ctx, managed.uri, 'GET', managed.token);
    expect.status(
      read,
      401,
      'RFC 7592 §2.1: a read of a client that no longer exists answers 401, and the deleted registration must be gone',
    );
    return 'DELETE answered 204; a later read with the same token answered 401';
  },
});

/** RFC 7592 §2.3: deletes the client; a refusal blocks the check. */
async function deleteClient(ctx: CheckContext, managed: ManagedClient): Promise<void> {
  const deleted = await configurationRequest(ctx, managed.uri, 'DELETE', managed.token);
  expectSuccess(deleted, 204, 'Deleting the client (RFC 7592 §2.3) is the prerequisite of this check');
}

function publicOAuthClient(ctx: CheckContext, managed: ManagedClient): OAuthClient {
  return { client_id: managed.clientId, redirect_uri: ctx.target.redirectUri, auth: 'none', source: 'dcr' };
}

const deletedRefusedAtAuthorize = check({
  id: 'registration.dcr-deleted-client-refused-authorize',
  title: 'A deleted client cannot start an authorization',
  description:
    'RFC 7592 §2.3: after delete the client_id is invalid; OAuth 2.1 §4.1.2.1: an invalid client_id is shown an ' +
    'error, never redirected.',
  requirements: ['R7592-DELETE', 'OA21-NO-REDIRECT-INVALID'],
  level: 'MUST',
  needs: ['dcr', 'authorization-code'],
  async run(ctx) {
    const managed = await registerManaged(ctx);
    await deleteClient(ctx, managed);
    const authorization = await ctx.oauth.authorize({ client: publicOAuthClient(ctx, managed) });
    return expect.noRedirect(
      authorization,
      'The client was deleted (RFC 7592 §2.3); its client_id must stop working everywhere at once',
    );
  },
});

const deletedRefusedAtToken = check({
  id: 'registration.dcr-deleted-client-refused-token',
  title: 'A code issued before the client was deleted is not redeemed',
  description:
    'RFC 7592 §2.3: after delete the client_id, and what was issued to it, stop working at the token endpoint.',
  requirements: ['R7592-DELETE', 'OA21-TOKEN-ERRORS'],
  level: 'MUST',
  needs: ['dcr', 'authorization-code'],
  async run(ctx) {
    const managed = await registerManaged(ctx);
    const authorization = await ctx.oauth.authorize({ client: publicOAuthClient(ctx, managed) });
    if (!authorization.code) {
      throw new BlockedError('authorization', `the new client got no code (${summarizeAuthorization(authorization)})`);
    }
    await deleteClient(ctx, managed);
    const reply = await ctx.oauth.redeem(authorization);
    return expect.tokenError(
      reply,
      ['invalid_client', 'invalid_grant', 'unauthorized_client'],
      'The client was deleted (RFC 7592 §2.3); a code issued to it earlier must not yield tokens',
    );
  },
});

// ── RFC 7591 credentials ───────────────────────────────────────────────────────────────────────────────────

const registrationNoStore = check({
  id: 'registration.dcr-registration-no-store',
  title: 'The registration response is not cacheable',
  description:
    'RFC 7591 §3.2.1 with RFC 6749 §5.1: a client information response carrying a client_secret or registration ' +
    'access token is sent with Cache-Control: no-store.',
  requirements: ['R7592-NO-STORE', 'R7591-201'],
  level: 'SHOULD',
  needs: ['dcr'],
  async run(ctx) {
    const method = await ctx.oauth.secretMethod();
    const reply = await ctx.oauth.register(
      publicClientMetadata(ctx.target.redirectUri, { token_endpoint_auth_method: method }),
    );
    expectRegistered(reply, 'A confidential client registration is the prerequisite of this check');
    const carries = ['client_secret', 'registration_access_token'].filter((name) => member(reply, name) !== undefined);
    if (carries.length === 0) ctx.skip('the registration response carries no credential (no client_secret, no token)');
    expect.that(
      noStore(reply),
      `the registration response carries ${carries.join(' and ')} with Cache-Control ${cacheControl(reply)}; send ` +
        'Cache-Control: no-store so no cache keeps the credentials',
    );
    return `the response with ${carries.join(' and ')} is sent with no-store`;
  },
});

const uniqueSecrets = check({
  id: 'registration.dcr-unique-secrets',
  title: 'Each confidential registration gets its own, unguessable client_secret',
  description: 'RFC 7591 §3.2.1 with RFC 6749 §10.10: a client secret is a credential of one client, hard to guess.',
  requirements: ['R7591-SECRET-UNIQUE'],
  level: 'MUST',
  needs: ['dcr'],
  async run(ctx) {
    const method = await ctx.oauth.secretMethod();
    const metadata = () => publicClientMetadata(ctx.target.redirectUri, { token_endpoint_auth_method: method });
    const first = await ctx.oauth.register(metadata());
    const second = await ctx.oauth.register(metadata());
    const why = 'Two confidential client registrations are the prerequisite of this check';
    expectRegistered(first, why);
    expectRegistered(second, why);
    const secrets = [member(first, 'client_secret'), member(second, 'client_secret')];
    if (!secrets.every((secret) => typeof secret === 'string')) ctx.skip('the AS issued no client_secret');
    expect.that(
      secrets[0] !== secrets[1],
      'two registrations got the same client_secret; each client must have its own, or one client authenticates as another',
    );
    const short = secrets.find((secret) => String(secret).length < 16);
    expect.that(
      short === undefined,
      `a client_secret has only ${String(short).length} characters; RFC 6749 §10.10 asks for secrets that cannot be guessed (≥ 128 bits)`,
    );
    return 'two registrations got distinct secrets of sufficient length';
  },
});

// ── RFC 7591 §2 keys ───────────────────────────────────────────────────────────────────────────────────────

const jwksExclusive = check({
  id: 'registration.dcr-jwks-exclusive',
  title: 'jwks and jwks_uri are not accepted together',
  description: 'RFC 7591 §2: the jwks_uri and jwks parameters MUST NOT both be present in the same request.',
  requirements: ['R7591-JWKS-EXCLUSIVE', 'R7591-ERR-METADATA'],
  level: 'MUST',
  needs: ['dcr'],
  async run(ctx) {
    await requirePrivateKeyJwt(ctx);
    const { publicJwk } = await clientKey();
    const reply = await ctx.oauth.register(
      publicClientMetadata(ctx.target.redirectUri, {
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [publicJwk] },
        jwks_uri: 'https://mcp-conformance.example.com/jwks.json',
      }),
    );
    return expectRefusedOrCorrected(
      reply,
      ['invalid_client_metadata'],
      (registered) =>
        member(registered, 'jwks') !== undefined && member(registered, 'jwks_uri') !== undefined
          ? 'kept both jwks and jwks_uri'
          : undefined,
      'With both, it is undefined which keys verify the client',
    );
  },
});

const privateKeyJwtNeedsKeys = check({
  id: 'registration.dcr-private-key-jwt-needs-keys',
  title: 'private_key_jwt is not registered without the client’s keys',
  description:
    'RFC 7591 §2 and RFC 7523 §2.2: a private_key_jwt client registers its public keys (jwks or jwks_uri); without ' +
    'them the registration is invalid_client_metadata.',
  requirements: ['R7591-PRIVATE-KEY-JWT-KEYS', 'R7591-ERR-METADATA'],
  level: 'SHOULD',
  needs: ['dcr'],
  async run(ctx) {
    await requirePrivateKeyJwt(ctx);
    const reply = await ctx.oauth.register(
      publicClientMetadata(ctx.target.redirectUri, { token_endpoint_auth_method: 'private_key_jwt' }),
    );
    return expectRefusedOrCorrected(
      reply,
      ['invalid_client_metadata'],
      (registered) =>
        member(registered, 'token_endpoint_auth_method') === 'private_key_jwt' &&
        member(registered, 'jwks') === undefined &&
        member(registered, 'jwks_uri') === undefined
          ? 'registered private_key_jwt without any keys'
          : undefined,
      'Such a client can never authenticate; refusing tells its developer at once',
    );
  },
});

const jwksUriHttps = check({
  id: 'registration.dcr-jwks-uri-https',
  title: 'A jwks_uri on plain http is refused',
  description:
    "OAuth 2.1 §1.5 and RFC 7591 §5: the client's keys are fetched over TLS; an http jwks_uri is invalid_client_metadata.",
  requirements: ['R7591-JWKS-URI-HTTPS', 'OA21-HTTPS'],
  level: 'SHOULD',
  needs: ['dcr'],
  async run(ctx) {
    await requirePrivateKeyJwt(ctx);
    const jwksUri = 'http://mcp-conformance.example.com/jwks.json';
    const reply = await ctx.oauth.register(
      publicClientMetadata(ctx.target.redirectUri, {
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: jwksUri,
      }),
    );
    return expectRefusedOrCorrected(
      reply,
      ['invalid_client_metadata'],
      (registered) => (member(registered, 'jwks_uri') === jwksUri ? `registered jwks_uri ${jwksUri}` : undefined),
      'Keys fetched over plain http can be replaced on the way, letting anyone sign client assertions',
    );
  },
});

const jwksPublicOnly = check({
  id: 'registration.dcr-jwks-public-only',
  title: 'jwks holding a private key is refused',
  description: "RFC 7591 §2: jwks holds the client's public keys; a private key member (d) makes it invalid.",
  requirements: ['R7591-JWKS-PUBLIC', 'R7591-ERR-METADATA'],
  level: 'SHOULD',
  needs: ['dcr'],
  async run(ctx) {
    await requirePrivateKeyJwt(ctx);
    const { privateJwk } = await clientKey();
    const reply = await ctx.oauth.register(
      publicClientMetadata(ctx.target.redirectUri, {
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [privateJwk] },
      }),
    );
    return expectRefusedOrCorrected(
      reply,
      ['invalid_client_metadata'],
      (registered) =>
        JSON.stringify(member(registered, 'jwks') ?? {}).includes('"d"')
          ? 'stored and echoed the private key'
          : undefined,
      'A server that stores and echoes private keys spreads the very credential it should never see',
    );
  },
});

// ── RFC 7591 §2 policy and bounds ──────────────────────────────────────────────────────────────────────────

const scopePolicy = check({
  id: 'registration.dcr-scope-policy',
  title: 'A scope outside what the AS offers is refused or narrowed',
  description:
    'RFC 7591 §2: the server may reject or replace a requested scope value; a registration must not grant scopes the ' +
    'server does not allow.',
  requirements: ['R7591-SCOPE-POLICY', 'R7591-REPLACE'],
  level: 'SHOULD',
  needs: ['dcr'],
  async run(ctx) {
    const unknown = `x-mcp-conformance-not-offered-${randomUUID().slice(0, 8)}`;
    const scope = [ctx.target.scopes?.basic, unknown].filter(Boolean).join(' ');
    const reply = await ctx.oauth.register(publicClientMetadata(ctx.target.redirectUri, { scope }));
    return expectRefusedOrCorrected(
      reply,
      ['invalid_client_metadata'],
      (registered) => {
        const registeredScope = member(registered, 'scope');
        return typeof registeredScope === 'string' && registeredScope.split(' ').includes(unknown)
          ? `registered scope "${registeredScope}"`
          : undefined;
      },
      `"${unknown}" is offered by no resource; a registration policy that takes any scope protects nothing`,
    );
  },
});

const oversizedRequest = check({
  id: 'registration.dcr-oversized-request',
  title: 'An oversized registration request is refused',
  description:
    'RFC 7591 §3.2.2 (invalid_client_metadata) and §5: the open registration endpoint bounds what it accepts; ' +
    'a 1 MiB document is refused with 400 or 413, never stored.',
  requirements: ['AS-DCR-LIMITS'],
  level: 'SHOULD',
  needs: ['dcr'],
  async run(ctx) {
    const reply = await ctx.oauth.register(
      publicClientMetadata(ctx.target.redirectUri, { x_mcp_conformance_padding: 'x'.repeat(1024 * 1024) }),
    );
    expect.that(
      registeredClientId(reply) === undefined,
      'a 1 MiB registration document was accepted; an open endpoint without a size limit lets anyone fill the client store',
    );
    expect.that(
      reply.status === 400 || reply.status === 413,
      `the oversized request answered ${describeReply(reply)}; expected 400 (invalid_client_metadata) or 413`,
    );
    return `refused with HTTP ${reply.status}`;
  },
});

const boundedLists = check({
  id: 'registration.dcr-bounded-lists',
  title: 'A registration with hundreds of redirect URIs is refused',
  description:
    'RFC 7591 §2 lets the server reject metadata values; an open registration endpoint bounds its lists ' +
    '(redirect_uris) so one request cannot register a client for hundreds of callbacks.',
  requirements: ['AS-DCR-LIMITS', 'R7591-ERR-REDIRECT'],
  level: 'SHOULD',
  needs: ['dcr'],
  async run(ctx) {
    const redirectUris = Array.from({ length: 200 }, (_, index) => `http://127.0.0.1:${20000 + index}/cb`);
    const reply = await ctx.oauth.register(
      publicClientMetadata(ctx.target.redirectUri, { redirect_uris: redirectUris }),
    );
    return expectRefusedOrCorrected(
      reply,
      ['invalid_redirect_uri', 'invalid_client_metadata'],
      (registered) => {
        const uris = member(registered, 'redirect_uris');
        return Array.isArray(uris) && uris.length >= 200 ? `registered all ${uris.length} redirect URIs` : undefined;
      },
      'Unbounded lists cost memory and every authorization request compares against them',
    );
  },
});

const wrongTypes = check({
  id: 'registration.dcr-wrong-types',
  title: 'Metadata of the wrong JSON type is refused',
  description: 'RFC 7591 §2 and §3.2.2: client_name is a string; an object is invalid_client_metadata.',
  requirements: ['R7591-ERR-METADATA'],
  level: 'MUST',
  needs: ['dcr'],
  async run(ctx) {
    const reply = await ctx.oauth.register(
      publicClientMetadata(ctx.target.redirectUri, { client_name: { '<b>': 'not a string' } }),
    );
    return expectRefusedOrCorrected(
      reply,
      ['invalid_client_metadata'],
      (registered) => {
        const name = member(registered, 'client_name');
        return name !== undefined && typeof name !== 'string'
          ? `stored client_name as ${JSON.stringify(name)}`
          : undefined;
      },
      'Consent pages and consoles render client_name as text; other types break them or smuggle markup',
    );
  },
});

const publicClientCredentials = check({
  id: 'registration.dcr-public-client-credentials',
  title: 'A public client cannot register the client_credentials grant',
  description:
    'OAuth 2.1 §4.2: client_credentials is only for confidential clients, so a registration with ' +
    'token_endpoint_auth_method "none" and that grant is invalid_client_metadata.',
  requirements: ['OA21-CC-CONFIDENTIAL', 'R7591-ERR-METADATA'],
  level: 'SHOULD',
  needs: ['dcr'],
  async run(ctx) {
    const { metadata } = await ctx.discovery.authorizationServerMetadata();
    const grants = metadata.grant_types_supported;
    if (!Array.isArray(grants) || !grants.includes('client_credentials')) {
      ctx.skip('the AS does not list client_credentials in grant_types_supported');
    }
    const reply = await ctx.oauth.register(
      publicClientMetadata(ctx.target.redirectUri, {
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: undefined,
        token_endpoint_auth_method: 'none',
      }),
    );
    return expectRefusedOrCorrected(
      reply,
      ['invalid_client_metadata'],
      (registered) => {
        const registeredGrants = member(registered, 'grant_types');
        return member(registered, 'token_endpoint_auth_method') === 'none' &&
          Array.isArray(registeredGrants) &&
          registeredGrants.includes('client_credentials')
          ? 'registered client_credentials for a client that never authenticates'
          : undefined;
      },
      'Anyone could then obtain tokens as that client with nothing but its client_id',
    );
  },
});

// ── MCP 2026-07-28: application_type ──────────────────────────────────────────────────────────────────────

const applicationTypeValues = check({
  id: 'registration.dcr-application-type-values',
  title: 'An application_type other than "web" or "native" is not registered',
  description:
    'MCP 2026-07-28 (Client Registration) with OIDC Dynamic Client Registration §2: application_type is "web" or ' +
    '"native"; other values are refused (invalid_client_metadata), replaced, or ignored by non-OIDC servers.',
  requirements: ['AS-DCR-OIDC-APPTYPE', 'R7591-ERR-METADATA'],
  level: 'SHOULD',
  specs: ['2026-07-28'],
  needs: ['dcr'],
  async run(ctx) {
    const reply = await ctx.oauth.register(
      publicClientMetadata(ctx.target.redirectUri, { application_type: 'desktop' }),
    );
    return expectRefusedOrCorrected(
      reply,
      ['invalid_client_metadata'],
      (registered) =>
        member(registered, 'application_type') === 'desktop' ? 'registered application_type "desktop"' : undefined,
      'The redirect URI rules depend on application_type; an undefined type has no rules',
    );
  },
});

const webPrivateScheme = check({
  id: 'registration.dcr-web-private-scheme-refused',
  title: 'A web client cannot register a private-use scheme redirect URI',
  description:
    'MCP 2026-07-28 (Application Type and Redirect URI Constraints), OIDC Dynamic Client Registration §2 and RFC 8252 ' +
    '§7.1: private-use URI schemes belong to native apps; a "web" client registering one is invalid_redirect_uri.',
  requirements: ['AS-DCR-OIDC-APPTYPE', 'R7591-ERR-REDIRECT'],
  level: 'SHOULD',
  specs: ['2026-07-28'],
  needs: ['dcr'],
  async run(ctx) {
    const reply = await ctx.oauth.register(
      publicClientMetadata('com.example.mcpconformance:/oauth/callback', { application_type: 'web' }),
    );
    return expectRefusedOrCorrected(
      reply,
      ['invalid_redirect_uri', 'invalid_client_metadata'],
      (registered) =>
        member(registered, 'application_type') === 'native'
          ? undefined
          : 'registered a private-use scheme for a web client',
      'Any app on a device can claim a private-use scheme; only native apps, which expect that, may use one',
    );
  },
});

// ── RFC 7591 §2.3, §3.1.1: software statements ─────────────────────────────────────────────────────────────

function unsignedJwt(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
}

const softwareStatementErrors = check({
  id: 'registration.dcr-software-statement-error',
  title: 'A malformed software_statement is refused as invalid_software_statement (or ignored)',
  description:
    'RFC 7591 §3.2.2: a software statement problem is invalid_software_statement or unapproved_software_statement; ' +
    '§3.1.1: a server without software statement support may ignore it.',
  requirements: ['R7591-ERR-SWSTMT'],
  level: 'MUST',
  needs: ['dcr'],
  async run(ctx) {
    const reply = await ctx.oauth.register(
      publicClientMetadata(ctx.target.redirectUri, { software_statement: 'this-is-not-a-jwt' }),
    );
    if (registeredClientId(reply)) return 'the AS ignored the software statement (RFC 7591 §3.1.1 allows this)';
    return expectRegistrationError(
      reply,
      ['invalid_software_statement', 'unapproved_software_statement'],
      'Clients tell a bad statement from bad metadata by this code',
    );
  },
});

const softwareStatementUnverified = check({
  id: 'registration.dcr-software-statement-unverified',
  title: 'The claims of an unsigned software_statement are not applied',
  description:
    'RFC 7591 §2.3: a software statement is a signed JWT; its values take precedence (§3.1.1) only once the server ' +
    'verified it. An unsigned one is refused or ignored, never applied.',
  requirements: ['R7591-ERR-SWSTMT'],
  level: 'MUST',
  needs: ['dcr'],
  async run(ctx) {
    const attacker = 'https://attacker.mcp-conformance.example/callback';
    const statement = unsignedJwt({ software_id: 'mcp-conformance', redirect_uris: [attacker] });
    const reply = await ctx.oauth.register(
      publicClientMetadata(ctx.target.redirectUri, { software_statement: statement }),
    );
    if (!registeredClientId(reply)) {
      expect.that(
        reply.status === 400,
        `the registration with an unsigned software statement answered ${describeReply(reply)}; expected 400`,
      );
      return `refused with HTTP 400 error=${member(reply, 'error')}`;
    }
    const redirectUris = member(reply, 'redirect_uris');
    expect.that(
      !(Array.isArray(redirectUris) && redirectUris.includes(attacker)),
      `the AS registered redirect_uris ${JSON.stringify(redirectUris)} from an unsigned (alg "none") software statement; ` +
        'anyone can write such a statement, so its claims must not be trusted',
    );
    return 'registered with the unsigned statement ignored';
  },
});

export const dcrManagementChecks: Check[] = [
  managementCredentials,
  managementRead,
  managementRequiresToken,
  managementTokenBound,
  managementUpdate,
  managementUpdateValidates,
  managementUpdateClientId,
  managementNoStore,
  managementSecretRotation,
  managementChosenSecret,
  managementDelete,
  deletedRefusedAtAuthorize,
  deletedRefusedAtToken,
  registrationNoStore,
  uniqueSecrets,
  jwksExclusive,
  privateKeyJwtNeedsKeys,
  jwksUriHttps,
  jwksPublicOnly,
  scopePolicy,
  oversizedRequest,
  boundedLists,
  wrongTypes,
  publicClientCredentials,
  applicationTypeValues,
  webPrivateScheme,
  softwareStatementErrors,
  softwareStatementUnverified,
];

export const dcrManagementNegatives: Record<string, NegativeCase> = {
  'registration.dcr-management-credentials': { defect: 'dcr-no-registration-access-token' },
  'registration.dcr-management-read': { defect: 'dcr-management-read-omits-metadata' },
  'registration.dcr-management-requires-token': { defect: 'dcr-management-unauthenticated' },
  'registration.dcr-management-token-bound': { defect: 'dcr-management-token-not-bound' },
  'registration.dcr-management-update': { defect: 'dcr-management-update-not-persisted' },
  'registration.dcr-management-update-validates': { defect: 'dcr-management-update-unvalidated' },
  'registration.dcr-management-update-client-id': { defect: 'dcr-management-update-client-id-unchecked' },
  'registration.dcr-management-no-store': { defect: 'dcr-management-cacheable' },
  'registration.dcr-management-secret-rotation': { defect: 'dcr-rotated-secret-still-valid' },
  'registration.dcr-management-client-chosen-secret': { defect: 'dcr-client-chosen-secret' },
  'registration.dcr-management-delete': { defect: 'dcr-management-delete-noop' },
  'registration.dcr-deleted-client-refused-authorize': { defect: 'dcr-deleted-client-usable' },
  'registration.dcr-deleted-client-refused-token': { defect: 'dcr-deleted-client-codes-redeemable' },
  'registration.dcr-registration-no-store': { defect: 'dcr-registration-cacheable' },
  'registration.dcr-unique-secrets': { defect: 'dcr-fixed-client-secret' },
  'registration.dcr-jwks-exclusive': { defect: 'dcr-jwks-and-jwks-uri-accepted' },
  'registration.dcr-private-key-jwt-needs-keys': { defect: 'dcr-private-key-jwt-without-keys' },
  'registration.dcr-jwks-uri-https': { defect: 'dcr-jwks-uri-any-scheme' },
  'registration.dcr-jwks-public-only': { defect: 'dcr-jwks-private-accepted' },
  'registration.dcr-scope-policy': { defect: 'dcr-scope-policy-ignored' },
  'registration.dcr-oversized-request': { defect: 'dcr-oversized-accepted' },
  'registration.dcr-bounded-lists': { defect: 'dcr-unbounded-lists' },
  'registration.dcr-wrong-types': { defect: 'dcr-metadata-types-unchecked' },
  'registration.dcr-public-client-credentials': { defect: 'dcr-public-client-credentials' },
  'registration.dcr-application-type-values': { defect: 'dcr-application-type-unchecked' },
  'registration.dcr-web-private-scheme-refused': { defect: 'dcr-application-type-redirects-ignored' },
  'registration.dcr-software-statement-error': { defect: 'dcr-software-statement-wrong-error' },
  'registration.dcr-software-statement-unverified': { defect: 'dcr-software-statement-unverified' },
};
