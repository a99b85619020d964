import { check } from '../../harness/check.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply, isJsonContentType, member } from '../../harness/http.ts';
import { summarizeAuthorization } from '../../harness/oauth.ts';
import { expectRegistered, publicClientMetadata, registeredClientId } from './client-metadata.ts';

export const publicClientCreated = check({
  id: 'registration.dcr-public-client-created',
  title: 'A public native client registers with 201 Created and gets a client_id',
  description:
    'RFC 7591 §3.2.1: success is 201 Created with a JSON client information response holding client_id; ' +
    'token_endpoint_auth_method "none" registers a public client, as MCP clients do.',
  requirements: ['R7591-201', 'R7591-CLIENT-ID', 'R7591-PUBLIC-NONE'],
  level: 'MUST',
  needs: ['dcr'],
  async run({ oauth, target }) {
    const reply = await oauth.register(publicClientMetadata(target.redirectUri));
    const clientId = expectRegistered(reply, 'MCP clients register as public clients (auth method "none")');
    expect.status(reply, 201, 'RFC 7591 §3.2.1: a successful registration answers 201 Created');
    expect.that(
      isJsonContentType(reply.headers),
      `the client information response is served as "${reply.headers.get('content-type')}"; ` +
        'RFC 7591 §3.2.1 requires application/json',
    );
    return `201 Created, client_id ${clientId}`;
  },
});

/** Registered members the client information response must repeat. */
const ECHOED_MEMBERS = [
  'redirect_uris',
  'grant_types',
  'response_types',
  'token_endpoint_auth_method',
  'client_name',
] as const;

export const echoesMetadata = check({
  id: 'registration.dcr-echoes-metadata',
  title: 'The client information response contains all registered metadata',
  description:
    'RFC 7591 §3.2.1: the response contains all registered metadata, including values the server set or replaced, ' +
    'so the client knows what it may use.',
  requirements: ['R7591-ECHO-METADATA', 'R7591-REPLACE'],
  level: 'MUST',
  needs: ['dcr'],
  async run({ oauth, target }) {
    const requested = publicClientMetadata(target.redirectUri);
    const reply = await oauth.register(requested);
    expectRegistered(reply, 'A standard public client registration is the prerequisite of this check');
    const missing = ECHOED_MEMBERS.filter((name) => member(reply, name) === undefined);
    expect.that(
      missing.length === 0,
      `the client information response leaves out ${missing.join(', ')}; RFC 7591 §3.2.1 requires every registered ` +
        'value (the server may replace values, but must then return what it registered)',
    );
    const redirectUris = member(reply, 'redirect_uris');
    expect.that(
      Array.isArray(redirectUris) && redirectUris.includes(target.redirectUri),
      `redirect_uris came back as ${JSON.stringify(redirectUris)}, without the registered ${target.redirectUri}`,
    );
    const replaced = ECHOED_MEMBERS.filter(
      (name) => JSON.stringify(member(reply, name)) !== JSON.stringify(requested[name]),
    );
    return replaced.length === 0
      ? `all of ${ECHOED_MEMBERS.join(', ')} echoed as requested`
      : `all echoed; the AS replaced ${replaced.map((name) => `${name}=${JSON.stringify(member(reply, name))}`).join(', ')}`;
  },
});

export const uniqueClientIds = check({
  id: 'registration.dcr-unique-client-ids',
  title: 'Each registration gets its own client_id',
  description: 'RFC 7591 §3.2.1: the client_id is unique at the server and not valid for any other registered client.',
  requirements: ['R7591-CLIENT-ID'],
  level: 'MUST',
  needs: ['dcr'],
  async run({ oauth, target }) {
    const why = 'Two plain public client registrations are the prerequisite of this check';
    const first = expectRegistered(await oauth.register(publicClientMetadata(target.redirectUri)), why);
    const second = expectRegistered(await oauth.register(publicClientMetadata(target.redirectUri)), why);
    expect.that(
      first !== second,
      `two registrations (different client_name) both got client_id ${first}; each client must get its own, or ` +
        "one client's registration takes over another's redirect URIs and grants",
    );
    return `two registrations: ${first} and ${second}`;
  },
});

export const secretExpiry = check({
  id: 'registration.dcr-secret-expiry',
  title: 'An issued client_secret comes with client_secret_expires_at',
  description:
    'RFC 7591 §3.2.1: client_secret_expires_at is REQUIRED whenever client_secret is issued (0 = never expires).',
  requirements: ['R7591-SECRET-EXPIRY'],
  level: 'MUST',
  needs: ['dcr'],
  async run({ oauth, skip, target }) {
    const reply = await oauth.register(
      publicClientMetadata(target.redirectUri, { token_endpoint_auth_method: 'client_secret_basic' }),
    );
    if (!registeredClientId(reply)) {
      skip(`the AS does not register client_secret_basic clients (${describeReply(reply)})`);
    }
    if (typeof member(reply, 'client_secret') !== 'string') {
      skip('the AS registered a client_secret_basic client without issuing a client_secret');
    }
    const expiresAt = member(reply, 'client_secret_expires_at');
    const sent = expiresAt === undefined ? 'no expiry' : `client_secret_expires_at ${JSON.stringify(expiresAt)}`;
    expect.that(
      typeof expiresAt === 'number' && Number.isInteger(expiresAt) && expiresAt >= 0,
      `client_secret was issued with ${sent}; ` +
        'RFC 7591 §3.2.1 requires client_secret_expires_at as a number (epoch seconds, 0 = never) so clients know when to re-register',
    );
    return `client_secret issued with client_secret_expires_at ${expiresAt}`;
  },
});

export const ignoresUnknownMetadata = check({
  id: 'registration.dcr-ignores-unknown-metadata',
  title: 'Unknown client metadata is ignored, not refused',
  description: 'RFC 7591 §2: the authorization server MUST ignore any client metadata it does not understand.',
  requirements: ['R7591-IGNORE-UNKNOWN'],
  level: 'MUST',
  needs: ['dcr'],
  async run({ oauth, target }) {
    const reply = await oauth.register(
      publicClientMetadata(target.redirectUri, { x_mcp_conformance_probe: 'an extension this AS does not know' }),
    );
    const clientId = expectRegistered(
      reply,
      'RFC 7591 §2: members the AS does not understand must be ignored; MCP clients send extension metadata',
    );
    return `registered (client_id ${clientId}) with an unknown member present`;
  },
});

export const registeredClientUsable = check({
  id: 'registration.dcr-client-usable',
  title: 'A registered public client can start an authorization, also after another client registered',
  description:
    'RFC 7591 §3.2.1: the issued client_id identifies this registration (and no other) at the authorization endpoint.',
  requirements: ['R7591-CLIENT-ID', 'AS-DCR'],
  level: 'MUST',
  needs: ['dcr', 'authorization-code'],
  async run({ oauth, target }) {
    const why = 'Two plain public client registrations are the prerequisite of this check';
    const clientId = expectRegistered(await oauth.register(publicClientMetadata(target.redirectUri)), why);
    const otherRedirectUri = siblingRedirectUri(target.redirectUri);
    expectRegistered(await oauth.register(publicClientMetadata(otherRedirectUri)), why);
    const authorization = await oauth.authorize({
      client: { client_id: clientId, redirect_uri: target.redirectUri, auth: 'none', source: 'dcr' },
    });
    expect.that(
      authorization.code,
      `the client registered as ${clientId} could not start an authorization after another client registered ` +
        `(${summarizeAuthorization(authorization)}); a client_id must keep identifying its own registration ` +
        '(its redirect URIs, its grants)',
    );
    return `client ${clientId} got an authorization code after another registration`;
  },
});

/** Another valid redirect URI on the same origin: the same path with a suffix. */
function siblingRedirectUri(redirectUri: string): string {
  const url = new URL(redirectUri);
  url.pathname = `${url.pathname.replace(/\/$/, '')}-other`;
  return url.href;
}
