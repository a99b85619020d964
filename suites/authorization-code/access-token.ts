import { check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { audiences, type DecodedJwt, decodeAccessToken } from '../../harness/jwt.ts';
import type { IssuedTokens } from '../../harness/oauth.ts';

/** AS-SHORT-LIVED-AT asks for "short-lived" tokens; an hour is the common ceiling. */
const SHORT_LIVED_SECONDS = 3600;

/** RFC 9068 §2.1: the media type of JWT access tokens, with or without the `application/` prefix. */
const AT_JWT_TYPES = ['at+jwt', 'application/at+jwt'];

/** RFC 9068 §2.2: claims every JWT access token carries. */
const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'] as const;

interface JwtAccessToken {
  tokens: IssuedTokens;
  jwt: DecodedJwt;
}

/** A fresh access token, decoded; opaque tokens make the calling check SKIP (their content is the AS's business). */
async function jwtAccessToken({ oauth, skip }: CheckContext): Promise<JwtAccessToken> {
  const tokens = await oauth.obtainTokens();
  const jwt = decodeAccessToken(tokens.accessToken);
  if (!jwt) return skip('the access token is opaque (not a signed JWT), so its claims cannot be examined');
  return { tokens, jwt };
}

export const accessTokenAudience = check({
  id: 'authorization-code.access-token-audience',
  title: 'A JWT access token names the requested resource in aud',
  description:
    'RFC 8707 §2 and RFC 9068 §3: the token is audience-restricted to the resource the client asked for, so it ' +
    'cannot be replayed at another MCP server.',
  requirements: ['AS-AUD-BINDING', 'R8707-AUDIENCE', 'R9068-AUD-RESOURCE'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run(ctx) {
    const { tokens, jwt } = await jwtAccessToken(ctx);
    const requested = tokens.authorization.resource;
    if (!requested) return ctx.skip('no resource was requested (the target declares no MCP server)');
    const aud = audiences(jwt.claims);
    expect.that(
      aud.includes(requested),
      `the token was requested for resource=${requested} but carries aud=${JSON.stringify(jwt.claims.aud)}; put ` +
        'the resource indicator in aud so other resource servers reject the token',
    );
    return `aud=${JSON.stringify(jwt.claims.aud)} includes ${requested}`;
  },
});

/** What is wrong with a JWT access token against RFC 9068 §2, one phrase per problem. */
function profileProblems({ header, claims }: DecodedJwt, issuer: unknown, clientId: string): string[] {
  const problems: string[] = [];
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
  if (!typ || !AT_JWT_TYPES.includes(typ)) problems.push(`header typ is ${JSON.stringify(header.typ)}, not "at+jwt"`);
  if (!header.alg || header.alg.toLowerCase() === 'none') problems.push(`header alg is ${JSON.stringify(header.alg)}`);
  const missing = REQUIRED_CLAIMS.filter((claim) => claims[claim] === undefined);
  if (missing.length > 0) problems.push(`claims ${missing.join(', ')} are missing`);
  if (claims.iss !== undefined && claims.iss !== issuer) {
    problems.push(`iss is ${JSON.stringify(claims.iss)}, not the issuer ${JSON.stringify(issuer)}`);
  }
  for (const claim of ['exp', 'iat'] as const) {
    if (claims[claim] !== undefined && typeof claims[claim] !== 'number') problems.push(`${claim} is not a number`);
  }
  if (claims.aud !== undefined && audiences(claims).length === 0) problems.push('aud names no audience');
  if (claims.client_id !== undefined && claims.client_id !== clientId) {
    problems.push(`client_id is ${JSON.stringify(claims.client_id)}, not ${clientId}`);
  }
  return problems;
}

export const jwtAccessTokenProfile = check({
  id: 'authorization-code.jwt-access-token-profile',
  title: 'A JWT access token follows RFC 9068 (typ at+jwt, signed, required claims)',
  description:
    'RFC 9068 §2: JWT access tokens are signed (never alg none), typed at+jwt so they cannot pass for ID tokens, ' +
    'and carry iss, exp, aud, sub, client_id, iat and jti.',
  requirements: ['R9068-TYP', 'R9068-CLAIMS', 'R9068-SIGNED'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run(ctx) {
    const { tokens, jwt } = await jwtAccessToken(ctx);
    const { metadata } = await ctx.discovery.authorizationServerMetadata();
    const problems = profileProblems(jwt, metadata.issuer, tokens.authorization.client.client_id);
    expect.that(
      problems.length === 0,
      `the JWT access token departs from RFC 9068: ${problems.join('; ')}. Resource servers that validate per ` +
        'RFC 9068 §4 reject such tokens (or, worse, cannot tell them from ID tokens)',
    );
    return `typ=${jwt.header.typ}, alg=${jwt.header.alg}, claims ${REQUIRED_CLAIMS.join(', ')} present`;
  },
});

export const shortLivedAccessToken = check({
  id: 'authorization-code.short-lived-access-token',
  title: 'Access tokens are short-lived (expires_in ≤ 1 hour)',
  description: 'MCP security considerations: the AS SHOULD issue short-lived access tokens to limit a leak.',
  requirements: ['AS-SHORT-LIVED-AT'],
  level: 'SHOULD',
  needs: ['authorization-code'],
  async run({ oauth }) {
    const { expiresIn } = await oauth.obtainTokens();
    expect.that(
      expiresIn !== undefined,
      'the token response has no expires_in; state the lifetime so clients refresh in time, and keep it short',
    );
    expect.that(
      expiresIn <= SHORT_LIVED_SECONDS,
      `expires_in=${expiresIn} s (${(expiresIn / 3600).toFixed(1)} h); keep access tokens to an hour or less so a ` +
        'leaked token is not useful for long',
    );
    return `expires_in=${expiresIn} s`;
  },
});
