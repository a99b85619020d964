import type { ClientRequest } from '../../../harness/client-mode/recorder.ts';
import type { ScenarioTraffic } from '../../../harness/client-mode/scenario.ts';
import { jsonObject } from '../traffic.ts';

const AS_METADATA_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];

/** The client's token requests at the scenario's AS, in order. */
export const asTokenRequests = (traffic: ScenarioTraffic): ClientRequest[] =>
  traffic.requests.filter(
    (request) => request.server === 'as' && request.method === 'POST' && request.url.pathname === '/token',
  );

/** POSTs to the enterprise IdP on the foreign origin: its token endpoint (the AS only GETs metadata and keys there). */
export const idpTokenRequests = (traffic: ScenarioTraffic): ClientRequest[] =>
  traffic.requests.filter((request) => request.server === 'foreign' && request.method === 'POST');

/** The AS metadata as the client received it first (RFC 8414 or OpenID Discovery), if it fetched it. */
export function receivedAsMetadata(traffic: ScenarioTraffic): Record<string, unknown> | undefined {
  const response = traffic.requests.find(
    (request) => request.server === 'as' && AS_METADATA_PATHS.includes(request.url.pathname) && request.status === 200,
  );
  return jsonObject(response?.responseBody);
}

/** A compact JWS taken apart without verifying it: header, claims, and what the signature covers. */
export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

export function decodeJwt(token: string): DecodedJwt | undefined {
  const [header, claims, signature, ...rest] = token.split('.');
  if (header === undefined || claims === undefined || signature === undefined || rest.length > 0) return undefined;
  const decodedHeader = jsonObject(Buffer.from(header, 'base64url').toString('utf8'));
  const decodedClaims = jsonObject(Buffer.from(claims, 'base64url').toString('utf8'));
  if (!decodedHeader || !decodedClaims) return undefined;
  return {
    header: decodedHeader,
    claims: decodedClaims,
    signingInput: `${header}.${claims}`,
    signature: Buffer.from(signature, 'base64url'),
  };
}

export { basicClientId } from '../token-auth.ts';

/** When the request arrived, in seconds since the epoch (the clock client assertions are judged by). */
export const arrivalSeconds = (request: ClientRequest): number =>
  Math.floor(Date.parse(request.evidence.startedAt) / 1000);
