import * as oauth from 'oauth4webapi';
import type { Fetch } from '../../../harness/network/types.ts';
import { callEcho, discoverIssuer, httpOptions, journeySteps } from '../client-kit.ts';

export interface CibaAgentOptions {
  /** The AS issuer; its metadata (OpenID discovery) names the backchannel and token endpoints. */
  issuer: string;
  /** The MCP server whose `echo` tool the agent calls with the token. */
  mcpUrl: string;
  /** A confidential client registered for CIBA in poll mode (client_secret_basic). */
  client: { client_id: string; client_secret: string };
  /** Who is asked to approve: an email or username the AS knows. */
  loginHint: string;
  /** Default: `openid` plus the MCP server's scope `mcp:tools`. */
  scope?: string;
  bindingMessage?: string;
  fetch?: Fetch;
  /** Waits before each poll (default: real time); tests let a clock pass and act as the user here. */
  wait?: (seconds: number) => Promise<void>;
  /** Polls before giving up (default 60). */
  maxPolls?: number;
  /** Lets oauth4webapi talk to http:// servers (loopback `serve`); never needed for https origins. */
  allowInsecureRequests?: boolean;
  log?: (step: string) => void;
}

export interface CibaAgentRun {
  steps: string[];
  accessToken: string;
  /** The validated ID token's claims: who approved. */
  idTokenClaims: oauth.IDToken;
  /** Every wait the agent made, in seconds (slow_down makes them longer). */
  waits: number[];
  toolResult: unknown;
}

/** Thrown when the user denies, the request expires, or the AS misbehaves. */
export class CibaAgentError extends Error {
  override name = 'CibaAgentError';
}

const DEFAULT_SCOPE = 'openid mcp:tools';
/** CIBA Core §7.3: the default interval; §11: slow_down adds at least 5 s for every later poll. */
const DEFAULT_INTERVAL_SECONDS = 5;
const SLOW_DOWN_STEP_SECONDS = 5;

/**
 * An agent that acts for a user without a browser on its side (OpenID CIBA Core 1.0, poll mode): it asks the AS to
 * get the user's approval out of band (here by email), polls the token endpoint no faster than the interval (growing
 * it after slow_down), then calls the MCP server's `echo` tool with the access token it gets.
 */
export async function runCibaAgent(options: CibaAgentOptions): Promise<CibaAgentRun> {
  const fetch = options.fetch ?? globalThis.fetch;
  const wait = options.wait ?? ((seconds) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000)));
  const http = httpOptions(fetch, options.allowInsecureRequests ?? false);
  const { steps, step } = journeySteps(options.log);

  const as = await discoverIssuer(options.issuer, http, 'oidc');
  if (!as.backchannel_token_delivery_modes_supported?.includes('poll')) {
    throw new CibaAgentError(`${as.issuer} does not offer CIBA poll mode`);
  }
  step(`discovered ${as.issuer}: backchannel endpoint ${as.backchannel_authentication_endpoint}`);

  const client: oauth.Client = { client_id: options.client.client_id };
  const clientAuth = oauth.ClientSecretBasic(options.client.client_secret);
  const parameters: Record<string, string> = {
    scope: options.scope ?? DEFAULT_SCOPE,
    login_hint: options.loginHint,
    resource: options.mcpUrl,
    ...(options.bindingMessage ? { binding_message: options.bindingMessage } : {}),
  };
  const started = await oauth.processBackchannelAuthenticationResponse(
    as,
    client,
    await oauth.backchannelAuthenticationRequest(as, client, clientAuth, parameters, http),
  );
  step(`backchannel request accepted: expires in ${started.expires_in} s, interval ${started.interval ?? '(5)'} s`);

  const waits: number[] = [];
  let interval = started.interval ?? DEFAULT_INTERVAL_SECONDS;
  for (let attempt = 1; attempt <= (options.maxPolls ?? 60); attempt++) {
    waits.push(interval);
    await wait(interval);
    const response = await oauth.backchannelAuthenticationGrantRequest(
      as,
      client,
      clientAuth,
      started.auth_req_id,
      http,
    );
    try {
      const tokens = await oauth.processBackchannelAuthenticationGrantResponse(as, client, response);
      const idTokenClaims = oauth.getValidatedIdTokenClaims(tokens);
      if (!idTokenClaims) throw new CibaAgentError('the token response carries no ID token');
      step(`approved by ${idTokenClaims.sub} after ${attempt} poll(s)`);
      const toolResult = await callEcho(new URL(options.mcpUrl), tokens.access_token, fetch, {
        name: 'ciba-agent',
        message: 'hello from the CIBA agent',
      });
      step('MCP initialize + tools/call echo succeeded');
      return { steps, accessToken: tokens.access_token, idTokenClaims, waits, toolResult };
    } catch (error) {
      if (!(error instanceof oauth.ResponseBodyError)) throw error;
      if (error.error === 'authorization_pending') continue;
      if (error.error === 'slow_down') {
        interval += SLOW_DOWN_STEP_SECONDS;
        step(`slow_down: polling every ${interval} s from now on`);
        continue;
      }
      throw new CibaAgentError(`the AS ended the request: ${error.error} (${error.error_description ?? ''})`);
    }
  }
  throw new CibaAgentError('the user did not decide before the agent stopped polling');
}
