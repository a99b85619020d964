/**
 * How each kind of actor gets its tokens (and renews them), one measured step per protocol exchange. Each is an async
 * generator: it yields the simulated milliseconds it waits (a CIBA poll interval), and returns its credentials.
 */
import * as oauth from 'oauth4webapi';
import { CibaUser } from '../ciba.ts';
import { UserAgent } from '../flows/user-agent.ts';
import {
  type ActorIo,
  type AsMetadata,
  asMetadata,
  type ClientAuth,
  discoverFromResource,
  expectJson,
  postForm,
  StepError,
  type TokenSet,
  tokenRequest,
} from './actor.ts';
import { clientDocumentUrl } from './client-documents.ts';
import type { ActorKind } from './types.ts';

export type Wait = AsyncGenerator<number, void, void>;
export type Waiting<T> = AsyncGenerator<number, T, void>;

/** What a session holds: where to get and renew tokens, and the tokens. */
export interface Login {
  as: AsMetadata;
  auth: ClientAuth;
  mcpUrl: string;
  tokens: TokenSet;
  /** A new access token when the current one ages: refresh when there is a refresh token, else a new grant. */
  renew(io: ActorIo): Waiting<TokenSet>;
}

/** What an actor remembers across its sessions (discovery, its registration, that its user consented). */
export interface ActorMemory {
  as?: AsMetadata;
  client?: ClientAuth;
  federated?: boolean;
  consented?: boolean;
  userAdded?: boolean;
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CIBA = 'urn:openid:params:grant-type:ciba';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const CIBA_MAX_POLLS = 10;

/** A machine's login: its grant gives the first tokens, and runs again to renew them (no refresh token). */
async function grantLogin(as: AsMetadata, auth: ClientAuth, mcpUrl: string, grant: () => Promise<TokenSet>) {
  return { as, auth, mcpUrl, tokens: await grant(), renew: withoutWaiting(grant) };
}

/** A renewal that needs no simulated waiting. */
function withoutWaiting<T>(work: () => Promise<T>): () => Waiting<T> {
  return async function* () {
    yield* [];
    return await work();
  };
}

export type LoginFlow = (io: ActorIo, memory: ActorMemory) => Waiting<Login>;

export const LOGINS: Record<ActorKind, LoginFlow> = {
  'interactive-user': interactiveUser,
  'm2m-agent': m2mAgent,
  workload,
  'delegating-service': delegatingService,
  'ciba-agent': cibaAgent,
};

/** OAuth 2.1 §4.3: the refresh token grant, rotating the refresh token. */
export function refreshing(io: ActorIo, login: Login): Promise<TokenSet> {
  return io.step('refresh', () => refreshRequest(io, login, login.tokens.refreshToken));
}

/** The bare refresh request (no step of its own: the reuse test measures it under its own name). */
export async function refreshRequest(io: ActorIo, login: Login, refreshToken: string | undefined): Promise<TokenSet> {
  if (!refreshToken) throw new StepError('no-refresh-token', 'nothing to refresh with');
  const tokens = await tokenRequest(
    io,
    login.as,
    { grant_type: 'refresh_token', refresh_token: refreshToken, resource: login.mcpUrl },
    login.auth,
  );
  io.refreshed();
  return { ...tokens, refreshToken: tokens.refreshToken ?? refreshToken };
}

async function* interactiveUser(io: ActorIo, memory: ActorMemory): Waiting<Login> {
  const mcpUrl = io.world.resource;
  memory.as ??= await io.step('discovery', () => discoverFromResource(io, mcpUrl));
  const as = memory.as;
  memory.federated ??= io.world.embedded !== undefined && io.profile.consentFlow === true;
  const code = memory.federated
    ? await signInThroughConsentFlow(io, memory, as)
    : await signInAutomatically(io, memory, as);
  const auth = memory.client!;
  const tokens = await io.step('token', () =>
    tokenRequest(
      io,
      as,
      {
        grant_type: 'authorization_code',
        code: code.code,
        redirect_uri: io.world.redirectUri,
        code_verifier: code.verifier,
        resource: mcpUrl,
      },
      auth,
    ),
  );
  const login: Login = {
    as,
    auth,
    mcpUrl,
    tokens,
    async *renew() {
      if (login.tokens.refreshToken) return await refreshing(io, login);
      return (yield* interactiveUser(io, memory)).tokens;
    },
  };
  return login;
}

interface IssuedCode {
  code: string;
  verifier: string;
}

async function authorizationUrl(io: ActorIo, as: AsMetadata, clientId: string, verifier: string, state: string) {
  if (!as.authorization_endpoint) throw new StepError('bad-metadata', 'no authorization_endpoint');
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: io.world.redirectUri,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    resource: io.world.resource,
    ...(io.world.scope ? { scope: io.world.scope } : {}),
  }).toString();
  return url;
}

/** A client_id once per actor, then an authorization the AS approves without a page (auto-approve / login mode auto). */
async function signInAutomatically(io: ActorIo, memory: ActorMemory, as: AsMetadata): Promise<IssuedCode> {
  memory.client ??= await obtainClient(io, as);
  const client = memory.client;
  return io.step('authorize', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    let next = await authorizationUrl(io, as, client.client_id, verifier, state);
    for (let hop = 0; hop < 8; hop++) {
      const response = await io.world.fetch(next, { redirect: 'manual' });
      await response.arrayBuffer();
      const location = response.headers.get('location');
      if (!location) throw new StepError(`http-${response.status}`, 'authorize answered without redirecting');
      next = new URL(location, next);
      if (next.href.startsWith(io.world.redirectUri)) return codeFrom(next, state, verifier);
    }
    throw new StepError('too-many-redirects', 'authorization did not come back');
  });
}

function codeFrom(callback: URL, state: string, verifier: string): IssuedCode {
  const error = callback.searchParams.get('error');
  if (error) throw new StepError(error, `authorization error ${error}`);
  const code = callback.searchParams.get('code');
  if (!code || callback.searchParams.get('state') !== state)
    throw new StepError('bad-callback', 'no code or bad state');
  return { code, verifier };
}

/** The client_id of the user's MCP client, as its profile says the client gets one. */
async function obtainClient(io: ActorIo, as: AsMetadata): Promise<ClientAuth> {
  switch (io.profile.clientIdentity ?? 'dcr') {
    case 'dcr':
      return io.step('registration', () => register(io, as));
    case 'cimd':
      return io.step('client-id-document', async () => documentClient(io, as));
    case 'preRegistered': {
      const client = io.world.clientIdentities.preRegistered;
      if (!client) throw new StepError('no-pre-registered-client', 'the world offers no pre-registered client');
      return { client_id: client.client_id };
    }
  }
}

/** CIMD: the client_id is the URL of the client's metadata document, which the AS fetches at authorization. */
function documentClient(io: ActorIo, as: AsMetadata): ClientAuth {
  const origin = io.world.clientIdentities.cimdDocumentOrigin;
  if (!origin) throw new StepError('no-document-host', 'the world serves no client metadata documents');
  if (as.client_id_metadata_document_supported !== true) {
    throw new StepError('cimd-not-supported', 'the AS metadata does not offer client_id_metadata_document_supported');
  }
  return { client_id: clientDocumentUrl(origin, io.profile.id) };
}

async function register(io: ActorIo, as: AsMetadata): Promise<ClientAuth> {
  if (!as.registration_endpoint) throw new StepError('no-registration-endpoint', 'the AS offers no DCR');
  const response = await io.world.fetch(as.registration_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      client_name: `${io.profile.name}'s MCP client`,
      redirect_uris: [io.world.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    }),
  });
  const json = await expectJson(response, 'registration');
  if (typeof json.client_id !== 'string') throw new StepError('no-client-id', 'registration gave no client_id');
  return { client_id: json.client_id };
}

/**
 * Seed 000/004: the consent flow client — credentials screen (checked by the homegrown identity system over the HTTP
 * connector), consent on the first sign-in only, then the code. A second consent screen is a lost consent.
 */
async function signInThroughConsentFlow(io: ActorIo, memory: ActorMemory, as: AsMetadata): Promise<IssuedCode> {
  const embedded = io.world.embedded!;
  if (!memory.userAdded) {
    embedded.homegrown.addUser({
      id: io.profile.id,
      email: io.profile.email,
      password: io.profile.password,
      name: io.profile.name,
    });
    memory.userAdded = true;
  }
  memory.client = { client_id: embedded.consentClientId };
  return io.step('authorize', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const agent = new UserAgent(io.world.fetch, { stopAt: [io.world.redirectUri] });
    let stop = await agent.open(await authorizationUrl(io, as, embedded.consentClientId, verifier, state));
    if (stop.kind === 'page' && stop.forms[0]?.inputs.some((input) => input.name === 'password')) {
      stop = await agent.submit(stop, { username: io.profile.email, password: io.profile.password });
    }
    const asksConsent =
      stop.kind === 'page' && stop.forms.some((form) => form.buttons.some((button) => button.value === 'approve'));
    if (memory.consented) {
      io.observe('no-lost-consent', !asksConsent, `${io.profile.email} was asked to consent again`);
    }
    if (stop.kind === 'page' && asksConsent) {
      stop = await agent.submit(stop, {}, { button: { name: 'decision', value: 'approve' } });
    }
    if (stop.kind !== 'redirect') {
      throw new StepError(`page-${stop.status}`, `the flow stopped on a page: ${stop.alert ?? stop.text.slice(0, 80)}`);
    }
    const code = codeFrom(stop.url, state, verifier);
    memory.consented = true;
    return code;
  });
}

/** OAuth 2.1 §4.2: client_credentials for the MCP server; renewal is simply a new grant. */
async function* m2mAgent(io: ActorIo, memory: ActorMemory): Waiting<Login> {
  const auth = io.world.clients.m2m!;
  memory.as ??= await io.step('discovery', () => asMetadata(io, io.world.issuer));
  const as = memory.as;
  const grant = () =>
    io.step('token', () =>
      tokenRequest(io, as, { grant_type: 'client_credentials', resource: io.world.resource, ...scopeParam(io) }, auth),
    );
  return grantLogin(as, auth, io.world.resource, grant);
}

function scopeParam(io: ActorIo): Record<string, string> {
  return io.world.scope ? { scope: io.world.scope } : {};
}

/** RFC 7523 §2.1: the platform's identity token (minted on the actor's own, possibly skewed, clock) for an access token. */
async function* workload(io: ActorIo, memory: ActorMemory): Waiting<Login> {
  const embedded = io.world.embedded!;
  const auth = io.world.clients.workload!;
  memory.as ??= await io.step('discovery', () => discoverFromResource(io, io.world.resource));
  const as = memory.as;
  const grant = () =>
    io.step('token', async () => {
      const iat = Math.floor(io.actorNowS());
      const assertion = await embedded.workloadIssuer.mint({
        claims: { aud: as.token_endpoint, iat, exp: iat + 300, jti: crypto.randomUUID() },
      });
      return tokenRequest(
        io,
        as,
        { grant_type: JWT_BEARER, assertion, resource: io.world.resource, ...scopeParam(io) },
        auth,
      );
    });
  return grantLogin(as, auth, io.world.resource, grant);
}

/** Seed 003: a user's token handed to the service (code flow, auto-approve), exchanged (RFC 8693) for another resource. */
async function* delegatingService(io: ActorIo, memory: ActorMemory): Waiting<Login> {
  const auth = io.world.clients.exchange!;
  const target = io.world.delegationResource!;
  memory.as ??= await io.step('discovery', () => asMetadata(io, io.world.issuer));
  const as = memory.as;
  const userCode = await signInAutomatically(io, memory, as);
  const user = await io.step('user-token', () =>
    tokenRequest(
      io,
      as,
      {
        grant_type: 'authorization_code',
        code: userCode.code,
        redirect_uri: io.world.redirectUri,
        code_verifier: userCode.verifier,
        resource: io.world.resource,
      },
      memory.client!,
    ),
  );
  const exchange = () =>
    io.step('exchange', () =>
      tokenRequest(
        io,
        as,
        {
          grant_type: TOKEN_EXCHANGE,
          subject_token: user.accessToken,
          subject_token_type: ACCESS_TOKEN_TYPE,
          requested_token_type: ACCESS_TOKEN_TYPE,
          resource: target,
        },
        auth,
      ),
    );
  return grantLogin(as, auth, target, exchange);
}

/** OpenID CIBA Core (poll mode): the backchannel request, the user approving the emailed link, polls at the interval. */
async function* cibaAgent(io: ActorIo, memory: ActorMemory): Waiting<Login> {
  const embedded = io.world.embedded!;
  const auth = io.world.clients.ciba!;
  memory.as ??= await io.step('discovery', () => asMetadata(io, io.world.issuer));
  const as = memory.as;
  const grant = async function* (): Waiting<TokenSet> {
    const binding = `Agent ${io.profile.index} ${Math.floor(io.runS())}`;
    const started = await io.step('backchannel', async () => {
      if (!as.backchannel_authentication_endpoint) throw new StepError('no-ciba', 'the AS offers no CIBA');
      const response = await postForm(
        io,
        as.backchannel_authentication_endpoint,
        {
          scope: `openid ${io.world.scope}`.trim(),
          login_hint: embedded.cibaLoginHint,
          binding_message: binding,
          resource: io.world.resource,
        },
        auth,
      );
      return expectJson(response, 'backchannel authentication');
    });
    let interval = typeof started.interval === 'number' ? started.interval : 5;
    await io.step('approve', () => approveMail(io, embedded.cibaLoginHint, binding));
    for (let poll = 0; poll < CIBA_MAX_POLLS; poll++) {
      yield interval * 1000;
      try {
        return await io.step('token', () =>
          tokenRequest(io, as, { grant_type: CIBA, auth_req_id: String(started.auth_req_id) }, auth),
        );
      } catch (error) {
        if (!(error instanceof StepError)) throw error;
        if (error.type === 'slow_down') interval += 5;
        else if (error.type !== 'authorization_pending') throw error;
      }
    }
    throw new StepError('ciba-gave-up', 'no decision after the polls');
  };
  const tokens = yield* grant();
  const login: Login = { as, auth, mcpUrl: io.world.resource, tokens, renew: grant };
  return login;
}

/** The user reads the mail carrying this request's binding message and approves it. */
async function approveMail(io: ActorIo, address: string, binding: string): Promise<void> {
  const mailbox = io.world.embedded!.system.mailbox;
  const user = new CibaUser({
    fetch: io.world.fetch,
    inbox: { messages: async (to) => mailbox.messages(to) },
    address,
  });
  const mail = mailbox.messages(address).findLast((message) => message.text.includes(binding));
  if (!mail) throw new StepError('no-mail', 'the approval mail did not arrive');
  const reply = await user.submit(await user.open(mail), 'approve');
  if (reply.status >= 400) throw new StepError(`http-${reply.status}`, 'approval refused');
}
