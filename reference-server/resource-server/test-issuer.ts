import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import type { Fetch, FetchHandler } from '../../harness/network/types.ts';

type SigningKey = CryptoKey;

/** A minimal issuer for tests: RFC 8414 metadata, a JWKS, optional introspection, and a token minter. */
export interface TestIssuer {
  issuer: string;
  handler: FetchHandler;
  /** Routes requests for the issuer's origin to `handler` (for a resource server's outbound fetch). */
  fetch: Fetch;
  /** Signs an RFC 9068 access token; `claims` and `header` override the defaults, `undefined` removes a claim. */
  mint(options?: MintOptions): Promise<string>;
  /** A key the JWKS does not publish (for bad-signature tokens). */
  foreignKey: SigningKey;
  /** Tokens the introspection endpoint reports inactive. */
  revoked: Set<string>;
}

export interface MintOptions {
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  key?: SigningKey;
  nowSeconds?: number;
}

export async function createTestIssuer(issuer: string, defaultAudience: string): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const { privateKey: foreignKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  const revoked = new Set<string>();
  const origin = new URL(issuer).origin;

  const handler: FetchHandler = async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/.well-known/oauth-authorization-server') {
      return Response.json({
        issuer,
        jwks_uri: `${origin}/jwks`,
        introspection_endpoint: `${origin}/introspect`,
        response_types_supported: ['code'],
      });
    }
    if (pathname === '/jwks') return Response.json({ keys: [jwk] });
    if (pathname === '/introspect' && request.method === 'POST') {
      const token = new URLSearchParams(await request.text()).get('token') ?? '';
      const authorized = request.headers.get('authorization')?.startsWith('Basic ');
      if (!authorized) return Response.json({ error: 'invalid_client' }, { status: 401 });
      return Response.json({ active: !revoked.has(token) });
    }
    return new Response('not found', { status: 404 });
  };

  const mint = async ({ claims = {}, header = {}, key = privateKey, nowSeconds }: MintOptions = {}) => {
    const now = nowSeconds ?? Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      iss: issuer,
      sub: 'user-alice',
      aud: defaultAudience,
      client_id: 'client-123',
      scope: 'mcp:tools',
      iat: now,
      exp: now + 300,
      jti: crypto.randomUUID(),
      ...claims,
    };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    return new SignJWT(payload as JWTPayload)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'test-key', ...header })
      .sign(key);
  };

  return {
    issuer,
    handler,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      if (new URL(request.url).origin !== origin) throw new TypeError(`fetch failed: ${request.url} unreachable`);
      return handler(request);
    },
    mint,
    foreignKey,
    revoked,
  };
}

/** An unsigned (`alg: none`) JWT with the given header and claims. */
export function unsignedToken(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ ...header, alg: 'none' })}.${encode(claims)}.`;
}
