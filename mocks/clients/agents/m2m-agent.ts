/**
 * An autonomous agent with no user (seed 004, "Client Credentials"): it discovers its authorization server from the
 * RFC 8414 metadata, gets a token for the MCP server with the client credentials grant (OAuth 2.1 §4.2,
 * client_secret_basic, RFC 8707 `resource`), calls the `echo` tool, and revokes the token when done (RFC 7009).
 */
import * as oauth from 'oauth4webapi';
import type { Fetch } from '../../../harness/network/types.ts';
import { callEcho, discoverIssuer, type HttpOptions, httpOptions, journeySteps } from '../client-kit.ts';

export interface M2mAgentOptions {
  /** The authorization server's issuer identifier; its metadata names every endpoint the agent uses. */
  issuer: string;
  /** The MCP server (also the `resource` the token is asked for). */
  mcpUrl: string;
  clientId: string;
  clientSecret: string;
  fetch?: Fetch;
  scope?: string;
  message?: string;
  /** Lets oauth4webapi talk to http:// servers (loopback `serve`); never needed for https origins. */
  allowInsecureRequests?: boolean;
  log?: (step: string) => void;
}

export interface M2mAgentRun {
  steps: string[];
  accessToken: string;
  toolResult: unknown;
}

export async function runM2mAgent(options: M2mAgentOptions): Promise<M2mAgentRun> {
  const fetch = options.fetch ?? globalThis.fetch;
  const http = httpOptions(fetch, options.allowInsecureRequests ?? false);
  const { steps, step } = journeySteps(options.log);
  const as = await discoverIssuer(options.issuer, http);
  step(`authorization server metadata: issuer=${as.issuer}`);
  const client: oauth.Client = { client_id: options.clientId };
  const authentication = oauth.ClientSecretBasic(options.clientSecret);
  const accessToken = await clientCredentialsToken(as, client, authentication, options, http);
  step(`client_credentials (client_secret_basic): access token for ${options.mcpUrl}`);
  const toolResult = await callEcho(options.mcpUrl, accessToken, fetch, {
    name: 'm2m-agent',
    message: options.message ?? 'hello from the m2m agent',
  });
  step('MCP initialize + tools/call echo succeeded');
  await revokeToken(as, client, authentication, accessToken, http);
  step('access token revoked (RFC 7009)');
  return { steps, accessToken, toolResult };
}

/** OAuth 2.1 §4.2.1: grant_type=client_credentials, audience-restricted to the MCP server (RFC 8707 §2). */
async function clientCredentialsToken(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  authentication: oauth.ClientAuth,
  options: M2mAgentOptions,
  http: HttpOptions,
): Promise<string> {
  const parameters = new URLSearchParams({
    resource: options.mcpUrl,
    ...(options.scope ? { scope: options.scope } : {}),
  });
  const response = await oauth.clientCredentialsGrantRequest(as, client, authentication, parameters, http);
  return (await oauth.processClientCredentialsResponse(as, client, response)).access_token;
}

/** RFC 7009 §2.1: the agent ends its own access when its work is done. */
async function revokeToken(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  authentication: oauth.ClientAuth,
  accessToken: string,
  http: HttpOptions,
): Promise<void> {
  const additionalParameters = { token_type_hint: 'access_token' };
  const response = await oauth.revocationRequest(as, client, authentication, accessToken, {
    ...http,
    additionalParameters,
  });
  await oauth.processRevocationResponse(response);
}
