import { type DelegationChain, delegationOf } from '../../harness/jwt.ts';

export type { DelegationChain } from '../../harness/jwt.ts';

import type { Fetch } from '../../harness/network/types.ts';
import type { Defects } from '../defects.ts';
import type { IssuerDirectory } from './issuer-directory.ts';
import { basicAuthorization, type IntrospectionCredentials } from './token-verifier.ts';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface DownstreamOptions {
  /** The downstream API the `downstream_report` tool calls on behalf of the user. */
  url: string;
  /** This resource server's own client at the issuers: it authenticates the token exchange. */
  client: IntrospectionCredentials;
  issuers: IssuerDirectory;
  fetch: Fetch;
  defects: Defects;
}

/** The caller whose token the tool acts on. */
export interface DownstreamCaller {
  token: string;
  issuer: string;
}

/** What the tool saw: the downstream answer, or why it could not call. */
export interface DownstreamReport {
  url: string;
  /** How the downstream call was authorized: a token exchanged for it, or the caller's own token passed through. */
  credential: 'exchanged' | 'passthrough';
  /** For an exchanged JWT: who it speaks for and who acts (absent for opaque tokens and passthrough). */
  delegation?: DelegationChain;
  status?: number;
  body?: string;
  error?: string;
}

export type DownstreamCall = (caller: DownstreamCaller) => Promise<DownstreamReport>;

/**
 * MCP "Access Token Privilege Restriction" (token passthrough is forbidden): the server exchanges the caller's token
 * for one issued to the downstream API (RFC 8693), then calls the API with that token only.
 */
export function createDownstreamCall(options: DownstreamOptions): DownstreamCall {
  const { url, defects } = options;
  return async (caller) => {
    const credential = defects.has('token-passthrough') ? 'passthrough' : 'exchanged';
    try {
      const token = credential === 'passthrough' ? caller.token : await exchangeToken(caller, options);
      const delegation = credential === 'exchanged' ? delegationOf(token) : undefined;
      const response = await options.fetch(url, { headers: { Authorization: `Bearer ${token}` } });
      const body = (await response.text()).slice(0, 2000);
      return { url, credential, ...(delegation ? { delegation } : {}), status: response.status, body };
    } catch (error) {
      return { url, credential, error: error instanceof Error ? error.message : String(error) };
    }
  };
}

/**
 * RFC 8693 §2.1–2.2, seed 003: the client → this MCP server (tool A) → the downstream API (service B) chain. The
 * caller's token is the subject_token, the downstream API the resource; this server authenticates with its own client,
 * so it is the actor: B's token has sub = the user and act.sub = this server. Only an access token will do.
 */
async function exchangeToken(caller: DownstreamCaller, options: DownstreamOptions): Promise<string> {
  const { tokenEndpoint } = await options.issuers.lookup(caller.issuer);
  if (!tokenEndpoint) throw new Error(`the issuer ${caller.issuer} has no token endpoint to exchange the token at`);
  const response = await options.fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      Authorization: basicAuthorization(options.client),
    },
    body: new URLSearchParams({
      grant_type: TOKEN_EXCHANGE,
      subject_token: caller.token,
      subject_token_type: ACCESS_TOKEN_TYPE,
      resource: options.url,
      requested_token_type: ACCESS_TOKEN_TYPE,
    }),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.access_token !== 'string') {
    const reason = typeof body.error === 'string' ? `${body.error}: ${String(body.error_description ?? '')}` : '';
    throw new Error(`the token exchange was refused (HTTP ${response.status}) ${reason}`.trim());
  }
  // §2.2.1: issued_token_type is REQUIRED; a server that leaves it out is tolerated, another type is not usable here.
  if (body.issued_token_type !== undefined && body.issued_token_type !== ACCESS_TOKEN_TYPE) {
    throw new Error(`the token exchange issued ${String(body.issued_token_type)}, not an access token`);
  }
  return body.access_token;
}
