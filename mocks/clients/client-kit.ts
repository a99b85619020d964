/**
 * What every well-behaved mock client does the same way: oauth4webapi options over an injected fetch, RFC 9728 and
 * RFC 8414 discovery, and an MCP `echo` call with the access token (MCP Streamable HTTP, v2 SDK client).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import * as oauth from 'oauth4webapi';
import type { Fetch } from '../../harness/network/types.ts';

/** Thrown when a step of a journey meets a server that does not behave as the specifications require. */
export class JourneyError extends Error {
  override name = 'JourneyError';
}

/** The steps of a journey, as it reports them (and passes them to `log` as they happen). */
export function journeySteps(log?: (step: string) => void): { steps: string[]; step(text: string): void } {
  const steps: string[] = [];
  return {
    steps,
    step(text) {
      steps.push(text);
      log?.(text);
    },
  };
}

export type HttpOptions = { [oauth.customFetch]: Fetch; [oauth.allowInsecureRequests]: boolean };

/** `allowInsecure` lets oauth4webapi talk to http:// servers (loopback `serve`); never needed for https origins. */
export function httpOptions(fetch: Fetch, allowInsecure: boolean): HttpOptions {
  return { [oauth.customFetch]: (url, init) => fetch(url, init), [oauth.allowInsecureRequests]: allowInsecure };
}

/** RFC 8414 §3 (or OpenID Discovery): the issuer's metadata, whose `issuer` must be the one asked for. */
export async function discoverIssuer(
  issuer: string | URL,
  http: HttpOptions,
  algorithm: 'oauth2' | 'oidc' = 'oauth2',
): Promise<oauth.AuthorizationServer> {
  const issuerUrl = new URL(issuer);
  const response = await oauth.discoveryRequest(issuerUrl, { ...http, algorithm });
  return oauth.processDiscoveryResponse(issuerUrl, response);
}

/**
 * RFC 9728 §3–5: the metadata named by a challenge (else the well-known URL), whose `resource` must be the MCP URL.
 */
export async function discoverResource(
  mcpUrl: URL,
  http: HttpOptions,
  metadataUrl?: string,
): Promise<oauth.ResourceServer> {
  const response = metadataUrl
    ? await http[oauth.customFetch](metadataUrl, { headers: { Accept: 'application/json' } })
    : await oauth.resourceDiscoveryRequest(mcpUrl, http);
  const metadata = await oauth.processResourceDiscoveryResponse(mcpUrl, response);
  if (metadata.resource !== mcpUrl.href) {
    throw new JourneyError(`PRM resource ${metadata.resource} is not the MCP URL ${mcpUrl.href}`);
  }
  return metadata;
}

/** The first authorization server the protected resource metadata lists, discovered by RFC 8414. */
export async function firstAuthorizationServer(
  resource: oauth.ResourceServer,
  http: HttpOptions,
): Promise<oauth.AuthorizationServer> {
  const issuer = resource.authorization_servers?.[0];
  if (!issuer) throw new JourneyError('the protected resource metadata lists no authorization_servers');
  return discoverIssuer(issuer, http);
}

/** MCP Streamable HTTP with `Authorization: Bearer` on every request (MCP authorization "Token Requirements"). */
export async function callEcho(
  mcpUrl: string | URL,
  accessToken: string,
  fetch: Fetch,
  caller: { name: string; message: string },
): Promise<unknown> {
  const client = new Client({ name: caller.name, version: '0.1.0' });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
    fetch,
    authProvider: { token: async () => accessToken },
  });
  await client.connect(transport);
  try {
    return await client.callTool({ name: 'echo', arguments: { message: caller.message } });
  } finally {
    await client.close();
  }
}
