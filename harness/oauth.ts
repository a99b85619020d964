import * as oauth from 'oauth4webapi';
import { BlockedError, CheckSkipped } from './check.ts';
import type { Discovery } from './discovery.ts';
import { describeReply, type HttpReply, member, readReply } from './http.ts';
import type { AuthorizationResponse } from './login/types.ts';
import type { Session } from './session.ts';

export type ClientAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post';

export type MachineClientRole = 'm2m' | 'workload' | 'enterprise' | 'ciba' | 'exchange';

const MACHINE_CLIENT_PURPOSE: Record<MachineClientRole, string> = {
  m2m: 'machine-to-machine client',
  workload: 'client for the JWT bearer grant',
  enterprise: 'client for ID-JAG (enterprise-managed authorization)',
  ciba: 'CIBA client',
  exchange: 'client for token exchange',
};

export interface OAuthClient {
  client_id: string;
  client_secret?: string;
  redirect_uri: string;
  auth: ClientAuthMethod;
  /** Declared in the target file, or registered by the harness (DCR). */
  source: 'target' | 'dcr';
}

/** Each field: undefined = the harness's correct default; null = leave the parameter out. */
export interface AuthorizeOptions {
  client?: OAuthClient;
  redirectUri?: string | null;
  responseType?: string;
  scope?: string | null;
  resource?: string | null;
  state?: string | null;
  codeChallenge?: string | null;
  codeChallengeMethod?: string | null;
  /** The verifier to derive an S256 challenge from (default: a fresh random one). */
  codeVerifier?: string;
  extra?: Record<string, string>;
}

export interface Authorization {
  client: OAuthClient;
  request: URL;
  /** The redirect_uri sent (or the client's, when omitted). */
  redirectUri: string;
  state?: string;
  codeVerifier?: string;
  resource?: string;
  response: AuthorizationResponse;
  /** Query parameters of the redirect, when the AS redirected back. */
  params?: URLSearchParams;
  code?: string;
  error?: string;
}

export interface RedeemOptions {
  client?: OAuthClient;
  auth?: ClientAuthMethod;
  code?: string;
  codeVerifier?: string | null;
  redirectUri?: string | null;
  resource?: string | null;
}

export interface IssuedTokens {
  authorization: Authorization;
  reply: HttpReply;
  accessToken: string;
  tokenType: string;
  expiresIn?: number;
  scope?: string;
}

/** The OAuth client side of the harness: authorization requests through the login driver, token and DCR requests. */
export class OAuthClientSide {
  constructor(
    private readonly session: Session,
    private readonly discovery: Discovery,
  ) {}

  private get fetch() {
    return this.session.sut.network.fetch;
  }

  private get target() {
    return this.session.target;
  }

  /** A public client: declared in the target, else registered by DCR once per run. */
  publicClient(): Promise<OAuthClient> {
    return this.session.step('public client', async () => {
      const declared = this.target.clients.public;
      if (declared) return { ...declared, auth: 'none' as const, source: 'target' as const };
      return this.registerForRun('public', 'none');
    });
  }

  /** A confidential client: declared in the target, else registered by DCR (client_secret_basic) once per run. */
  confidentialClient(): Promise<OAuthClient> {
    return this.session.step('confidential client', async () => {
      const declared = this.target.clients.confidential;
      if (declared) {
        const { token_endpoint_auth_method, ...rest } = declared;
        return { ...rest, auth: token_endpoint_auth_method ?? 'client_secret_basic', source: 'target' as const };
      }
      return this.registerForRun('confidential', await this.secretMethod());
    });
  }

  /**
   * The shared-secret method to register with: client_secret_basic when advertised (RFC 8414's default when the list
   * is absent), else client_secret_post (OAuth 2.1 §2.4.1 requires the AS to accept body credentials).
   */
  async secretMethod(): Promise<ClientAuthMethod> {
    const { metadata } = await this.discovery.authorizationServerMetadata();
    const advertised = metadata.token_endpoint_auth_methods_supported;
    if (!Array.isArray(advertised) || advertised.includes('client_secret_basic')) return 'client_secret_basic';
    if (advertised.includes('client_secret_post')) return 'client_secret_post';
    throw new CheckSkipped(
      `the AS advertises no shared-secret client authentication (token_endpoint_auth_methods_supported = ${JSON.stringify(advertised)})`,
    );
  }

  /** The target's machine-to-machine client (client_credentials); SKIPs when none is declared. */
  /**
   * A declared client that authenticates with a shared secret and uses no redirect: the m2m client by default, or the
   * one the target declares for a grant (workload, enterprise, ciba, exchange).
   */
  async machineClient(role: MachineClientRole = 'm2m'): Promise<OAuthClient> {
    const declared = this.target.clients[role];
    if (!declared) throw new CheckSkipped(`the target declares no ${MACHINE_CLIENT_PURPOSE[role]} ("clients.${role}")`);
    const { token_endpoint_auth_method, ...credentials } = declared;
    return {
      ...credentials,
      redirect_uri: '',
      auth: token_endpoint_auth_method ?? 'client_secret_basic',
      source: 'target',
    };
  }

  /** Another public client, distinct from `publicClient()`, for binding checks. */
  secondClient(): Promise<OAuthClient> {
    return this.session.step('second client', async () => {
      const declared = this.target.clients.confidential;
      if (!(await this.canRegister()) && declared) return this.confidentialClient();
      return this.registerForRun('second', 'none');
    });
  }

  async canRegister(): Promise<boolean> {
    const { metadata } = await this.discovery.authorizationServerMetadata();
    return typeof metadata.registration_endpoint === 'string';
  }

  private async registerForRun(label: string, auth: ClientAuthMethod): Promise<OAuthClient> {
    if (!(await this.canRegister())) {
      throw new CheckSkipped(`no ${label} client declared in the target and the AS offers no registration_endpoint`);
    }
    const redirectUri = this.target.redirectUri;
    const reply = await this.register({
      client_name: `mcp-auth-conformance ${label} client`,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: auth,
      application_type: 'native',
    });
    const clientId = member(reply, 'client_id');
    const secret = member(reply, 'client_secret');
    if (reply.status >= 300 || typeof clientId !== 'string') {
      throw new BlockedError('client registration', `DCR answered ${describeReply(reply)}`);
    }
    if (auth !== 'none' && typeof secret !== 'string') {
      throw new BlockedError('client registration', `DCR issued no client_secret for ${auth}`);
    }
    return {
      client_id: clientId,
      ...(typeof secret === 'string' ? { client_secret: secret } : {}),
      redirect_uri: redirectUri,
      auth,
      source: 'dcr',
    };
  }

  /** RFC 7591 §3.1: POST client metadata as JSON (or a raw body, to test what the AS refuses). */
  async register(metadata: unknown, options: { contentType?: string; rawBody?: string } = {}): Promise<HttpReply> {
    const endpoint = await this.discovery.endpoint('registration_endpoint');
    const response = await this.fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': options.contentType ?? 'application/json', accept: 'application/json' },
      body: options.rawBody ?? JSON.stringify(metadata),
    });
    return readReply(response, endpoint);
  }

  /** Builds an authorization request (correct by default) and drives the user agent through it. */
  async authorize(options: AuthorizeOptions = {}): Promise<Authorization> {
    const endpoint = await this.discovery.endpoint('authorization_endpoint');
    const client = options.client ?? (await this.publicClient());
    const request = new URL(endpoint);
    const set = (name: string, value: string | null | undefined) => {
      if (value !== null && value !== undefined) request.searchParams.set(name, value);
    };
    const redirectUri = options.redirectUri === undefined ? client.redirect_uri : options.redirectUri;
    const state = options.state === undefined ? oauth.generateRandomState() : options.state;
    const resource = options.resource === undefined ? this.target.resource : options.resource;
    const scope = options.scope === undefined ? this.target.scopes?.basic : options.scope;
    const codeVerifier = options.codeVerifier ?? oauth.generateRandomCodeVerifier();
    const codeChallenge =
      options.codeChallenge === undefined
        ? await oauth.calculatePKCECodeChallenge(codeVerifier)
        : options.codeChallenge;
    const method = options.codeChallengeMethod === undefined ? 'S256' : options.codeChallengeMethod;
    set('response_type', options.responseType ?? 'code');
    set('client_id', client.client_id);
    set('redirect_uri', redirectUri);
    set('scope', scope);
    set('state', state);
    set('code_challenge', codeChallenge);
    set('code_challenge_method', codeChallenge === null ? null : method);
    set('resource', resource);
    // OIDC Core §11: a request for offline_access carries prompt=consent.
    if (scope?.split(' ').includes('offline_access')) set('prompt', 'consent');
    for (const [name, value] of Object.entries(options.extra ?? {})) set(name, value);

    const effectiveRedirect = redirectUri ?? client.redirect_uri;
    const response = await this.session.sut.login.authorize({
      url: request,
      redirectUri: effectiveRedirect,
      ...(effectiveRedirect !== client.redirect_uri ? { registeredRedirectUri: client.redirect_uri } : {}),
    });
    const params = response.kind === 'redirect' ? responseParams(response.url) : undefined;
    return {
      client,
      request,
      redirectUri: effectiveRedirect,
      ...(state !== null ? { state } : {}),
      ...(codeChallenge !== null ? { codeVerifier } : {}),
      ...(resource ? { resource } : {}),
      response,
      ...(params ? { params } : {}),
      ...(params?.get('code') ? { code: params.get('code')! } : {}),
      ...(params?.get('error') ? { error: params.get('error')! } : {}),
    };
  }

  /** OAuth 2.1 §4.1.3: redeems the code of `authorization` (correct by default; overrides plant mistakes). */
  async redeem(authorization: Authorization, options: RedeemOptions = {}): Promise<HttpReply> {
    const code = options.code ?? authorization.code;
    if (!code) throw new BlockedError('authorization', `no code to redeem (${summarizeAuthorization(authorization)})`);
    const params: Record<string, string | null | undefined> = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: options.redirectUri === undefined ? authorization.redirectUri : options.redirectUri,
      code_verifier: options.codeVerifier === undefined ? authorization.codeVerifier : options.codeVerifier,
      resource: options.resource === undefined ? authorization.resource : options.resource,
    };
    return this.tokenRequest(params, options.client ?? authorization.client, options.auth);
  }

  /** POST to the token endpoint with the client's authentication (RFC 6749 §2.3, OAuth 2.1 §2.4). */
  async tokenRequest(
    params: Record<string, string | null | undefined>,
    client: OAuthClient,
    auth: ClientAuthMethod = client.auth,
  ): Promise<HttpReply> {
    return this.authenticatedPost(await this.discovery.endpoint('token_endpoint'), params, client, auth);
  }

  /**
   * A form POST to an AS endpoint (token, revocation, introspection) with the client's authentication: HTTP Basic,
   * credentials in the body, or just client_id for public clients (RFC 6749 §2.3, OAuth 2.1 §2.4).
   */
  async authenticatedPost(
    endpoint: string,
    params: Record<string, string | null | undefined>,
    client: OAuthClient,
    auth: ClientAuthMethod = client.auth,
  ): Promise<HttpReply> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(params))
      if (value !== null && value !== undefined) body.set(name, value);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (auth === 'client_secret_basic') {
      const user = encodeURIComponent(client.client_id);
      const secret = encodeURIComponent(client.client_secret ?? '');
      headers.authorization = `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
    } else {
      body.set('client_id', client.client_id);
      if (auth === 'client_secret_post') body.set('client_secret', client.client_secret ?? '');
    }
    const response = await this.fetch(endpoint, { method: 'POST', headers, body });
    return readReply(response, endpoint);
  }

  /** The whole code flow, correct; any failure blocks the caller (it is a prerequisite, not the thing checked). */
  async obtainTokens(options: AuthorizeOptions = {}): Promise<IssuedTokens> {
    const authorization = await this.authorize(options);
    if (!authorization.code) {
      throw new BlockedError('authorization code flow', `no code issued (${summarizeAuthorization(authorization)})`);
    }
    const reply = await this.redeem(authorization);
    const accessToken = member(reply, 'access_token');
    if (reply.status !== 200 || typeof accessToken !== 'string') {
      throw new BlockedError('authorization code flow', `token request answered ${describeReply(reply)}`);
    }
    const expiresIn = member(reply, 'expires_in');
    const scope = member(reply, 'scope');
    return {
      authorization,
      reply,
      accessToken,
      tokenType: String(member(reply, 'token_type') ?? ''),
      ...(typeof expiresIn === 'number' ? { expiresIn } : {}),
      ...(typeof scope === 'string' ? { scope } : {}),
    };
  }

  /** A user access token for the MCP resource, obtained once per run. */
  userTokens(): Promise<IssuedTokens> {
    return this.session.step('user access token', () => this.obtainTokens());
  }
}

/** Authorization response parameters: the query, or the fragment when the AS used one. */
function responseParams(url: URL): URLSearchParams {
  if (url.search) return url.searchParams;
  return new URLSearchParams(url.hash.replace(/^#/, ''));
}

export function summarizeAuthorization(authorization: Authorization): string {
  const { response } = authorization;
  if (response.kind === 'no-redirect') {
    const body = response.body.replace(/\s+/g, ' ').slice(0, 160);
    return `the AS did not redirect: HTTP ${response.status} at ${response.url}${body ? ` "${body}"` : ''}`;
  }
  const error = authorization.params?.get('error');
  if (error) {
    const description = authorization.params?.get('error_description');
    return `the AS redirected with error=${error}${description ? ` (${description})` : ''}`;
  }
  return authorization.code
    ? 'the AS redirected with a code'
    : `the AS redirected without code or error to ${response.url.href}`;
}
