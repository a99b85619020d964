import { exportJWK, exportSPKI, generateKeyPair, type JWTHeaderParameters, type JWTPayload, SignJWT } from 'jose';
import type { Fetch, FetchHandler } from '../../harness/network/types.ts';

type SigningKey = CryptoKey | Uint8Array;

/** A minimal issuer for tests: RFC 8414 metadata, a JWKS, optional introspection, and a token minter. */
export interface TestIssuer {
  issuer: string;
  handler: FetchHandler;
  /** Routes requests for the issuer's origin to `handler` (for a resource server's outbound fetch). */
  fetch: Fetch;
  /** Signs an RFC 9068 access token; `claims` and `header` override the defaults, `undefined` removes a claim. */
  mint(options?: MintOptions): Promise<string>;
  /** A key the JWKS does not publish (for bad-signature tokens). */
  foreignKey: CryptoKey;
  /** The private half of the published RS256 key (kid `test-rsa`). */
  rsaKey: CryptoKey;
  /** An attacker key: its public JWK (`attackerJwk`) is served only at `${issuer}/attacker/jwks` (kid `attacker`). */
  attackerKey: CryptoKey;
  attackerJwk: Record<string, unknown>;
  /** SPKI PEM text of the published ES256 public key (an HMAC secret in key-confusion attacks). */
  publicPem: string;
  /** Tokens the introspection endpoint reports inactive. */
  revoked: Set<string>;
  /** Opaque tokens the introspection endpoint knows, with the claims it answers for them. */
  opaque: Map<string, Record<string, unknown>>;
  /** Form bodies of token-endpoint requests; each is answered with the access token `exchanged-token`. */
  tokenRequests: URLSearchParams[];
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
  const rsa = await generateKeyPair('RS256');
  const attacker = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  const rsaJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'test-rsa', alg: 'RS256', use: 'sig' };
  const attackerJwk = await exportJWK(attacker.publicKey);
  const revoked = new Set<string>();
  const opaque = new Map<string, Record<string, unknown>>();
  const tokenRequests: URLSearchParams[] = [];
  const origin = new URL(issuer).origin;

  const handler: FetchHandler = async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/.well-known/oauth-authorization-server') {
      return Response.json({
        issuer,
        jwks_uri: `${origin}/jwks`,
        introspection_endpoint: `${origin}/introspect`,
        token_endpoint: `${origin}/token`,
        response_types_supported: ['code'],
      });
    }
    if (pathname === '/jwks') return Response.json({ keys: [jwk, rsaJwk] });
    if (pathname === '/attacker/jwks') return Response.json({ keys: [{ ...attackerJwk, kid: 'attacker' }] });
    const authorized = request.headers.get('authorization')?.startsWith('Basic ');
    if (pathname === '/introspect' && request.method === 'POST') {
      const token = new URLSearchParams(await request.text()).get('token') ?? '';
      if (!authorized) return Response.json({ error: 'invalid_client' }, { status: 401 });
      const known = opaque.get(token);
      if (known) return Response.json({ active: true, ...known });
      return Response.json({ active: token.split('.').length === 3 && !revoked.has(token) });
    }
    if (pathname === '/token' && request.method === 'POST') {
      if (!authorized) return Response.json({ error: 'invalid_client' }, { status: 401 });
      tokenRequests.push(new URLSearchParams(await request.text()));
      return Response.json({ access_token: 'exchanged-token', token_type: 'Bearer', expires_in: 60 });
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
    const protectedHeader: Record<string, unknown> = { alg: 'ES256', typ: 'at+jwt', kid: 'test-key', ...header };
    for (const fields of [payload, protectedHeader]) {
      for (const [name, value] of Object.entries(fields)) if (value === undefined) delete fields[name];
    }
    // Whatever `crit` lists is signed as asked, understood or not (tokens that test a verifier's crit handling).
    const crit = Array.isArray(header.crit) ? header.crit.map((name) => [String(name), false]) : [];
    return new SignJWT(payload as JWTPayload)
      .setProtectedHeader(protectedHeader as JWTHeaderParameters)
      .sign(key, { crit: Object.fromEntries(crit) });
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
    rsaKey: rsa.privateKey,
    attackerKey: attacker.privateKey,
    attackerJwk,
    publicPem: await exportSPKI(publicKey),
    revoked,
    opaque,
    tokenRequests,
  };
}

/** An unsigned (`alg: none`) JWT with the given header and claims. */
export function unsignedToken(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ ...header, alg: 'none' })}.${encode(claims)}.`;
}
