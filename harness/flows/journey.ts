/**
 * One authorization through a target's consent flow, as its user sees it: the authorization request of a flow client
 * (PKCE S256, state), the flow's pages driven by the form user agent, and the code redeemed at the end.
 */
import * as oauth from 'oauth4webapi';
import { BlockedError } from '../check.ts';
import type { CheckContext } from '../context.ts';
import { describeReply, type HttpReply, member } from '../http.ts';
import { type DecodedJwt, decodeAccessToken } from '../jwt.ts';
import type { OAuthClient } from '../oauth.ts';
import type { FlowClient } from '../target.ts';
import { type PageStop, type Stop, UserAgent, type UserAgentOptions } from './user-agent.ts';

export interface JourneyOptions {
  /** Default: the target's basic scope. */
  scope?: string;
  /** An agent to reuse (its cookies: an existing session); default a fresh one. */
  agent?: UserAgent;
  onRedirect?: UserAgentOptions['onRedirect'];
  followAutoPost?: boolean;
  /** Cookies the browser already holds for the AS (e.g. an identity system's session on the same domain, seed 000). */
  cookies?: Record<string, string>;
}

/** The screen inputs as the target names them (target `byoa.fields`). */
export interface ScreenFields {
  username: string;
  password: string;
  otp: string;
}

const DEFAULT_FIELDS: ScreenFields = { username: 'username', password: 'password', otp: 'otp' };

export interface RedeemedTokens {
  reply: HttpReply;
  accessToken: string;
  /** The access token's claims (undefined for opaque tokens). */
  claims: DecodedJwt['claims'] | undefined;
  /** The ID token's claims, when one was issued. */
  idTokenClaims: DecodedJwt['claims'] | undefined;
}

export class FlowJourney {
  /** Where the journey stands: a page of the flow, or the redirect back to the client. */
  stop: Stop;

  private constructor(
    private readonly ctx: CheckContext,
    readonly client: OAuthClient,
    readonly agent: UserAgent,
    readonly state: string,
    readonly codeVerifier: string,
    readonly authorizationRequest: URL,
    first: Stop,
  ) {
    this.stop = first;
  }

  /** Sends the flow client's authorization request and follows it to the first page (or straight back). */
  static async start(ctx: CheckContext, flowClient: FlowClient, options: JourneyOptions = {}): Promise<FlowJourney> {
    const client: OAuthClient = {
      client_id: flowClient.clientId,
      redirect_uri: flowClient.redirectUri ?? ctx.target.redirectUri,
      auth: 'none',
      source: 'target',
    };
    const agent =
      options.agent ??
      new UserAgent(ctx.fetch, {
        stopAt: [client.redirect_uri],
        ...(options.onRedirect ? { onRedirect: options.onRedirect } : {}),
        ...(options.followAutoPost === undefined ? {} : { followAutoPost: options.followAutoPost }),
      });
    const state = oauth.generateRandomState();
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const request = new URL(await ctx.discovery.endpoint('authorization_endpoint'));
    const scope = options.scope ?? ctx.target.scopes?.basic;
    request.searchParams.set('response_type', 'code');
    request.searchParams.set('client_id', client.client_id);
    request.searchParams.set('redirect_uri', client.redirect_uri);
    if (scope) request.searchParams.set('scope', scope);
    request.searchParams.set('state', state);
    request.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    request.searchParams.set('code_challenge_method', 'S256');
    if (ctx.target.resource) request.searchParams.set('resource', ctx.target.resource);
    for (const [name, value] of Object.entries(options.cookies ?? {})) {
      for (const host of asHosts(ctx, request)) agent.setCookie(host, name, value);
    }
    const first = await agent.open(request);
    return new FlowJourney(ctx, client, agent, state, codeVerifier, request, first);
  }

  get fields(): ScreenFields {
    return this.ctx.target.byoa?.fields ?? DEFAULT_FIELDS;
  }

  /** The page the journey stands on; blocks the check when the flow already ended. */
  page(step: string): PageStop {
    if (this.stop.kind === 'page') return this.stop;
    throw new BlockedError(step, `the flow already ended with a redirect to ${redactedUrl(this.stop.url)}`);
  }

  /** True when the current page asks for `input` (by name). */
  asks(input: string): boolean {
    return this.stop.kind === 'page' && this.stop.forms.some((form) => form.inputs.some((i) => i.name === input));
  }

  get onCredentialsScreen(): boolean {
    return this.asks(this.fields.password);
  }

  get onMfaScreen(): boolean {
    return this.asks(this.fields.otp);
  }

  get onConsentScreen(): boolean {
    return (
      this.stop.kind === 'page' &&
      this.stop.forms.some((form) => form.buttons.some((b) => b.name === 'decision' && b.value === 'approve'))
    );
  }

  async signIn(username: string, password: string): Promise<Stop> {
    const page = this.page('credentials screen');
    if (!this.onCredentialsScreen) {
      throw new BlockedError('credentials screen', `the page has no "${this.fields.password}" input: ${page.text}`);
    }
    this.stop = await this.agent.submit(page, { [this.fields.username]: username, [this.fields.password]: password });
    return this.stop;
  }

  async enterOtp(code: string): Promise<Stop> {
    const page = this.page('MFA screen');
    this.stop = await this.agent.submit(page, { [this.fields.otp]: code });
    return this.stop;
  }

  async decide(approve: boolean): Promise<Stop> {
    const page = this.page('consent screen');
    this.stop = await this.agent.submit(
      page,
      {},
      { button: { name: 'decision', value: approve ? 'approve' : 'deny' } },
    );
    return this.stop;
  }

  /** Approves consent when the flow asks for it (for checks about something else). */
  async approveIfAsked(): Promise<Stop> {
    return this.onConsentScreen ? this.decide(true) : this.stop;
  }

  get code(): string | undefined {
    return this.stop.kind === 'redirect' ? (this.stop.params.get('code') ?? undefined) : undefined;
  }

  get error(): string | undefined {
    return this.stop.kind === 'redirect' ? (this.stop.params.get('error') ?? undefined) : undefined;
  }

  /** Where the journey ended, in one line (for messages). */
  describe(): string {
    if (this.stop.kind === 'redirect') return `redirect to the client with ${redactedParams(this.stop.params)}`;
    const alert = this.stop.alert ? ` alert "${this.stop.alert}"` : '';
    return `page HTTP ${this.stop.status} at ${this.stop.url.pathname}${alert}: ${this.stop.text.slice(0, 160)}`;
  }

  /** Redeems the code; a failure blocks the check (the token is a prerequisite of what is checked). */
  async redeem(): Promise<RedeemedTokens> {
    const code = this.code;
    if (!code) throw new BlockedError('authorization code', `no code: ${this.describe()}`);
    const reply = await this.ctx.oauth.tokenRequest(
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: this.client.redirect_uri,
        code_verifier: this.codeVerifier,
        resource: this.ctx.target.resource,
      },
      this.client,
    );
    const accessToken = member(reply, 'access_token');
    if (reply.status !== 200 || typeof accessToken !== 'string') {
      throw new BlockedError('token request', `it answered ${describeReply(reply)}`);
    }
    const idToken = member(reply, 'id_token');
    return {
      reply,
      accessToken,
      claims: decodeAccessToken(accessToken)?.claims,
      idTokenClaims: typeof idToken === 'string' ? decodeAccessToken(idToken)?.claims : undefined,
    };
  }
}

/** The AS's pages may live on the issuer's host or the authorization endpoint's (usually one and the same). */
function asHosts(ctx: CheckContext, authorizationRequest: URL): URL[] {
  const hosts = [authorizationRequest.origin, ctx.target.issuer].filter((url): url is string => url !== undefined);
  return [...new Set(hosts)].map((url) => new URL(url));
}

function redactedParams(params: URLSearchParams): string {
  const shown = new URLSearchParams(params);
  if (shown.has('code')) shown.set('code', '[code]');
  return shown.toString() || '(no parameters)';
}

function redactedUrl(url: URL): string {
  return `${url.origin}${url.pathname}?${redactedParams(url.searchParams)}`;
}
