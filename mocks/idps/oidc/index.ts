import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { type Clock, epochSeconds } from '../../../harness/clock.ts';
import type { FetchHandler } from '../../../harness/network/types.ts';
import { presentedSecret } from '../client-secret.ts';

/** A person at the upstream OpenID provider. */
export interface UpstreamUser {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  groups?: string[];
}

/** A relying party registered at the upstream provider (the broker AS, federating to it). */
export interface UpstreamClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  /** OIDC Registration §2: the ID token signing algorithm; default RS256 (OIDC Core §3.1.3.7). */
  id_token_signed_response_alg?: UpstreamSigningAlg;
}

export interface UpstreamOidcOptions {
  /** e.g. https://idp.upstream.test */
  issuer: string;
  clock: Clock;
  clients: UpstreamClient[];
  /** Default: erin@upstream.example and frank@upstream.example. */
  users?: UpstreamUser[];
  /** Extra claims put in every ID token and userinfo answer. */
  claims?: Record<string, unknown>;
  /** How long the 'slow' fault holds each answer (default 3000 ms). */
  slowMs?: number;
  /** How the 'slow' fault waits (default setTimeout); tests inject their own. */
  sleep?: (ms: number) => Promise<void>;
}

/** Deliberate misbehaviour, one at a time, for negative tests of the federating party. */
export type UpstreamFault =
  | 'bad-id-token-signature'
  | 'wrong-audience'
  | 'wrong-issuer'
  | 'expired-id-token'
  | 'nonce-replayed'
  | 'missing-nonce'
  | 'token-endpoint-500'
  | 'userinfo-500'
  | 'slow'
  | 'none';

export type UpstreamSigningAlg = 'ES256' | 'RS256';

/** One request the provider answered, as evidence (`at` is the clock's time, ISO 8601). */
export interface UpstreamRequestRecord {
  method: string;
  path: string;
  at: string;
  status: number;
}

/**
 * An upstream OpenID provider for identity federation: discovery, JWKS, an authorization endpoint that signs the
 * chosen user in without a page, the authorization-code grant with PKCE, and userinfo.
 */
export interface UpstreamOidc {
  issuer: string;
  handler: FetchHandler;
  endpoints: { authorization: string; token: string; userinfo: string; jwks: string };
  users: readonly UpstreamUser[];
  /** The next authorization signs in this user (once), whatever `login_hint` says. */
  setNextUser(sub: string): void;
  /** Misbehave from now on, until `fault('none')`. */
  fault(kind: UpstreamFault): void;
  requests(): UpstreamRequestRecord[];
}

export const DEFAULT_UPSTREAM_USERS: readonly UpstreamUser[] = [
  {
    sub: 'upstream-erin',
    email: 'erin@upstream.example',
    email_verified: true,
    name: 'Erin Upstream',
    groups: ['engineering'],
  },
  { sub: 'upstream-frank', email: 'frank@upstream.example', email_verified: false, name: 'Frank Upstream' },
];

export const UPSTREAM_CODE_TTL_SECONDS = 600;
export const UPSTREAM_ACCESS_TOKEN_TTL_SECONDS = 3600;
export const UPSTREAM_ID_TOKEN_TTL_SECONDS = 3600;
/** The nonce 'nonce-replayed' returns when no earlier flow had one. */
export const STALE_NONCE = 'nonce-from-an-earlier-flow';

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
const MAX_FORM_BYTES = 64 * 1024;
const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;
const SIGNING_ALGS: readonly UpstreamSigningAlg[] = ['RS256', 'ES256'];

// ── Keys ───────────────────────────────────────────────────────────────────────────────────────────────────────

interface SigningKey {
  kid: string;
  alg: UpstreamSigningAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * Key generation (RSA especially) costs far more than a mock's whole run, and mocks are built per test; keys carry no
 * state, so one process reuses a published and an unpublished key per algorithm across instances.
 */
const sharedKeys = new Map<string, Promise<SigningKey>>();

function sharedSigningKey(alg: UpstreamSigningAlg, purpose: 'published' | 'unpublished'): Promise<SigningKey> {
  const key = `${alg} ${purpose}`;
  let pending = sharedKeys.get(key);
  if (!pending) {
    pending = newSigningKey(alg);
    sharedKeys.set(key, pending);
  }
  return pending;
}

async function newSigningKey(alg: UpstreamSigningAlg): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, alg, privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

// ── State ──────────────────────────────────────────────────────────────────────────────────────────────────────

interface Grant {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  nonce: string | undefined;
  user: UpstreamUser;
  authTime: number;
  expiresAt: number;
  used: boolean;
  accessToken?: string;
}

interface AccessGrant {
  user: UpstreamUser;
  expiresAt: number;
}

/** An OAuth error answer (RFC 6749 §5.2). */
class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
  }
}

function errorResponse({ error, description, status }: OAuthError, headers: Record<string, string> = {}): Response {
  return Response.json({ error, error_description: description }, { status, headers: { ...NO_STORE, ...headers } });
}

function randomToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
}

async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return Buffer.from(digest).toString('base64url');
}

export async function createUpstreamOidc(options: UpstreamOidcOptions): Promise<UpstreamOidc> {
  const issuer = options.issuer.replace(/\/$/, '');
  const issuerPath = new URL(issuer).pathname.replace(/\/$/, '');
  const endpoints = {
    authorization: `${issuer}/authorize`,
    token: `${issuer}/token`,
    userinfo: `${issuer}/userinfo`,
    jwks: `${issuer}/jwks`,
  };
  const users = options.users ?? DEFAULT_UPSTREAM_USERS;
  const keys = {
    RS256: await sharedSigningKey('RS256', 'published'),
    ES256: await sharedSigningKey('ES256', 'published'),
  };
  const unpublished = new Map<UpstreamSigningAlg, Promise<SigningKey>>();
  const unpublishedKey = (alg: UpstreamSigningAlg) => {
    if (!unpublished.has(alg)) unpublished.set(alg, sharedSigningKey(alg, 'unpublished'));
    return unpublished.get(alg)!;
  };
  const codes = new Map<string, Grant>();
  const accessTokens = new Map<string, AccessGrant>();
  const log: UpstreamRequestRecord[] = [];
  const now = () => epochSeconds(options.clock);
  let activeFault: UpstreamFault = 'none';
  let nextUser: UpstreamUser | undefined;
  let lastNonce: string | undefined;

  const userBySub = (sub: string) => users.find((user) => user.sub === sub);
  const clientById = (id: string | undefined) => options.clients.find((client) => client.client_id === id);

  /** The user this authorization signs in: `setNextUser`, else `login_hint` (sub or email), else the first. */
  function chooseUser(loginHint: string | undefined): UpstreamUser | undefined {
    const chosen = nextUser;
    nextUser = undefined;
    if (chosen) return chosen;
    if (loginHint === undefined) return users[0];
    return users.find((user) => user.sub === loginHint || user.email === loginHint);
  }

  function profileClaims(user: UpstreamUser): Record<string, unknown> {
    return {
      email: user.email,
      email_verified: user.email_verified,
      name: user.name,
      ...(user.groups ? { groups: user.groups } : {}),
      ...options.claims,
    };
  }

  /** The ID token's nonce: the request's, or under a fault, a stale one or none. */
  function nonceFor(grant: Grant): string | undefined {
    if (activeFault === 'missing-nonce') return undefined;
    if (activeFault === 'nonce-replayed') return lastNonce ?? STALE_NONCE;
    return grant.nonce;
  }

  /** OIDC Core §2 and §3.1.3.6: the ID token names the issuer, the user, the client, the nonce and the times. */
  async function idToken(grant: Grant, client: UpstreamClient): Promise<string> {
    const iat = activeFault === 'expired-id-token' ? now() - 2 * UPSTREAM_ID_TOKEN_TTL_SECONDS : now();
    const nonce = nonceFor(grant);
    const claims = {
      ...profileClaims(grant.user),
      iss: activeFault === 'wrong-issuer' ? 'https://impostor.upstream.test' : issuer,
      sub: grant.user.sub,
      aud: activeFault === 'wrong-audience' ? `not-${client.client_id}` : client.client_id,
      iat,
      exp: iat + UPSTREAM_ID_TOKEN_TTL_SECONDS,
      auth_time: grant.authTime,
      ...(nonce === undefined ? {} : { nonce }),
    };
    const alg = client.id_token_signed_response_alg ?? 'RS256';
    const signer = keys[alg];
    const privateKey =
      activeFault === 'bad-id-token-signature' ? (await unpublishedKey(alg)).privateKey : signer.privateKey;
    return new SignJWT(claims).setProtectedHeader({ alg, kid: signer.kid, typ: 'JWT' }).sign(privateKey);
  }

  const metadata = {
    issuer,
    authorization_endpoint: endpoints.authorization,
    token_endpoint: endpoints.token,
    userinfo_endpoint: endpoints.userinfo,
    jwks_uri: endpoints.jwks,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: SIGNING_ALGS,
    scopes_supported: ['openid', 'email', 'profile'],
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'email', 'email_verified', 'name'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
  };

  // OIDC Core §3.1.2.1, RFC 7636 §4.3: the request is checked and the user signed in without a page.
  async function authorize(request: Request): Promise<Response> {
    const query = new URL(request.url).searchParams;
    const client = clientById(single(query, 'client_id'));
    if (!client) return errorResponse(new OAuthError('invalid_request', 'unknown client_id'));
    const redirectUri = single(query, 'redirect_uri');
    // OIDC Core §3.1.2.1: redirect_uri must exactly match a registered one; otherwise never redirect.
    if (redirectUri === undefined || !client.redirect_uris.includes(redirectUri)) {
      return errorResponse(new OAuthError('invalid_request', 'redirect_uri is missing or not registered exactly'));
    }
    const state = single(query, 'state');
    const redirect = (params: Record<string, string>) => redirectTo(redirectUri, { ...params, iss: issuer }, state);
    try {
      const grant = authorizationGrant(query, client, redirectUri);
      const code = randomToken();
      codes.set(code, grant);
      return redirect({ code });
    } catch (thrown) {
      if (!(thrown instanceof OAuthError)) throw thrown;
      return redirect({ error: thrown.error, error_description: thrown.description });
    }
  }

  function authorizationGrant(query: URLSearchParams, client: UpstreamClient, redirectUri: string): Grant {
    if (single(query, 'response_type') !== 'code') {
      throw new OAuthError('unsupported_response_type', 'only response_type=code is supported');
    }
    const scope = single(query, 'scope') ?? '';
    if (!scope.split(' ').includes('openid')) throw new OAuthError('invalid_scope', 'scope must include openid');
    const codeChallenge = single(query, 'code_challenge');
    if (codeChallenge === undefined || !PKCE_VALUE.test(codeChallenge)) {
      throw new OAuthError('invalid_request', 'PKCE is required: send a code_challenge (43-128 characters)');
    }
    if (single(query, 'code_challenge_method') !== 'S256') {
      throw new OAuthError('invalid_request', 'code_challenge_method must be S256');
    }
    const user = chooseUser(single(query, 'login_hint'));
    if (!user) throw new OAuthError('access_denied', 'no upstream user matches login_hint');
    return {
      clientId: client.client_id,
      redirectUri,
      codeChallenge,
      scope,
      nonce: single(query, 'nonce'),
      user,
      authTime: now(),
      expiresAt: now() + UPSTREAM_CODE_TTL_SECONDS,
      used: false,
    };
  }

  // RFC 6749 §4.1.3 and §5, RFC 7636 §4.6, OIDC Core §3.1.3.3: the code, bound to client, redirect and verifier.
  async function token(request: Request): Promise<Response> {
    if (activeFault === 'token-endpoint-500') {
      return errorResponse(new OAuthError('server_error', 'the upstream provider failed (fault)', 500));
    }
    const form = await readForm(request);
    const client = authenticateClient(options.clients, request, form);
    if (single(form, 'grant_type') !== 'authorization_code') {
      throw new OAuthError('unsupported_grant_type', 'only authorization_code is supported');
    }
    const grant = redeemCode(client, form);
    const verifier = single(form, 'code_verifier');
    if (verifier === undefined) throw new OAuthError('invalid_request', 'code_verifier is required (PKCE)');
    if (!PKCE_VALUE.test(verifier) || (await s256(verifier)) !== grant.codeChallenge) {
      throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
    }
    const accessToken = randomToken();
    grant.accessToken = accessToken;
    accessTokens.set(accessToken, { user: grant.user, expiresAt: now() + UPSTREAM_ACCESS_TOKEN_TTL_SECONDS });
    const body = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: UPSTREAM_ACCESS_TOKEN_TTL_SECONDS,
      scope: grant.scope,
      id_token: await idToken(grant, client),
    };
    if (grant.nonce !== undefined) lastNonce = grant.nonce;
    return Response.json(body, { headers: NO_STORE });
  }

  /** RFC 6749 §4.1.2 and §10.5: a code is single-use; a second use revokes what the first one obtained. */
  function redeemCode(client: UpstreamClient, form: URLSearchParams): Grant {
    const code = single(form, 'code');
    if (code === undefined) throw new OAuthError('invalid_request', 'code is required');
    const grant = codes.get(code);
    if (!grant || grant.clientId !== client.client_id || grant.expiresAt <= now()) {
      throw new OAuthError('invalid_grant', 'the code is unknown, expired, or was issued to another client');
    }
    if (grant.used) {
      if (grant.accessToken) accessTokens.delete(grant.accessToken);
      throw new OAuthError('invalid_grant', 'code already used; tokens issued from it were revoked');
    }
    grant.used = true;
    if (single(form, 'redirect_uri') !== grant.redirectUri) {
      throw new OAuthError('invalid_grant', 'redirect_uri differs from the one in the authorization request');
    }
    return grant;
  }

  // OIDC Core §5.3, RFC 6750 §3: claims about the bearer's user; 401 with a Bearer challenge otherwise.
  async function userinfo(request: Request): Promise<Response> {
    if (activeFault === 'userinfo-500') {
      return errorResponse(new OAuthError('server_error', 'the upstream provider failed (fault)', 500));
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '');
    if (!match) {
      return new Response(null, { status: 401, headers: { ...NO_STORE, 'WWW-Authenticate': 'Bearer' } });
    }
    const access = accessTokens.get(match[1]!);
    if (!access || access.expiresAt <= now()) {
      const description = 'the access token is unknown, revoked or expired';
      const challenge = `Bearer error="invalid_token", error_description="${description}"`;
      return errorResponse(new OAuthError('invalid_token', description, 401), { 'WWW-Authenticate': challenge });
    }
    return Response.json({ ...profileClaims(access.user), sub: access.user.sub }, { headers: NO_STORE });
  }

  const routes = new Map<string, { method: string; serve: (request: Request) => Promise<Response> }>([
    // OIDC Discovery §4: the provider metadata.
    [`${issuerPath}/.well-known/openid-configuration`, { method: 'GET', serve: async () => Response.json(metadata) }],
    // RFC 7517 §5: the published keys, one per supported algorithm.
    [
      new URL(endpoints.jwks).pathname,
      { method: 'GET', serve: async () => Response.json({ keys: [keys.RS256.publicJwk, keys.ES256.publicJwk] }) },
    ],
    [new URL(endpoints.authorization).pathname, { method: 'GET', serve: authorize }],
    [new URL(endpoints.token).pathname, { method: 'POST', serve: token }],
    [new URL(endpoints.userinfo).pathname, { method: 'GET', serve: userinfo }],
  ]);

  async function route(request: Request): Promise<Response> {
    const found = routes.get(new URL(request.url).pathname);
    if (!found) return errorResponse(new OAuthError('not_found', 'no such endpoint', 404));
    if (request.method !== found.method) {
      return errorResponse(new OAuthError('invalid_request', `use ${found.method}`, 405), { Allow: found.method });
    }
    try {
      return await found.serve(request);
    } catch (thrown) {
      if (thrown instanceof OAuthError) {
        const challenge: Record<string, string> =
          thrown.status === 401 ? { 'WWW-Authenticate': 'Basic realm="upstream"' } : {};
        return errorResponse(thrown, challenge);
      }
      return errorResponse(new OAuthError('server_error', 'the upstream provider hit an unexpected condition', 500));
    }
  }

  const handler: FetchHandler = async (request) => {
    const at = new Date(options.clock.now()).toISOString();
    if (activeFault === 'slow') await (options.sleep ?? sleep)(options.slowMs ?? 3000);
    const response = await route(request);
    log.push({ method: request.method, path: new URL(request.url).pathname, at, status: response.status });
    return response;
  };

  return {
    issuer,
    handler,
    endpoints,
    users,
    setNextUser(sub) {
      const user = userBySub(sub);
      if (!user) throw new Error(`the upstream provider has no user ${sub}`);
      nextUser = user;
    },
    fault(kind) {
      activeFault = kind;
    },
    requests: () => [...log],
  };
}

// ── HTTP plumbing ─────────────────────────────────────────────────────────────────────────────────────────────

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** RFC 6749 §4.1.2 and RFC 9207: the answer goes back on the redirect URI with `state` and `iss`. */
function redirectTo(redirectUri: string, params: Record<string, string>, state: string | undefined): Response {
  const location = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) location.searchParams.set(name, value);
  if (state !== undefined) location.searchParams.set('state', state);
  return new Response(null, { status: 302, headers: { Location: location.href, ...NO_STORE } });
}

async function readForm(request: Request): Promise<URLSearchParams> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', 'send the parameters as application/x-www-form-urlencoded');
  }
  const text = await request.text();
  if (text.length > MAX_FORM_BYTES) throw new OAuthError('invalid_request', 'the request body is too large');
  return new URLSearchParams(text);
}

/** RFC 6749 §3.1 and §3.2: empty parameters count as absent, and none may repeat. */
function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name).filter((value) => value !== '');
  if (values.length > 1) throw new OAuthError('invalid_request', `${name} appears more than once`);
  return values[0];
}

/** RFC 6749 §2.3.1: client_secret_basic or client_secret_post; anything else is 401 invalid_client. */
function authenticateClient(clients: readonly UpstreamClient[], request: Request, form: URLSearchParams) {
  const credentials = presentedSecret(request, (name) => single(form, name));
  const client = credentials && clients.find((candidate) => candidate.client_id === credentials.clientId);
  if (!client || client.client_secret !== credentials?.clientSecret) {
    throw new OAuthError('invalid_client', 'client authentication failed (client_secret_basic or _post)', 401);
  }
  return client;
}
