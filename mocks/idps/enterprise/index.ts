import {
  type CryptoKey,
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { type Clock, epochSeconds } from '../../../harness/clock.ts';
import type { FetchHandler } from '../../../harness/network/types.ts';
import { presentedSecret } from '../client-secret.ts';

/** A client of the enterprise IdP, and the resource authorization servers it may get ID-JAGs for. */
export interface EnterpriseIdpClient {
  client_id: string;
  client_secret: string;
  /** Resource AS issuer → the resources (RFC 9728 identifiers) at it this client may ask for (ID-JAG §7.6.1). */
  audiences: Record<string, string[]>;
  /** Scopes the IdP grants this client at those resources. */
  scopes: string[];
  /**
   * Resource AS issuer → this client's client_id there, put in the ID-JAG's `client_id` (ID-JAG §6: the two
   * registrations are independent). Default: the same client_id as at the IdP.
   */
  clientIdAt?: Record<string, string>;
}

export interface EnterpriseUser {
  sub: string;
  email: string;
}

export interface EnterpriseIdpOptions {
  /** e.g. https://idp.enterprise.test */
  issuer: string;
  clock: Clock;
  clients: EnterpriseIdpClient[];
  users: EnterpriseUser[];
}

export interface IdJagOptions {
  clientId: string;
  audience: string;
  resource?: string;
  scope?: string;
  sub?: string;
  /** Set or replace claims; a claim given as undefined is removed. */
  claims?: Record<string, unknown>;
  /** Set or replace protected header members; undefined removes. */
  header?: Record<string, unknown>;
  /**
   * 'trusted' signs with the published key; 'untrusted' with a key the IdP never published (under the published
   * key's `kid`, as a forger would); 'none' leaves the JWT unsigned (`alg: none`).
   */
  key?: 'trusted' | 'untrusted' | 'none';
}

/**
 * An enterprise IdP (enterprise-managed authorization): OpenID metadata and JWKS, ID tokens as SSO would issue them,
 * and a token endpoint that exchanges an ID token for an ID-JAG (RFC 8693, `requested_token_type=…:id-jag`).
 */
export interface EnterpriseIdp {
  issuer: string;
  handler: FetchHandler;
  /** Where the token exchange happens (also in the metadata). */
  tokenEndpoint: string;
  /** The ID token SSO gave `clientId` for the user (default: the first user). */
  idToken(options: { clientId: string; sub?: string }): Promise<string>;
  /** An ID-JAG minted directly, any claim or header replaced (for negative checks). */
  mintIdJag(options: IdJagOptions): Promise<string>;
  /** Starts signing with a new key; the previous one stays published (tokens it signed are still valid). */
  rotateKey(): Promise<void>;
}

export const ID_JAG_TYP = 'oauth-id-jag+jwt';
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
/** EMA-IDP-SHORT-LIVED: ID tokens and ID-JAGs live five minutes. */
export const ENTERPRISE_TOKEN_TTL_SECONDS = 300;

const SIGNING_ALG = 'ES256';
const MAX_FORM_BYTES = 64 * 1024;
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newSigningKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const kid = `enterprise-${crypto.randomUUID()}`;
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' } };
}

/** An OAuth error answer (RFC 6749 §5.2): JSON, never cached; 401 with a challenge for failed client authentication. */
class IdpError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
  }
}

function errorResponse({ error, description, status }: IdpError): Response {
  const challenge: Record<string, string> =
    status === 401 ? { 'WWW-Authenticate': 'Basic realm="enterprise-idp"' } : {};
  return Response.json({ error, error_description: description }, { status, headers: { ...NO_STORE, ...challenge } });
}

function withOverrides(
  base: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base, ...overrides };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  return merged;
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export async function createEnterpriseIdp(options: EnterpriseIdpOptions): Promise<EnterpriseIdp> {
  const issuer = options.issuer.replace(/\/$/, '');
  const issuerPath = new URL(issuer).pathname.replace(/\/$/, '');
  const endpoints = { token: `${issuer}/token`, jwks: `${issuer}/jwks` };
  const published: SigningKey[] = [await newSigningKey()];
  const unpublished = await newSigningKey();
  const current = () => published.at(-1)!;
  const now = () => epochSeconds(options.clock);
  const userFor = (sub: string | undefined) =>
    sub === undefined ? options.users[0] : options.users.find((user) => user.sub === sub);

  async function sign(
    claims: Record<string, unknown>,
    header: Record<string, unknown>,
    key: IdJagOptions['key'] = 'trusted',
  ): Promise<string> {
    if (key === 'none') {
      return `${encodeSegment(withOverrides({ ...header, alg: 'none' }))}.${encodeSegment(claims)}.`;
    }
    const signer = current();
    const protectedHeader = withOverrides({ alg: SIGNING_ALG, kid: signer.kid }, header);
    const privateKey = key === 'untrusted' ? unpublished.privateKey : signer.privateKey;
    return new SignJWT(claims as JWTPayload).setProtectedHeader(protectedHeader as { alg: string }).sign(privateKey);
  }

  /** OpenID Connect Core §2: the ID token SSO gave the client, for the client (`aud`), short-lived. */
  async function idToken({ clientId, sub }: { clientId: string; sub?: string }): Promise<string> {
    const user = userFor(sub);
    if (!user) throw new Error(`the enterprise IdP has no user ${sub}`);
    const iat = now();
    const claims = {
      iss: issuer,
      sub: user.sub,
      aud: clientId,
      email: user.email,
      auth_time: iat,
      iat,
      exp: iat + ENTERPRISE_TOKEN_TTL_SECONDS,
    };
    return sign(claims, { typ: 'JWT' });
  }

  /** ID-JAG §3: typed `oauth-id-jag+jwt`, audience the resource AS, naming the client there, short-lived. */
  async function mintIdJag(jag: IdJagOptions): Promise<string> {
    const user = userFor(jag.sub);
    const iat = now();
    const claims = {
      iss: issuer,
      sub: jag.sub ?? user?.sub,
      aud: jag.audience,
      client_id: jag.clientId,
      jti: crypto.randomUUID(),
      iat,
      exp: iat + ENTERPRISE_TOKEN_TTL_SECONDS,
      ...(jag.resource === undefined ? {} : { resource: jag.resource }),
      ...(jag.scope === undefined ? {} : { scope: jag.scope }),
      ...(user ? { email: user.email } : {}),
    };
    return sign(withOverrides(claims, jag.claims), withOverrides({ typ: ID_JAG_TYP }, jag.header), jag.key);
  }

  const metadata = {
    issuer,
    token_endpoint: endpoints.token,
    jwks_uri: endpoints.jwks,
    grant_types_supported: [TOKEN_EXCHANGE_GRANT],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    // ID-JAG §7.1: the IdP announces that it issues ID-JAGs by token exchange.
    identity_chaining_requested_token_types_supported: [ID_JAG_TOKEN_TYPE],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [SIGNING_ALG],
  };

  const tokenExchange = createTokenExchange({ options, issuer, now, published: () => published, mintIdJag });

  const routes = new Map<string, (request: Request) => Promise<Response>>([
    // OIDC Discovery §4 (appended) and RFC 8414 §3.1 (inserted): the same document.
    [`${issuerPath}/.well-known/openid-configuration`, async () => Response.json(metadata)],
    [`/.well-known/oauth-authorization-server${issuerPath}`, async () => Response.json(metadata)],
    // RFC 7517 §5: the published keys, the current one and those it replaced.
    [new URL(endpoints.jwks).pathname, async () => Response.json({ keys: published.map((key) => key.publicJwk) })],
    [new URL(endpoints.token).pathname, tokenExchange],
  ]);

  const handler: FetchHandler = async (request) => {
    const route = routes.get(new URL(request.url).pathname);
    if (!route) return Response.json({ error: 'not_found' }, { status: 404 });
    const isToken = route === tokenExchange;
    if (isToken ? request.method !== 'POST' : request.method !== 'GET') {
      return Response.json({ error: 'invalid_request', error_description: 'method not allowed' }, { status: 405 });
    }
    return route(request);
  };

  return {
    issuer,
    handler,
    tokenEndpoint: endpoints.token,
    idToken,
    mintIdJag,
    async rotateKey() {
      published.push(await newSigningKey());
    },
  };
}

// ── The token endpoint: RFC 8693 token exchange, ID token → ID-JAG (ID-JAG §4.3) ─────────────────────────────────

interface TokenExchangeParts {
  options: EnterpriseIdpOptions;
  issuer: string;
  now(): number;
  published(): readonly SigningKey[];
  mintIdJag(options: IdJagOptions): Promise<string>;
}

function createTokenExchange(parts: TokenExchangeParts): (request: Request) => Promise<Response> {
  // RFC 8693 §2.1-2.2 and ID-JAG §4.3: a token exchange answered with an ID-JAG, errors per RFC 6749 §5.2.
  return async (request) => {
    try {
      const form = await readForm(request);
      const client = authenticateClient(parts.options.clients, request, form);
      return await exchange(parts, client, form);
    } catch (thrown) {
      return errorResponse(
        thrown instanceof IdpError ? thrown : new IdpError('server_error', 'the IdP hit an unexpected condition', 500),
      );
    }
  };
}

async function exchange(parts: TokenExchangeParts, client: EnterpriseIdpClient, form: URLSearchParams) {
  if (param(form, 'grant_type') !== TOKEN_EXCHANGE_GRANT) {
    throw new IdpError('unsupported_grant_type', `this IdP only does token exchange (${TOKEN_EXCHANGE_GRANT})`);
  }
  if (param(form, 'requested_token_type') !== ID_JAG_TOKEN_TYPE) {
    throw new IdpError('invalid_request', `requested_token_type must be ${ID_JAG_TOKEN_TYPE}`);
  }
  if (param(form, 'subject_token_type') !== ID_TOKEN_TYPE) {
    throw new IdpError('invalid_request', `subject_token_type must be ${ID_TOKEN_TYPE} (an ID token from SSO)`);
  }
  const subject = await validSubjectToken(parts, client, param(form, 'subject_token'));
  const { audience, resource } = allowedTarget(client, param(form, 'audience'), param(form, 'resource'));
  const scope = grantedScope(client, param(form, 'scope'));
  const clientId = client.clientIdAt?.[audience] ?? client.client_id;
  const jag = await parts.mintIdJag({ clientId, audience, resource, scope, sub: subject.sub });
  // ID-JAG §4.3.4: the ID-JAG travels as `access_token`, token_type N_A, with the granted scope; no refresh token.
  return Response.json(
    {
      issued_token_type: ID_JAG_TOKEN_TYPE,
      access_token: jag,
      token_type: 'N_A',
      expires_in: ENTERPRISE_TOKEN_TTL_SECONDS,
      scope,
    },
    { headers: NO_STORE },
  );
}

/** ID-JAG §4.3.3 (EMA-IDP-SUBJECT-VALIDATE): an ID token this IdP issued, unexpired, whose `aud` is the client. */
async function validSubjectToken(
  parts: TokenExchangeParts,
  client: EnterpriseIdpClient,
  token: string | undefined,
): Promise<{ sub: string }> {
  if (!token) throw new IdpError('invalid_request', 'subject_token is required');
  const keys = createLocalJWKSet({ keys: parts.published().map((key) => key.publicJwk) });
  try {
    await compactVerify(token, keys, { algorithms: [SIGNING_ALG] });
  } catch {
    throw new IdpError('invalid_grant', 'the subject_token is not an ID token signed by this IdP');
  }
  const claims = decodeJwt(token);
  if (claims.iss !== parts.issuer) throw new IdpError('invalid_grant', 'the subject_token was issued by another IdP');
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audience.includes(client.client_id)) {
    throw new IdpError('invalid_grant', `the ID token was issued to another client, not ${client.client_id}`);
  }
  if (typeof claims.exp !== 'number' || claims.exp <= parts.now()) {
    throw new IdpError('invalid_grant', 'the ID token has expired; sign the user in again');
  }
  if (typeof claims.sub !== 'string' || !parts.options.users.some((user) => user.sub === claims.sub)) {
    throw new IdpError('invalid_grant', 'the ID token names no user of this IdP');
  }
  return { sub: claims.sub };
}

/**
 * ID-JAG §4.3 and EMA-IDP-AUD-RESOURCE-PAIR: `audience` is a resource AS this client may reach, and `resource` one of
 * the resources configured for that pair (absent: the pair's first resource).
 */
function allowedTarget(client: EnterpriseIdpClient, audience: string | undefined, resource: string | undefined) {
  if (!audience) throw new IdpError('invalid_request', 'audience (the resource authorization server) is required');
  const resources = client.audiences[audience];
  if (!resources)
    throw new IdpError('invalid_target', `client ${client.client_id} may not get ID-JAGs for ${audience}`);
  const granted = resource ?? resources[0];
  if (granted === undefined || !resources.includes(granted)) {
    throw new IdpError('invalid_target', `resource ${resource} is not configured for ${audience}`);
  }
  return { audience, resource: granted };
}

/** ID-JAG §4.3.3: the granted scope is what the client asked for within what policy gives it. */
function grantedScope(client: EnterpriseIdpClient, requested: string | undefined): string {
  if (requested === undefined) return client.scopes.join(' ');
  const granted = requested.split(' ').filter((scope) => client.scopes.includes(scope));
  if (granted.length === 0)
    throw new IdpError('invalid_scope', `none of "${requested}" is granted to ${client.client_id}`);
  return [...new Set(granted)].join(' ');
}

// ── HTTP plumbing ─────────────────────────────────────────────────────────────────────────────────────────────

async function readForm(request: Request): Promise<URLSearchParams> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new IdpError('invalid_request', 'send the parameters as application/x-www-form-urlencoded');
  }
  const text = await request.text();
  if (text.length > MAX_FORM_BYTES) throw new IdpError('invalid_request', 'the request body is too large');
  return new URLSearchParams(text);
}

/** RFC 6749 §3.2: empty parameters count as absent, and none may repeat. */
function param(form: URLSearchParams, name: string): string | undefined {
  const values = form.getAll(name).filter((value) => value !== '');
  if (values.length > 1) throw new IdpError('invalid_request', `${name} appears more than once`);
  return values[0];
}

/** RFC 6749 §2.3.1 (EMA-IDP-CLIENT-AUTH): client_secret_basic or client_secret_post; anything else is invalid_client. */
function authenticateClient(
  clients: readonly EnterpriseIdpClient[],
  request: Request,
  form: URLSearchParams,
): EnterpriseIdpClient {
  const credentials = presentedSecret(request, (name) => param(form, name));
  const client = credentials && clients.find((candidate) => candidate.client_id === credentials.clientId);
  if (!client || client.client_secret !== credentials?.clientSecret) {
    throw new IdpError(
      'invalid_client',
      'client authentication failed (client_secret_basic or client_secret_post)',
      401,
    );
  }
  return client;
}
