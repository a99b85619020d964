import { labRejects } from './lab.ts';

const CHECK_TYP = 'RFC 9068 §4: accept only typ "at+jwt" (or "application/at+jwt"); other JWTs are not access tokens';

export const labRejectsGenericJwtTyp = labRejects({
  id: 'resource-server.lab-rejects-generic-jwt-typ',
  title: 'A token typed "JWT" instead of "at+jwt" is rejected, even with every access-token claim',
  requirements: ['R9068-RS-TYP'],
  variant: { header: { typ: 'JWT' } },
  what: 'a token with every access-token claim but typ "JWT"',
  why: CHECK_TYP,
});

export const labRejectsIdToken = labRejects({
  id: 'resource-server.lab-rejects-id-token',
  title: 'An ID token from a trusted issuer, naming this resource as audience, is rejected',
  description: 'MCP "Token Handling": servers accept only access tokens issued for them, no other tokens.',
  requirements: ['R9068-RS-TYP', 'RS-NO-OTHER-TOKENS'],
  variant: ({ lab, now }) => ({
    header: { typ: 'JWT' },
    claims: { aud: [lab.audience], nonce: 'n-0S6_WzA2Mj', auth_time: now - 60, scope: undefined },
  }),
  what: 'an ID-token-shaped JWT (typ "JWT", nonce, auth_time, no scope) with aud [this resource]',
  why: `${CHECK_TYP}; an ID token authenticates a user to a client and grants nothing`,
});

export const labRejectsRefreshTokenTyp = labRejects({
  id: 'resource-server.lab-rejects-refresh-token-typ',
  title: 'A token typed "rt+jwt" (a refresh token) is rejected',
  requirements: ['R9068-RS-TYP', 'RS-NO-OTHER-TOKENS'],
  variant: { header: { typ: 'rt+jwt' } },
  what: 'a token typed "rt+jwt"',
  why: `${CHECK_TYP}; a refresh token is for the token endpoint only`,
});
