/**
 * `sdk-client <mcp-url>`: an MCP client built on the v1 MCP TypeScript SDK (`@modelcontextprotocol/sdk`) the way its
 * users build one — a `Client` over `StreamableHTTPClientTransport` with an `OAuthClientProvider`, the SDK's `auth()`
 * doing discovery, registration, PKCE and the token requests. The provider follows MCP_CONFORMANCE_CONTEXT and
 * MCP_CONFORMANCE_SCENARIO as the official suite's example client does:
 * - `private_key_jwt` key → the SDK's `PrivateKeyJwtProvider` (client_credentials);
 * - `auth/client-credentials-*` with a secret → the SDK's `ClientCredentialsProvider`;
 * - an enterprise IdP ID token → a provider whose `prepareTokenRequest` presents an ID-JAG (jwt-bearer grant);
 * - otherwise a user-facing provider: pre-registered `client_id`/`client_secret`, or `client_metadata_url` (CIMD),
 *   else dynamic registration. Its user agent is headless: the authorization URL is fetched with manual redirects
 *   and the code read from `Location` (the scenario AS approves at once).
 * Lists the tools and calls `echo`; exits 0, or 1 with the reason.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { ClientCredentialsProvider, PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';

const REDIRECT_URI = 'http://127.0.0.1:5555/callback';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';

type Context = Record<string, unknown>;

function stringField(context: Context, name: string): string | undefined {
  const value = context[name];
  return typeof value === 'string' ? value : undefined;
}

function requiredField(context: Context, name: string): string {
  const value = stringField(context, name);
  if (value === undefined) throw new Error(`MCP_CONFORMANCE_CONTEXT lacks ${name}`);
  return value;
}

function parseContext(text: string | undefined): Context {
  if (!text) return {};
  const parsed: unknown = JSON.parse(text);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Context) : {};
}

/** BASE64URL(SHA256(verifier)), the S256 code_challenge (RFC 7636 §4.2). */
function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/**
 * Keeps everything `auth()` hands over in memory (saved values unchanged, so the SDK's `issuer` stamps and rotated
 * refresh tokens are kept as given); its browser is a fetch that does not follow redirects.
 */
class HeadlessOAuthProvider implements OAuthClientProvider {
  private information: OAuthClientInformationMixed | undefined;
  private savedTokens: OAuthTokens | undefined;
  /** Each PKCE verifier by its S256 challenge: concurrent `auth()` runs may each start an authorization. */
  private readonly verifiers = new Map<string, string>();
  private readonly sentStates = new Set<string>();
  private pending: { code: string; verifier: string } | undefined;
  /** The code `finishAuth` is redeeming, with its verifier: a concurrent redirect may replace `pending` meanwhile. */
  private redeeming: { code: string; verifier: string } | undefined;
  readonly clientMetadataUrl: string | undefined;

  constructor(context: Context) {
    const clientId = stringField(context, 'client_id');
    const clientSecret = stringField(context, 'client_secret');
    if (clientId)
      this.information = clientSecret ? { client_id: clientId, client_secret: clientSecret } : { client_id: clientId };
    this.clientMetadataUrl = stringField(context, 'client_metadata_url');
  }

  get redirectUrl(): string {
    return REDIRECT_URI;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'MCP SDK v1 client',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state(): string {
    const state = randomBytes(16).toString('base64url');
    this.sentStates.add(state);
    return state;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.information;
  }

  saveClientInformation(information: OAuthClientInformationMixed): void {
    this.information = information;
  }

  tokens(): OAuthTokens | undefined {
    return this.savedTokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.savedTokens = tokens;
  }

  /** What `auth()` asks to forget after invalid_grant / invalid_client before it starts over. */
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'tokens') this.savedTokens = undefined;
    if (scope === 'all' || scope === 'client') this.information = undefined;
    if (scope === 'all' || scope === 'verifier') this.verifiers.clear();
  }

  saveCodeVerifier(verifier: string): void {
    this.verifiers.set(s256(verifier), verifier);
  }

  codeVerifier(): string {
    if (!this.redeeming) throw new Error('no authorization code is being redeemed');
    return this.redeeming.verifier;
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    const verifier = this.verifiers.get(authorizationUrl.searchParams.get('code_challenge') ?? '');
    if (!verifier) throw new Error('no PKCE code verifier was saved for this authorization request');
    const response = await fetch(authorizationUrl, { redirect: 'manual' });
    const location = response.headers.get('location');
    if (!location) throw new Error(`the authorization endpoint answered ${response.status} without a redirect`);
    this.pending = { code: codeFromCallback(new URL(location, authorizationUrl), this.sentStates), verifier };
  }

  /** The code of the last authorization response, taken for redemption (a code is redeemed once). */
  takeAuthorizationCode(): string | undefined {
    this.redeeming = this.pending;
    this.pending = undefined;
    return this.redeeming?.code;
  }
}

/** What the redirect URI's handler does: the state must be one we sent, then the code (or the error) is read. */
function codeFromCallback(callback: URL, sentStates: ReadonlySet<string>): string {
  const error = callback.searchParams.get('error');
  if (error) throw new Error(`authorization refused: ${error} ${callback.searchParams.get('error_description') ?? ''}`);
  if (!sentStates.has(callback.searchParams.get('state') ?? '')) throw new Error('the callback state is not one sent');
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`the callback carries no code: ${callback.href}`);
  return code;
}

/**
 * Enterprise-managed authorization (ID-JAG): the SDK has no provider for it, but its non-interactive path runs any
 * grant a provider prepares. Discovery hands over the AS issuer and the resource; the provider exchanges the SSO ID
 * token at the IdP for an ID-JAG (RFC 8693) and the SDK presents it with the JWT bearer grant (RFC 7523 §2.1),
 * authenticating the client with client_secret_basic as the AS metadata allows.
 */
class EnterpriseIdJagProvider implements OAuthClientProvider {
  private savedTokens: OAuthTokens | undefined;
  private discovery: OAuthDiscoveryState | undefined;

  constructor(private readonly context: Context) {}

  get redirectUrl(): undefined {
    return undefined;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'MCP SDK v1 enterprise client',
      redirect_uris: [],
      grant_types: [JWT_BEARER_GRANT],
      token_endpoint_auth_method: 'client_secret_basic',
    };
  }

  clientInformation(): OAuthClientInformationMixed {
    return {
      client_id: requiredField(this.context, 'client_id'),
      client_secret: requiredField(this.context, 'client_secret'),
    };
  }

  tokens(): OAuthTokens | undefined {
    return this.savedTokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.savedTokens = tokens;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }

  async prepareTokenRequest(): Promise<URLSearchParams> {
    return new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: await this.idJag() });
  }

  private async idJag(): Promise<string> {
    const audience = this.discovery?.authorizationServerMetadata?.issuer;
    const resource = this.discovery?.resourceMetadata?.resource;
    if (!audience || !resource) throw new Error('discovery named no authorization server issuer or resource');
    const body = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE_GRANT,
      requested_token_type: ID_JAG_TOKEN_TYPE,
      subject_token: requiredField(this.context, 'idp_id_token'),
      subject_token_type: ID_TOKEN_TYPE,
      audience,
      resource,
    });
    const response = await fetch(requiredField(this.context, 'idp_token_endpoint'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...this.idpAuthentication(body) },
      body,
    });
    const result = (await response.json()) as { access_token?: unknown; error?: unknown };
    if (!response.ok || typeof result.access_token !== 'string') {
      throw new Error(`the IdP refused the token exchange: ${String(result.error ?? response.status)}`);
    }
    return result.access_token;
  }

  /** The official context has no IdP secret (a public IdP client); ours adds one, sent with HTTP Basic when present. */
  private idpAuthentication(body: URLSearchParams): Record<string, string> {
    const clientId = requiredField(this.context, 'idp_client_id');
    const secret = stringField(this.context, 'idp_client_secret');
    if (!secret) {
      body.set('client_id', clientId);
      return {};
    }
    const credentials = `${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`;
    return { Authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
  }

  redirectToAuthorization(): never {
    throw new Error('enterprise-managed authorization has no user-agent redirect');
  }

  saveCodeVerifier(): void {}

  codeVerifier(): never {
    throw new Error('enterprise-managed authorization uses no PKCE');
  }
}

/** The provider a real integration would configure for this scenario's context. */
function providerFor(scenario: string, context: Context): OAuthClientProvider {
  const privateKey = stringField(context, 'private_key_pem');
  if (privateKey) {
    return new PrivateKeyJwtProvider({
      clientId: requiredField(context, 'client_id'),
      privateKey,
      algorithm: stringField(context, 'signing_algorithm') ?? 'ES256',
    });
  }
  if (stringField(context, 'idp_id_token')) return new EnterpriseIdJagProvider(context);
  const clientSecret = stringField(context, 'client_secret');
  if (scenario.startsWith('auth/client-credentials') && clientSecret) {
    return new ClientCredentialsProvider({ clientId: requiredField(context, 'client_id'), clientSecret });
  }
  return new HeadlessOAuthProvider(context);
}

/** MCP Streamable HTTP "Session Management": 404 to a request in a session means the session is gone. */
function sessionEnded(error: unknown): boolean {
  return error instanceof StreamableHTTPError && error.code === 404;
}

/**
 * One MCP connection. When the SDK stops at the user-agent redirect (`UnauthorizedError`), the code is redeemed on
 * the same transport with `finishAuth` (which knows the challenge's metadata URL and scope) and the step is retried,
 * as the SDK's OAuth example does; a session the server ended is opened anew.
 */
class AuthorizedSession {
  private client: Client | undefined;
  private transport: StreamableHTTPClientTransport | undefined;

  constructor(
    private readonly mcpUrl: URL,
    private readonly provider: OAuthClientProvider,
  ) {}

  async open(): Promise<void> {
    await this.authorizing(() => this.connect());
  }

  async run<T>(operation: (client: Client) => Promise<T>): Promise<T> {
    try {
      return await this.authorizing(() => operation(this.connected()));
    } catch (error) {
      if (!sessionEnded(error)) throw error;
      await this.close();
      await this.open();
      return this.authorizing(() => operation(this.connected()));
    }
  }

  async close(): Promise<void> {
    await this.client?.close();
    this.client = undefined;
    this.transport = undefined;
  }

  private async connect(): Promise<void> {
    await this.client?.close();
    this.transport = new StreamableHTTPClientTransport(this.mcpUrl, { authProvider: this.provider });
    this.client = new Client({ name: 'mcp-sdk-v1-client', version: '1.0.0' });
    await this.client.connect(this.transport);
  }

  private connected(): Client {
    if (!this.client) throw new Error('the MCP session is not open');
    return this.client;
  }

  /** Runs `step`; after the SDK's redirect, redeems the code on the transport that got the challenge and runs it again. */
  private async authorizing<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      const headless = this.provider instanceof HeadlessOAuthProvider ? this.provider : undefined;
      const code = error instanceof UnauthorizedError ? headless?.takeAuthorizationCode() : undefined;
      if (!code || !this.transport) throw error;
      await this.transport.finishAuth(code);
      return step();
    }
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof OAuthError) return `${error.errorCode}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<void> {
  const target = process.argv.at(-1);
  if (!target || !URL.canParse(target)) {
    process.stderr.write('usage: sdk-client <mcp-server-url>\n');
    process.exit(2);
  }
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '(none)';
  const provider = providerFor(scenario, parseContext(process.env.MCP_CONFORMANCE_CONTEXT));
  const session = new AuthorizedSession(new URL(target), provider);
  await session.open();
  try {
    const { tools } = await session.run((client) => client.listTools());
    const result = await session.run((client) =>
      client.callTool({ name: 'echo', arguments: { message: 'hello from the v1 SDK' } }),
    );
    process.stdout.write(`[${scenario}] ${tools.length} tools; echo → ${JSON.stringify(result.content)}\n`);
  } finally {
    await session.close();
  }
}

try {
  await main();
  process.exit(0);
} catch (error) {
  process.stderr.write(`failed: ${describeFailure(error)}\n`);
  process.exit(1);
}
