import type { JSONWebKeySet } from 'jose';
import type { FetchHandler } from '../network/types.ts';
import { appendWellKnown, insertWellKnown } from '../well-known.ts';

export interface LabEndpoints {
  issuer: string;
  jwksUri: string;
  attackerJwksUri: string;
  jwks: JSONWebKeySet;
  attackerJwks: JSONWebKeySet;
  /** Called on every request to the attacker JWKS, whatever its method. */
  onAttackerJwksRequest(): void;
}

const NO_STORE = { 'Cache-Control': 'no-store' };

function errorJson(status: number, error: string, description: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error, error_description: description }, { status, headers: { ...NO_STORE, ...headers } });
}

/** RFC 8414 §2 metadata: only what a resource server needs to verify the lab's tokens. */
function metadata(endpoints: LabEndpoints): Record<string, unknown> {
  return {
    issuer: endpoints.issuer,
    jwks_uri: endpoints.jwksUri,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256', 'RS256'],
  };
}

const pathOf = (url: string): string => new URL(url).pathname;

/** The lab's documents, routed by path alone so the same handler answers in memory and on a loopback port. */
export function createLabHandler(endpoints: LabEndpoints): FetchHandler {
  const documents = new Map<string, () => unknown>([
    // RFC 8414 §3: the well-known suffix is inserted between the host and the issuer's path.
    [pathOf(insertWellKnown(endpoints.issuer, 'oauth-authorization-server')), () => metadata(endpoints)],
    // OpenID Connect Discovery §4: the suffix appended to the issuer, for resource servers that look there.
    [pathOf(appendWellKnown(endpoints.issuer, 'openid-configuration')), () => metadata(endpoints)],
    // RFC 7517 §5: the published public keys (ES256 and RS256).
    [pathOf(endpoints.jwksUri), () => endpoints.jwks],
    // RFC 8725 §3.10: an unadvertised key set only a `jku` header names; a resource server must never fetch it.
    [
      pathOf(endpoints.attackerJwksUri),
      () => {
        endpoints.onAttackerJwksRequest();
        return endpoints.attackerJwks;
      },
    ],
  ]);

  return async (request) => {
    const { pathname } = new URL(request.url);
    const document = documents.get(pathname);
    if (!document) {
      return errorJson(404, 'not_found', `the token lab serves only its metadata and key sets, not ${pathname}`);
    }
    const body = document();
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return errorJson(405, 'invalid_request', `${pathname} answers GET only (got ${request.method})`, {
        Allow: 'GET, HEAD',
      });
    }
    return Response.json(body);
  };
}
