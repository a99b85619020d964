/**
 * `sdk-client <mcp-url>`: an MCP client built on the v1 MCP TypeScript SDK (`@modelcontextprotocol/sdk`) the way its
 * users build one — a `Client` over `StreamableHTTPClientTransport` with an in-memory `OAuthClientProvider`, the SDK's
 * `auth()` doing discovery, registration, PKCE and the token exchange. The user agent is headless: the authorization
 * URL is fetched with manual redirects and the code read from `Location` (the scenario AS approves at once).
 * MCP_CONFORMANCE_CONTEXT `client_id`/`client_secret` (pre-registration scenarios) become the client information.
 * Exits 0 after one `echo` call, 1 with the reason otherwise.
 */
import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';

const REDIRECT_URI = 'http://127.0.0.1:5555/callback';

/** The official suite's context shape for a client registered ahead of time. */
interface PreRegisteredClient {
  client_id: string;
  client_secret?: string;
}

/** Keeps everything `auth()` hands over in memory; its browser is a fetch that does not follow redirects. */
class HeadlessOAuthProvider implements OAuthClientProvider {
  private information: OAuthClientInformationMixed | undefined;
  private savedTokens: OAuthTokens | undefined;
  private verifier: string | undefined;
  private sentState: string | undefined;
  /** The code the AS redirected back with, once the user agent has been sent there. */
  authorizationCode: string | undefined;

  constructor(preRegistered: PreRegisteredClient | undefined) {
    this.information = preRegistered;
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
    this.sentState = randomBytes(16).toString('base64url');
    return this.sentState;
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

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    if (!this.verifier) throw new Error('no PKCE code verifier was saved before the redirect');
    return this.verifier;
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    const response = await fetch(authorizationUrl, { redirect: 'manual' });
    const location = response.headers.get('location');
    if (!location) throw new Error(`the authorization endpoint answered ${response.status} without a redirect`);
    this.authorizationCode = codeFromCallback(new URL(location, authorizationUrl), this.sentState);
  }
}

/** What the redirect URI's handler does: the state must be ours, then the code (or the error) is read. */
function codeFromCallback(callback: URL, sentState: string | undefined): string {
  const error = callback.searchParams.get('error');
  if (error) throw new Error(`authorization refused: ${error} ${callback.searchParams.get('error_description') ?? ''}`);
  if (callback.searchParams.get('state') !== sentState) throw new Error('the callback state is not the one sent');
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`the callback carries no code: ${callback.href}`);
  return code;
}

function preRegisteredFromContext(context: string | undefined): PreRegisteredClient | undefined {
  if (!context) return undefined;
  const parsed: unknown = JSON.parse(context);
  if (typeof parsed !== 'object' || parsed === null || !('client_id' in parsed)) return undefined;
  const { client_id, client_secret } = parsed as { client_id: unknown; client_secret?: unknown };
  if (typeof client_id !== 'string') return undefined;
  return typeof client_secret === 'string' ? { client_id, client_secret } : { client_id };
}

async function connected(mcpUrl: URL, provider: HeadlessOAuthProvider): Promise<Client> {
  const client = new Client({ name: 'mcp-sdk-v1-client', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
  return client;
}

/** Connect; on 401 the SDK runs `auth()` and "redirects"; finish with the code and connect again, as its docs say. */
async function connectWithAuthorization(mcpUrl: URL, provider: HeadlessOAuthProvider): Promise<Client> {
  try {
    return await connected(mcpUrl, provider);
  } catch (error) {
    if (!(error instanceof UnauthorizedError) || !provider.authorizationCode) throw error;
  }
  const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
  await transport.finishAuth(provider.authorizationCode);
  return connected(mcpUrl, provider);
}

async function main(): Promise<void> {
  const target = process.argv.at(-1);
  if (!target || !URL.canParse(target)) {
    process.stderr.write('usage: sdk-client <mcp-server-url>\n');
    process.exit(2);
  }
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '(none)';
  const provider = new HeadlessOAuthProvider(preRegisteredFromContext(process.env.MCP_CONFORMANCE_CONTEXT));
  const client = await connectWithAuthorization(new URL(target), provider);
  try {
    const result = await client.callTool({ name: 'echo', arguments: { message: 'hello from the v1 SDK' } });
    process.stdout.write(`[${scenario}] echo → ${JSON.stringify(result.content)}\n`);
  } finally {
    await client.close();
  }
}

try {
  await main();
  process.exit(0);
} catch (error) {
  process.stderr.write(`failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
