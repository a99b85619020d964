/**
 * What one simulated actor works with: its profile (seeded), its view of time (skewed), and the HTTP steps its journeys
 * are made of — each a plain request or two, measured and classified by the engine.
 */
import { NetworkError } from '../network/network.ts';
import type { InvariantName } from './invariants.ts';
import type { Rng } from './random.ts';
import type { Behaviour } from './scenario.ts';
import type { ActorKind, ClientIdentity } from './types.ts';
import type { SimulationWorld } from './world.ts';

export const MCP_PROTOCOL_VERSION = '2025-11-25';

/** A step did not succeed; `type` is what the figures count it under (OAuth error code, `http-401`, `network`, …). */
export class StepError extends Error {
  override name = 'StepError';
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ActorProfile {
  id: string;
  index: number;
  kind: ActorKind;
  name: string;
  email: string;
  password: string;
  /** How far this actor's clock is off (seconds, before fault windows add theirs). */
  skewS: number;
  /** An interactive user who signs in through the consent flow of the homegrown identity system (its own client). */
  consentFlow?: boolean;
  /** How an interactive user's MCP client gets its client_id when signing in without the consent flow. */
  clientIdentity?: ClientIdentity;
  rng: Rng;
}

/** The engine's side of an actor: time, measured steps, and where observations and counts go. */
export interface ActorIo {
  profile: ActorProfile;
  world: SimulationWorld;
  behaviour: Behaviour;
  /** True epoch seconds (the system's clock). */
  nowS(): number;
  /** Epoch seconds as the actor's own clock shows them. */
  actorNowS(): number;
  /** Simulated seconds since the start of the run. */
  runS(): number;
  /** Runs one step of the journey, measured; a failure is recorded and rethrown as StepError. */
  step<T>(name: string, work: () => Promise<T>): Promise<T>;
  observe(invariant: InvariantName, held: boolean, message: string): void;
  tokenIssued(): void;
  refreshed(): void;
}

/** How a client authenticates at the token, revocation and exchange endpoints. */
export interface ClientAuth {
  client_id: string;
  client_secret?: string;
}

export interface TokenSet {
  accessToken: string;
  /** True epoch seconds when the access token expires (issuance time + expires_in). */
  expiresAtS: number;
  issuedAtS: number;
  refreshToken?: string;
}

export interface AsMetadata {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint: string;
  registration_endpoint?: string;
  /** Client ID Metadata Documents: the AS accepts an https URL as client_id and fetches the document there. */
  client_id_metadata_document_supported?: boolean;
  revocation_endpoint?: string;
  backchannel_authentication_endpoint?: string;
}

/** Classifies whatever a step threw. */
export function errorType(error: unknown): string {
  if (error instanceof StepError) return error.type;
  if (error instanceof NetworkError || (error instanceof Error && error.name === 'NetworkError')) {
    const message = (error as Error).message;
    if (message.includes('dropped')) return 'connection-dropped';
    if (message.includes('no answer') || message.includes('did not end in time')) return 'timeout';
    return 'network';
  }
  return 'unexpected';
}

/** The JSON body of a response, or StepError with the OAuth error code (else `http-<status>`) when it failed. */
export async function expectJson(response: Response, what: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = undefined;
  }
  const json = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  if (response.ok && json) return json;
  const code = typeof json?.error === 'string' ? json.error : `http-${response.status}`;
  throw new StepError(code, `${what}: ${response.status} ${code}`);
}

function basic(auth: ClientAuth): string {
  const encode = (value: string) => encodeURIComponent(value);
  return `Basic ${btoa(`${encode(auth.client_id)}:${encode(auth.client_secret ?? '')}`)}`;
}

/** RFC 6749 §2.3.1: a confidential client authenticates with HTTP Basic; a public client names itself in the body. */
export async function postForm(
  io: ActorIo,
  url: string,
  form: Record<string, string>,
  auth: ClientAuth,
): Promise<Response> {
  const body = new URLSearchParams(form);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (auth.client_secret === undefined) body.set('client_id', auth.client_id);
  else headers.authorization = basic(auth);
  return io.world.fetch(url, { method: 'POST', headers, body });
}

/** OAuth 2.1 §3.2.3: a token response, as this actor's token set (its expiry on the true clock). */
export async function tokenRequest(
  io: ActorIo,
  as: AsMetadata,
  form: Record<string, string>,
  auth: ClientAuth,
): Promise<TokenSet> {
  const json = await expectJson(await postForm(io, as.token_endpoint, form, auth), `token (${form.grant_type})`);
  if (typeof json.access_token !== 'string') throw new StepError('no-access-token', 'the token response has none');
  const issuedAtS = io.nowS();
  io.tokenIssued();
  return {
    accessToken: json.access_token,
    issuedAtS,
    expiresAtS: issuedAtS + (typeof json.expires_in === 'number' ? json.expires_in : 3600),
    ...(typeof json.refresh_token === 'string' ? { refreshToken: json.refresh_token } : {}),
  };
}

/** RFC 8414 §3: the AS metadata at the well-known URL (path inserted). */
export async function asMetadata(io: ActorIo, issuer: string): Promise<AsMetadata> {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname;
  const metadataUrl = `${url.origin}/.well-known/oauth-authorization-server${path}`;
  const json = await expectJson(
    await io.world.fetch(metadataUrl, { headers: { accept: 'application/json' } }),
    'AS metadata',
  );
  if (typeof json.token_endpoint !== 'string') throw new StepError('bad-metadata', 'AS metadata has no token_endpoint');
  return json as unknown as AsMetadata;
}

/** MCP authorization discovery: 401 with resource_metadata (RFC 9728 §5.1), the PRM, then its first AS. */
export async function discoverFromResource(io: ActorIo, mcpUrl: string): Promise<AsMetadata> {
  const challenge = await io.world.fetch(mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'ping' }),
  });
  await challenge.arrayBuffer();
  if (challenge.status !== 401) throw new StepError(`http-${challenge.status}`, 'expected 401 without a token');
  const header = challenge.headers.get('www-authenticate') ?? '';
  const pointer = /resource_metadata="([^"]+)"/.exec(header)?.[1];
  const prmUrl = pointer ?? `${new URL(mcpUrl).origin}/.well-known/oauth-protected-resource${new URL(mcpUrl).pathname}`;
  const prm = await expectJson(await io.world.fetch(prmUrl, { headers: { accept: 'application/json' } }), 'PRM');
  const issuer = Array.isArray(prm.authorization_servers) ? prm.authorization_servers[0] : undefined;
  if (typeof issuer !== 'string') throw new StepError('bad-metadata', 'PRM lists no authorization_servers');
  return asMetadata(io, issuer);
}

/** RFC 7009 §2.1: revokes a token; 200 whether or not it was known. */
export async function revoke(
  io: ActorIo,
  as: AsMetadata,
  token: string,
  hint: string,
  auth: ClientAuth,
): Promise<void> {
  if (!as.revocation_endpoint) throw new StepError('no-revocation-endpoint', 'the AS offers no revocation');
  const response = await postForm(io, as.revocation_endpoint, { token, token_type_hint: hint }, auth);
  if (!response.ok) await expectJson(response, 'revocation');
  else await response.arrayBuffer();
}

/** One MCP session (Streamable HTTP, JSON responses) bound to the access token it was opened with. */
export interface McpSession {
  url: string;
  sessionId?: string | undefined;
}

function mcpHeaders(token: string, session?: McpSession): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: `Bearer ${token}`,
    'mcp-protocol-version': MCP_PROTOCOL_VERSION,
    ...(session?.sessionId ? { 'mcp-session-id': session.sessionId } : {}),
  };
}

function mcpFailure(response: Response, what: string): StepError {
  const challenge = response.headers.get('www-authenticate') ?? '';
  const code = /error="([^"]+)"/.exec(challenge)?.[1];
  return new StepError(code ?? `http-${response.status}`, `${what}: ${response.status}`);
}

/** MCP lifecycle: initialize, then notifications/initialized. */
export async function openMcpSession(io: ActorIo, url: string, token: string): Promise<McpSession> {
  const response = await io.world.fetch(url, {
    method: 'POST',
    headers: mcpHeaders(token),
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: MCP_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'simulated', version: '0' },
      },
    }),
  });
  await response.arrayBuffer();
  if (!response.ok) throw mcpFailure(response, 'initialize');
  const sessionId = response.headers.get('mcp-session-id') ?? undefined;
  const session: McpSession = { url, ...(sessionId ? { sessionId } : {}) };
  const initialized = await io.world.fetch(url, {
    method: 'POST',
    headers: mcpHeaders(token, session),
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await initialized.arrayBuffer();
  if (!initialized.ok) throw mcpFailure(initialized, 'notifications/initialized');
  return session;
}

/** tools/call `echo`; the raw response, so callers can judge a refusal. */
export async function presentToken(io: ActorIo, session: McpSession, token: string): Promise<Response> {
  return io.world.fetch(session.url, {
    method: 'POST',
    headers: mcpHeaders(token, session),
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'echo', arguments: { message: io.profile.id } },
    }),
  });
}

export async function callTool(io: ActorIo, session: McpSession, token: string): Promise<void> {
  const response = await presentToken(io, session, token);
  if (!response.ok) {
    await response.arrayBuffer();
    throw mcpFailure(response, 'tools/call');
  }
  const json = await expectJson(response, 'tools/call');
  if (json.error !== undefined || (json.result as { isError?: boolean } | undefined)?.isError) {
    throw new StepError('tool-error', 'tools/call answered an error');
  }
}

/** Presents a token that must be refused; true when the MCP server refused it (401). */
export async function refusedByMcp(io: ActorIo, session: McpSession, token: string): Promise<boolean> {
  const response = await presentToken(io, session, token);
  await response.arrayBuffer();
  return response.status === 401;
}
