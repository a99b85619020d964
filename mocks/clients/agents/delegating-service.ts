import * as oauth from 'oauth4webapi';
import { type DelegationChain, delegationOf } from '../../../harness/jwt.ts';

export type { DelegationChain as Delegation } from '../../../harness/jwt.ts';

import type { Fetch } from '../../../harness/network/types.ts';
import { discoverIssuer, type HttpOptions, httpOptions, JourneyError, journeySteps } from '../client-kit.ts';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface ServiceCredentials {
  client_id: string;
  client_secret: string;
}

export interface DelegatingServiceOptions {
  fetch?: Fetch;
  /** The authorization server that issued the user's token (discovered by RFC 8414 metadata). */
  issuer: string;
  /** The access token the service received from its caller: the subject token of the exchange. */
  userToken: string;
  /** The service's own client for token exchange (client_secret_basic). */
  client: ServiceCredentials;
  /**
   * When set, the service first gets its own access token with client_credentials (for `resource`) and presents it
   * as the actor token (RFC 8693 §2.1), so the downstream token names that identity as the actor.
   */
  actor?: ServiceCredentials & { resource: string; scope?: string };
  /** The downstream API to call on the user's behalf: the `resource` of the exchange. */
  downstreamUrl: string;
  scope?: string;
  /** Lets oauth4webapi talk to http:// servers (loopback `serve`); never needed for https origins. */
  allowInsecureRequests?: boolean;
  log?: (step: string) => void;
}

export interface DelegatingServiceRun {
  steps: string[];
  accessToken: string;
  issuedTokenType: string;
  /** Absent when the exchanged token is opaque. */
  delegation?: DelegationChain;
  downstream: { status: number; body: string };
}

/**
 * A service acting for a user (seed 003): it received the user's token, exchanges it (RFC 8693) for one issued to
 * the downstream API — authenticating as itself, optionally presenting its own client_credentials token as actor —
 * and calls the API with that token, never with the user's.
 */
export async function runDelegatingService(options: DelegatingServiceOptions): Promise<DelegatingServiceRun> {
  const fetch = options.fetch ?? globalThis.fetch;
  const http = httpOptions(fetch, options.allowInsecureRequests ?? false);
  const { steps, step } = journeySteps(options.log);

  const as = await discover(options.issuer, http);
  step(`authorization server metadata: issuer=${as.issuer}`);

  const actorToken = options.actor ? await ownToken(as, options.actor, http) : undefined;
  if (options.actor) step(`actor token from client_credentials for ${options.actor.client_id}`);

  const exchanged = await exchangeForDownstream(as, options, actorToken, http);
  step(`token exchange: ${exchanged.issuedTokenType} for ${options.downstreamUrl}`);

  const response = await fetch(options.downstreamUrl, {
    headers: { Authorization: `Bearer ${exchanged.accessToken}` },
  });
  const downstream = { status: response.status, body: await response.text() };
  step(`GET ${options.downstreamUrl} → ${response.status}`);

  const delegation = delegationOf(exchanged.accessToken);
  return { steps, ...exchanged, ...(delegation ? { delegation } : {}), downstream };
}

async function discover(issuer: string, http: HttpOptions): Promise<oauth.AuthorizationServer> {
  try {
    return await discoverIssuer(issuer, http);
  } catch (error) {
    throw new JourneyError(`authorization server metadata of ${issuer}: ${describe(error)}`);
  }
}

/** OAuth 2.1 §4.2: the service's own token, which represents it as the acting party. */
async function ownToken(
  as: oauth.AuthorizationServer,
  actor: NonNullable<DelegatingServiceOptions['actor']>,
  http: HttpOptions,
): Promise<string> {
  const client: oauth.Client = { client_id: actor.client_id };
  const params: Record<string, string> = { resource: actor.resource, ...(actor.scope ? { scope: actor.scope } : {}) };
  try {
    const auth = oauth.ClientSecretBasic(actor.client_secret);
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth, params, http);
    return (await oauth.processClientCredentialsResponse(as, client, response)).access_token;
  } catch (error) {
    throw new JourneyError(`client_credentials for the actor token: ${describe(error)}`);
  }
}

/** RFC 8693 §2.1 request, §2.2.1 response: an access token for the downstream API, issued_token_type checked. */
async function exchangeForDownstream(
  as: oauth.AuthorizationServer,
  options: DelegatingServiceOptions,
  actorToken: string | undefined,
  http: HttpOptions,
): Promise<{ accessToken: string; issuedTokenType: string }> {
  const client: oauth.Client = { client_id: options.client.client_id };
  const params: Record<string, string> = {
    subject_token: options.userToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    resource: options.downstreamUrl,
    requested_token_type: ACCESS_TOKEN_TYPE,
    ...(options.scope ? { scope: options.scope } : {}),
    ...(actorToken ? { actor_token: actorToken, actor_token_type: ACCESS_TOKEN_TYPE } : {}),
  };
  let result: oauth.TokenEndpointResponse;
  try {
    const auth = oauth.ClientSecretBasic(options.client.client_secret);
    const response = await oauth.genericTokenEndpointRequest(as, client, auth, TOKEN_EXCHANGE, params, http);
    result = await oauth.processGenericTokenEndpointResponse(as, client, response);
  } catch (error) {
    throw new JourneyError(`token exchange: ${describe(error)}`);
  }
  if (result.issued_token_type !== ACCESS_TOKEN_TYPE) {
    throw new JourneyError(
      `token exchange: issued_token_type is ${String(result.issued_token_type)}, not an access token`,
    );
  }
  return { accessToken: result.access_token, issuedTokenType: result.issued_token_type };
}

function describe(error: unknown): string {
  if (error instanceof oauth.ResponseBodyError) return `${error.error}: ${error.error_description ?? ''}`.trim();
  return error instanceof Error ? error.message : String(error);
}
