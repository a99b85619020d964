/**
 * A well-behaved workload (MCP workload identity federation, RFC 7523 §2.1): it asks its platform for an identity token
 * whose audience is the authorization server's token endpoint, exchanges it by the JWT bearer grant for an access token
 * bound to the MCP server, and calls the server's `echo` tool. No user and no browser are involved.
 */
import * as oauth from 'oauth4webapi';
import type { Fetch } from '../../../harness/network/types.ts';
import {
  callEcho,
  discoverIssuer,
  discoverResource,
  type HttpOptions,
  httpOptions,
  journeySteps,
} from '../client-kit.ts';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface WorkloadAgentOptions {
  fetch: Fetch;
  /** The MCP server; its protected resource metadata names the authorization server. */
  mcpUrl: string;
  /** The confidential client registered for the JWT bearer grant, trusting the workload's issuer. */
  client: { client_id: string; client_secret: string };
  /** The platform's identity token for `audience` (as a cloud metadata server hands it out). */
  platformToken(audience: string): Promise<string>;
  scope?: string;
  /** Lets oauth4webapi talk to http:// servers (loopback); never needed for https origins. */
  allowInsecureRequests?: boolean;
  log?: (step: string) => void;
}

export interface WorkloadAgentRun {
  steps: string[];
  accessToken: string;
  toolResult: unknown;
}

export class WorkloadAgentError extends Error {
  override name = 'WorkloadAgentError';
}

export async function runWorkloadAgent(options: WorkloadAgentOptions): Promise<WorkloadAgentRun> {
  const mcpUrl = new URL(options.mcpUrl);
  const { steps, step } = journeySteps(options.log);
  const http = httpOptions(options.fetch, options.allowInsecureRequests ?? false);

  const resource = await discoverResource(mcpUrl, http);
  step(`protected resource metadata: authorization_servers=${resource.authorization_servers}`);
  const as = await discoverAuthorizationServer(resource, http);
  step(`authorization server metadata: issuer=${as.issuer}, token_endpoint=${as.token_endpoint}`);

  const audience = as.token_endpoint!;
  const assertion = await options.platformToken(audience);
  step(`platform identity token obtained for aud=${audience}`);

  const scope = options.scope ?? resource.scopes_supported?.[0];
  const accessToken = await redeemAssertion(as, options.client, assertion, { resource: mcpUrl.href, scope }, http);
  step('JWT bearer grant: access token received');

  const toolResult = await callEcho(mcpUrl, accessToken, options.fetch, {
    name: 'workload-agent',
    message: 'hello from the workload agent',
  });
  step('MCP initialize + tools/call echo succeeded');
  return { steps, accessToken, toolResult };
}

/** RFC 8414 §3: the first listed AS, which must offer the JWT bearer grant. */
async function discoverAuthorizationServer(
  resource: oauth.ResourceServer,
  http: HttpOptions,
): Promise<oauth.AuthorizationServer> {
  const issuer = resource.authorization_servers?.[0];
  if (!issuer) throw new WorkloadAgentError('the protected resource metadata lists no authorization_servers');
  const as = await discoverIssuer(issuer, http);
  if (!as.token_endpoint) throw new WorkloadAgentError(`${issuer} has no token_endpoint`);
  if (as.grant_types_supported && !as.grant_types_supported.includes(JWT_BEARER_GRANT)) {
    throw new WorkloadAgentError(`${issuer} does not list ${JWT_BEARER_GRANT} in grant_types_supported`);
  }
  return as;
}

/** RFC 7523 §2.1: exactly one assertion, with the resource (RFC 8707) and scope; the client authenticates (Basic). */
async function redeemAssertion(
  as: oauth.AuthorizationServer,
  credentials: WorkloadAgentOptions['client'],
  assertion: string,
  { resource, scope }: { resource: string; scope: string | undefined },
  http: HttpOptions,
): Promise<string> {
  const client: oauth.Client = { client_id: credentials.client_id };
  const parameters: Record<string, string> = { assertion, resource, ...(scope ? { scope } : {}) };
  const response = await oauth.genericTokenEndpointRequest(
    as,
    client,
    oauth.ClientSecretBasic(credentials.client_secret),
    JWT_BEARER_GRANT,
    parameters,
    http,
  );
  try {
    return (await oauth.processGenericTokenEndpointResponse(as, client, response)).access_token;
  } catch (thrown) {
    if (!(thrown instanceof oauth.ResponseBodyError)) throw thrown;
    throw new WorkloadAgentError(
      `the token endpoint refused the assertion: ${thrown.error} (${thrown.error_description})`,
    );
  }
}
