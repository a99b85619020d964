import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { JWK } from 'jose';
import type { ServerAdaptation } from '../../../harness/client-mode/scenario.ts';
import { type Clock, epochSeconds } from '../../../harness/clock.ts';
import type { FetchHandler } from '../../../harness/network/types.ts';
import { createEnterpriseIdp, type EnterpriseIdp } from '../../../mocks/idps/enterprise/index.ts';
import { fromPreRegistered } from '../../../reference-server/authorization-server/clients.ts';
import type { ReferenceSystem } from '../../../reference-server/system.ts';

const AS_METADATA_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];

/** A private_key_jwt client (RFC 7523 §2.2) the scenario registers: its private key goes to the client in the context. */
export interface AssertionClient {
  client_id: string;
  /** PKCS #8 PEM, as the official context's `private_key_pem`. */
  privateKeyPem: string;
  publicJwk: JWK;
  algorithm: 'ES256';
}

/** One ES256 key pair per process: the checks verify the client's assertions with the public half. */
export function assertionClient(clientId: string): AssertionClient {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    client_id: clientId,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicJwk: { ...(publicKey.export({ format: 'jwk' }) as JWK), alg: 'ES256', use: 'sig' },
    algorithm: 'ES256',
  };
}

/** The AS knows `client` (client_credentials, private_key_jwt with its public key) before it answers anything. */
export function registersAssertionClient(client: AssertionClient): ServerAdaptation {
  return ({ system }) => {
    const record = fromPreRegistered(
      {
        client_id: client.client_id,
        redirect_uris: [],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [client.publicJwk] },
        client_name: 'Conformance machine client (private_key_jwt)',
      },
      epochSeconds(system.clock),
    );
    const saved = system.authorizationServer.store.clients.save(record);
    return {
      as: (handler) => async (request) => {
        await saved;
        return handler(request);
      },
    };
  };
}

/**
 * RFC 8414 §2: the AS metadata names only the token endpoint auth methods (and signing algorithms) the scenario's
 * client may use, as the official client-credentials scenarios' servers do.
 */
export function advertisesTokenAuthentication(methods: string[], signingAlgorithms?: string[]): ServerAdaptation {
  const members = {
    token_endpoint_auth_methods_supported: methods,
    ...(signingAlgorithms ? { token_endpoint_auth_signing_alg_values_supported: signingAlgorithms } : {}),
  };
  return () => ({
    as: (handler) => async (request) => {
      const response = await handler(request);
      if (response.status !== 200 || !AS_METADATA_PATHS.includes(new URL(request.url).pathname)) return response;
      const document = (await response.json()) as Record<string, unknown>;
      const headers = new Headers(response.headers);
      headers.delete('content-length');
      return Response.json({ ...document, ...members }, { headers });
    },
  });
}

/**
 * MCP authorization "Token Handling" (RFC 6750 §3.1): the first access token the MCP server sees is refused as
 * invalid (expired or revoked), so the client must get a new one, with a new client assertion.
 */
export const refusesFirstToken: ServerAdaptation = ({ mcpUrl }) => {
  let refused = false;
  const metadataUrl = new URL(`/.well-known/oauth-protected-resource${new URL(mcpUrl).pathname}`, mcpUrl).href;
  return {
    mcp: (handler) => async (request) => {
      if (refused || !/^Bearer\s/i.test(request.headers.get('authorization') ?? '')) return handler(request);
      refused = true;
      return new Response(null, {
        status: 401,
        headers: {
          'WWW-Authenticate': `Bearer error="invalid_token", error_description="the access token was revoked", resource_metadata="${metadataUrl}"`,
        },
      });
    },
  };
};

/** The enterprise IdP's client for the MCP client (ID-JAG §6: independent of its registration at the AS). */
export const ENTERPRISE_IDP_CLIENT = { client_id: 'conformance-idp-client', client_secret: 'conformance-idp-secret' };
const SSO_USER = { sub: 'user-alice', email: 'alice@example.test' };
const SSO_TOKEN_TTL_SECONDS = 300;

/** What the client of an enterprise scenario run gets in its context: the IdP, and the ID token SSO gave it. */
interface EnterpriseRun {
  idpIssuer: string;
  idToken: string;
}

const enterpriseRuns = new WeakMap<ReferenceSystem, EnterpriseRun>();

/**
 * The enterprise IdP (mocks/idps/enterprise) on the foreign origin, trusting the client for the scenario's AS and MCP
 * server. SSO happened before the run: the ID token it gave the client is signed when the run starts (synchronously,
 * so the context can carry it) with the IdP's SSO key; the IdP's token endpoint recognises it as its own.
 */
export const servesEnterpriseIdp: ServerAdaptation = ({ system, foreignOrigin, issuer, mcpUrl }) => {
  const sso = ssoSigner(foreignOrigin, system.clock);
  const idToken = sso.idToken(ENTERPRISE_IDP_CLIENT.client_id);
  enterpriseRuns.set(system, { idpIssuer: foreignOrigin, idToken });
  const idp = createEnterpriseIdp({
    issuer: foreignOrigin,
    clock: system.clock,
    clients: [
      {
        ...ENTERPRISE_IDP_CLIENT,
        audiences: { [issuer]: [mcpUrl] },
        scopes: [system.scopes.basic],
        clientIdAt: { [issuer]: system.clients.enterprise.client_id },
      },
    ],
    users: [SSO_USER],
  });
  return { foreign: () => idpWithSso(idp, idToken, sso.publicJwk) };
};

/** The context of an enterprise run (the official shape, plus the IdP client's secret: our IdP authenticates it). */
export function enterpriseContext(setup: { system: ReferenceSystem }): Record<string, unknown> {
  const run = enterpriseRuns.get(setup.system);
  if (!run) throw new Error('the enterprise IdP adaptation did not run for this scenario');
  return {
    client_id: setup.system.clients.enterprise.client_id,
    client_secret: setup.system.clients.enterprise.client_secret,
    idp_client_id: ENTERPRISE_IDP_CLIENT.client_id,
    idp_client_secret: ENTERPRISE_IDP_CLIENT.client_secret,
    idp_id_token: run.idToken,
    idp_issuer: run.idpIssuer,
    idp_token_endpoint: `${run.idpIssuer}/token`,
  };
}

/**
 * The IdP's handler, with the SSO key published beside its own and the SSO ID token accepted as a subject token: the
 * mock IdP validates ID tokens it signed itself, so the SSO one is swapped for its twin before the exchange.
 */
function idpWithSso(idp: Promise<EnterpriseIdp>, ssoIdToken: string, ssoJwk: JWK): FetchHandler {
  return async (request) => {
    const { handler, idToken } = await idp;
    const path = new URL(request.url).pathname;
    if (request.method === 'GET' && path === '/jwks') {
      const keys = ((await (await handler(request)).json()) as { keys: JWK[] }).keys;
      return Response.json({ keys: [...keys, ssoJwk] });
    }
    if (request.method !== 'POST' || path !== '/token') return handler(request);
    const body = await request.text();
    const form = new URLSearchParams(body);
    if (form.get('subject_token') !== ssoIdToken) return handler(forwardedWith(request, body));
    form.set('subject_token', await idToken({ clientId: ENTERPRISE_IDP_CLIENT.client_id, sub: SSO_USER.sub }));
    return handler(forwardedWith(request, form.toString()));
  };
}

function forwardedWith(request: Request, body: string): Request {
  return new Request(request.url, { method: 'POST', headers: request.headers, body });
}

/** OpenID Connect Core §2: ID tokens for the IdP's SSO, ES256-signed synchronously (node:crypto). */
function ssoSigner(issuer: string, clock: Clock): { publicJwk: JWK; idToken(clientId: string): string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = `sso-${crypto.randomUUID()}`;
  return {
    publicJwk: { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg: 'ES256', use: 'sig' },
    idToken(clientId) {
      const iat = epochSeconds(clock);
      const claims = { iss: issuer, sub: SSO_USER.sub, aud: clientId, email: SSO_USER.email, auth_time: iat, iat };
      return signedJwt({ alg: 'ES256', typ: 'JWT', kid }, { ...claims, exp: iat + SSO_TOKEN_TTL_SECONDS }, privateKey);
    },
  };
}

function signedJwt(header: object, claims: object, key: KeyObject): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const input = `${encode(header)}.${encode(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}
