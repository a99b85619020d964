import { type CryptoKey, decodeJwt, exportJWK, generateKeyPair, type JWK } from 'jose';
import { type Clock, epochSeconds } from '../../../harness/clock.ts';
import type { FetchHandler } from '../../../harness/network/types.ts';
import { asymmetricSigner, compactJws, emptySigner, type Signer } from '../../../harness/token-lab/jws.ts';

export interface WorkloadIssuerOptions {
  /** e.g. https://workload.reference.test (no trailing slash). */
  issuer: string;
  clock: Clock;
  /** The default `aud` of minted tokens: the authorization server that accepts them (its issuer). */
  audience: string;
}

export type WorkloadSigningAlg = 'ES256' | 'RS256';

export interface WorkloadTokenOptions {
  /** Set or replace claims; a claim given as undefined is removed. */
  claims?: Record<string, unknown>;
  /** Set or replace protected header members; undefined removes. `alg: 'none'` produces an unsigned JWT. */
  header?: Record<string, unknown>;
  /**
   * 'trusted' signs with the published key; 'untrusted' with the key of `untrustedIssuer`, which this issuer never
   * published (same `kid`, so only the signature betrays it).
   */
  key?: 'trusted' | 'untrusted';
  /** Default ES256; the untrusted key is ES256 only. */
  alg?: WorkloadSigningAlg;
  /** What `/userinfo` answers for this token instead of the workload's profile (e.g. another subject). */
  userinfo?: Record<string, unknown>;
}

/**
 * A cloud-style workload identity issuer (seed 004: workloads on AWS/GCP present their platform's OIDC token): OpenID
 * metadata, a JWKS, a userinfo endpoint, and workload identity tokens minted on demand (valid five minutes).
 * `/userinfo` answers the named workload's profile for any token this issuer minted and 401 for anything else.
 */
export interface WorkloadIssuer {
  issuer: string;
  /** A second issuer served by the same handler (`<issuer>/untrusted`), publishing the key `key: 'untrusted'` signs with. */
  untrustedIssuer: string;
  handler: FetchHandler;
  /** The workload the default token names, and the login id its userinfo returns. */
  workload: { sub: string; email: string; name: string };
  mint(options?: WorkloadTokenOptions): Promise<string>;
  /** How many requests reached `/userinfo` (answered or refused). */
  userinfoRequests(): number;
}

/** Platform identity tokens are short-lived: five minutes from the clock's now. */
export const WORKLOAD_TOKEN_TTL_SECONDS = 300;

interface SigningKey {
  kid: string;
  alg: WorkloadSigningAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

interface Keyring {
  trusted: Record<WorkloadSigningAlg, SigningKey>;
  untrusted: SigningKey;
}

let keyring: Promise<Keyring> | undefined;

/** Made once per process: an RSA key pair takes up to a second, and every embedded run builds an issuer. */
function workloadKeyring(): Promise<Keyring> {
  keyring ??= (async () => ({
    trusted: { ES256: await signingKey('ES256', 'workload-es256'), RS256: await signingKey('RS256', 'workload-rs256') },
    untrusted: await signingKey('ES256', 'workload-es256'),
  }))();
  return keyring;
}

async function signingKey(alg: WorkloadSigningAlg, kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const UNTRUSTED_PATH = '/untrusted';

export async function createWorkloadIssuer(options: WorkloadIssuerOptions): Promise<WorkloadIssuer> {
  const { issuer, clock, audience } = options;
  const keys = await workloadKeyring();
  const untrustedIssuer = `${issuer}${UNTRUSTED_PATH}`;
  const workload = {
    sub: 'workload-reporting-job',
    email: 'reporting-job@workloads.example.test',
    name: 'Reporting job',
  };
  const trustedJwks = { keys: Object.values(keys.trusted).map((key) => key.publicJwk) };
  const untrustedJwks = { keys: [keys.untrusted.publicJwk] };
  /** The userinfo answer planted for a token, by its jti. */
  const plantedProfiles = new Map<string, Record<string, unknown>>();

  /** Every token minted, by value: the platform knows what it issued. */
  const minted = new Set<string>();
  let userinfoCount = 0;

  /**
   * OIDC Core §5.3: the profile of the workload a token this issuer minted names; undefined for any other token. Its
   * signature and lifetime are the relying party's to judge, so a check can observe what the AS itself validates.
   */
  function profileFor(request: Request): Record<string, unknown> | undefined {
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    if (!token || !minted.has(token)) return undefined;
    const claims = decodeJwt(token);
    const planted = typeof claims.jti === 'string' ? plantedProfiles.get(claims.jti) : undefined;
    if (planted) return planted;
    return claims.sub === workload.sub ? { ...workload } : { sub: claims.sub };
  }

  const routes = new Map<string, (request: Request) => Promise<Response> | Response>([
    ...metadataRoutes(issuer, { userinfo: true }),
    ...metadataRoutes(untrustedIssuer, { userinfo: false }),
    [`${issuer}/jwks`, () => Response.json(trustedJwks)],
    [`${untrustedIssuer}/jwks`, () => Response.json(untrustedJwks)],
    [
      `${issuer}/userinfo`,
      // OIDC Core §5.3.1-§5.3.3: the bearer token's subject as JSON; RFC 6750 §3.1: 401 invalid_token otherwise.
      async (request) => {
        userinfoCount += 1;
        const profile = profileFor(request);
        if (profile) return Response.json(profile, { headers: { 'Cache-Control': 'no-store' } });
        return Response.json(
          { error: 'invalid_token' },
          { status: 401, headers: { 'WWW-Authenticate': `Bearer error="invalid_token"` } },
        );
      },
    ],
  ]);

  return {
    issuer,
    untrustedIssuer,
    workload: { ...workload },
    handler: async (request) => {
      const url = new URL(request.url);
      const route = routes.get(`${url.origin}${url.pathname}`);
      return route ? route(request) : Response.json({ error: 'not_found' }, { status: 404 });
    },
    async mint(mintOptions = {}) {
      const key = mintOptions.key === 'untrusted' ? keys.untrusted : keys.trusted[mintOptions.alg ?? 'ES256'];
      const now = epochSeconds(clock);
      const jti = crypto.randomUUID();
      const claims = withOverrides(
        {
          iss: issuer,
          sub: workload.sub,
          aud: audience,
          iat: now,
          exp: now + WORKLOAD_TOKEN_TTL_SECONDS,
          jti,
        },
        mintOptions.claims,
      );
      const header = withOverrides({ alg: key.alg, kid: key.kid, typ: 'JWT' }, mintOptions.header);
      if (mintOptions.userinfo) plantedProfiles.set(String(claims.jti ?? jti), mintOptions.userinfo);
      const signer: Signer = header.alg === 'none' ? emptySigner : asymmetricSigner(key.alg, key.privateKey);
      const token = await compactJws(header, claims, signer);
      minted.add(token);
      return token;
    },
    userinfoRequests: () => userinfoCount,
  };
}

/**
 * OpenID Connect Discovery §4 (`<issuer>/.well-known/openid-configuration`) and RFC 8414 §3 (the well-known suffix
 * inserted before the issuer's path): the same document at both.
 */
function metadataRoutes(issuer: string, { userinfo }: { userinfo: boolean }): [string, () => Response][] {
  const { origin, pathname } = new URL(issuer);
  const path = pathname.replace(/\/$/, '');
  const metadata = () =>
    Response.json({
      issuer,
      jwks_uri: `${issuer}/jwks`,
      ...(userinfo ? { userinfo_endpoint: `${issuer}/userinfo` } : {}),
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256', 'RS256'],
    });
  return [
    [`${issuer}/.well-known/openid-configuration`, metadata],
    [`${origin}/.well-known/oauth-authorization-server${path}`, metadata],
  ];
}

function withOverrides(base: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  const merged: Record<string, unknown> = { ...base, ...overrides };
  for (const [name, value] of Object.entries(overrides)) if (value === undefined) delete merged[name];
  return merged;
}
