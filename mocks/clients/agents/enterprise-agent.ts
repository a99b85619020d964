import * as oauth from 'oauth4webapi';
import type { Fetch } from '../../../harness/network/types.ts';
import {
  callEcho,
  discoverIssuer,
  discoverResource,
  type HttpOptions,
  httpOptions,
  JourneyError,
  journeySteps,
} from '../client-kit.ts';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
const ID_JAG_PROFILE = 'urn:ietf:params:oauth:grant-profile:id-jag';

export interface ClientCredentials {
  client_id: string;
  client_secret: string;
}

export interface EnterpriseAgentOptions {
  /** The MCP server to call (its RFC 9728 resource identifier). */
  mcpUrl: string;
  /** The enterprise IdP the organisation configured (ID-JAG §4.3). */
  idpIssuer: string;
  /** The ID token SSO gave this app at the IdP when the user signed in. */
  idToken: string;
  /** This app's registration at the IdP, and its own, independent one at the MCP AS (ID-JAG §6). */
  idpClient: ClientCredentials;
  asClient: ClientCredentials;
  scope?: string;
  fetch?: Fetch;
  /** Lets oauth4webapi talk to http:// servers (loopback `serve`); never needed for https origins. */
  allowInsecureRequests?: boolean;
  log?: (step: string) => void;
}

export interface EnterpriseAgentJourney {
  steps: string[];
  idJag: string;
  accessToken: string;
  toolResult: unknown;
}

/**
 * An enterprise app acting for its signed-in user without a browser (enterprise-managed authorization, EMA-CL-*):
 * discover the MCP server's AS and check it takes ID-JAGs, exchange the SSO ID token for an ID-JAG at the enterprise
 * IdP (RFC 8693), redeem the ID-JAG at the AS with the JWT bearer grant (RFC 7523 §2.1), then call `echo`.
 */
export async function runEnterpriseAgent(options: EnterpriseAgentOptions): Promise<EnterpriseAgentJourney> {
  const fetch = options.fetch ?? globalThis.fetch;
  const http = httpOptions(fetch, options.allowInsecureRequests ?? false);
  const { steps, step } = journeySteps(options.log);

  const resource = await discoverResource(new URL(options.mcpUrl), http);
  step(`protected resource metadata: authorization_servers=${resource.authorization_servers}`);
  const as = await discoverAuthorizationServer(resource, http);
  step(`authorization server ${as.issuer} lists the ID-JAG grant profile`);
  const idp = await discoverIssuer(options.idpIssuer, http, 'oidc');
  step(`enterprise IdP ${idp.issuer}: token endpoint ${idp.token_endpoint}`);

  const idJag = await exchangeIdTokenForIdJag(idp, as.issuer, resource.resource, options, http);
  step(`IdP token exchange → ID-JAG for audience ${as.issuer}, resource ${resource.resource}`);
  const accessToken = await redeemIdJag(as, idJag, options.asClient, http);
  step('AS jwt-bearer grant → access token');

  const toolResult = await callEcho(options.mcpUrl, accessToken, fetch, {
    name: 'enterprise-agent',
    message: 'hello from the enterprise agent',
  });
  step('MCP tools/call echo → result');
  return { steps, idJag, accessToken, toolResult };
}

/** EMA-CL-DISCOVERY: only an AS that lists the ID-JAG profile is sent ID-JAGs (otherwise: interactive OAuth). */
async function discoverAuthorizationServer(resource: oauth.ResourceServer, http: HttpOptions) {
  const issuer = resource.authorization_servers?.[0];
  if (!issuer) throw new JourneyError('the protected resource metadata names no authorization server');
  const as = await discoverIssuer(issuer, http);
  const profiles = as.authorization_grant_profiles_supported;
  if (!Array.isArray(profiles) || !profiles.includes(ID_JAG_PROFILE)) {
    throw new JourneyError(
      `${issuer} does not list ${ID_JAG_PROFILE}; enterprise-managed authorization does not apply`,
    );
  }
  return as;
}

/** ID-JAG §4.3 (EMA-CL-TE-REQUEST, -AUDIENCE, -RESOURCE): audience = the AS issuer, resource = the MCP server. */
async function exchangeIdTokenForIdJag(
  idp: oauth.AuthorizationServer,
  audience: string,
  resource: string,
  options: EnterpriseAgentOptions,
  http: HttpOptions,
): Promise<string> {
  const parameters: Record<string, string> = {
    requested_token_type: ID_JAG_TOKEN_TYPE,
    subject_token: options.idToken,
    subject_token_type: ID_TOKEN_TYPE,
    audience,
    resource,
    ...(options.scope ? { scope: options.scope } : {}),
  };
  const client = { client_id: options.idpClient.client_id };
  const auth = oauth.ClientSecretBasic(options.idpClient.client_secret);
  const response = await oauth.genericTokenEndpointRequest(idp, client, auth, TOKEN_EXCHANGE, parameters, http);
  // ID-JAG §4.3.4: token_type N_A, because an ID-JAG is not an access token.
  const result = await oauth.processGenericTokenEndpointResponse(idp, client, response, {
    recognizedTokenTypes: { n_a: () => {} },
  });
  if (result.issued_token_type !== ID_JAG_TOKEN_TYPE) {
    throw new JourneyError(`the IdP issued ${String(result.issued_token_type)}, not an ID-JAG`);
  }
  return result.access_token;
}

/** ID-JAG §4.4 (EMA-CL-JWT-BEARER): the ID-JAG as the assertion, authenticated as this app's client at the AS. */
async function redeemIdJag(
  as: oauth.AuthorizationServer,
  idJag: string,
  credentials: ClientCredentials,
  http: HttpOptions,
): Promise<string> {
  const client = { client_id: credentials.client_id };
  const auth = oauth.ClientSecretBasic(credentials.client_secret);
  const response = await oauth.genericTokenEndpointRequest(as, client, auth, JWT_BEARER, { assertion: idJag }, http);
  const result = await oauth.processGenericTokenEndpointResponse(as, client, response);
  return result.access_token;
}
