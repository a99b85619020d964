import * as oauth from 'oauth4webapi';
import { BlockedError, check } from '../../harness/check.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply, member } from '../../harness/http.ts';
import type { Authorization, AuthorizeOptions, OAuthClientSide } from '../../harness/oauth.ts';
import { summarizeAuthorization } from '../../harness/oauth.ts';

/** An authorization code is the prerequisite of every token-side PKCE check. */
async function authorizedCode(client: OAuthClientSide, options: AuthorizeOptions = {}): Promise<Authorization> {
  const authorization = await client.authorize(options);
  if (!authorization.code) {
    throw new BlockedError('authorization request', `no code issued (${summarizeAuthorization(authorization)})`);
  }
  return authorization;
}

export const s256Roundtrip = check({
  id: 'pkce.s256-roundtrip',
  title: 'A correct S256 code_verifier redeems the code',
  description:
    'RFC 7636 §4.2, §4.6: code_challenge = BASE64URL(SHA256(code_verifier)) without padding; S256 is mandatory to ' +
    'implement, and the matching verifier gets the tokens.',
  requirements: ['R7636-S256', 'R7636-S256-MTI'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run({ oauth: client }) {
    const authorization = await authorizedCode(client);
    const reply = await client.redeem(authorization);
    expect.that(
      reply.status === 200 && typeof member(reply, 'access_token') === 'string',
      `the token request with the matching S256 code_verifier answered ${describeReply(reply)}; expected 200 with ` +
        'an access_token. Compute the challenge as BASE64URL(SHA256(ASCII(code_verifier))), base64url without padding',
    );
    return 'the S256 verifier was accepted and tokens issued';
  },
});

export const rejectsWrongVerifier = check({
  id: 'pkce.rejects-wrong-verifier',
  title: 'A code_verifier that does not match the challenge is refused with invalid_grant',
  description: 'RFC 7636 §4.6: the AS recomputes the challenge from code_verifier; a mismatch is invalid_grant.',
  requirements: ['R7636-VERIFY'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run({ oauth: client }) {
    const authorization = await authorizedCode(client);
    const reply = await client.redeem(authorization, { codeVerifier: oauth.generateRandomCodeVerifier() });
    return expect.tokenError(
      reply,
      ['invalid_grant'],
      'a stolen code must be useless without the verifier only the legitimate client holds',
    );
  },
});

export const rejectsMissingVerifier = check({
  id: 'pkce.rejects-missing-verifier',
  title: 'A code issued with a challenge is not redeemed without code_verifier',
  description: 'OAuth 2.1 §4.1.3: code_verifier must be present if and only if a code_challenge was sent.',
  requirements: ['OA21-VERIFIER-IFF', 'R7636-VERIFY'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run({ oauth: client }) {
    const authorization = await authorizedCode(client);
    const reply = await client.redeem(authorization, { codeVerifier: null });
    return expect.tokenError(
      reply,
      ['invalid_grant', 'invalid_request'],
      'leaving the verifier out must not skip the PKCE check, or PKCE protects nothing',
    );
  },
});

export const rejectsVerifierWithoutChallenge = check({
  id: 'pkce.rejects-verifier-without-challenge',
  title: 'A code issued without a challenge is not redeemed with a code_verifier (PKCE downgrade)',
  description:
    'RFC 9700 §2.1.1, OAuth 2.1 §4.1.3: the AS rejects a code_verifier when no code_challenge was sent, so an ' +
    'attacker cannot inject a code obtained without PKCE.',
  requirements: ['BCP-AS-PKCE', 'OA21-VERIFIER-IFF'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run({ oauth: client }) {
    const authorization = await client.authorize({ codeChallenge: null });
    if (!authorization.code) {
      return `no code can be obtained without a challenge (${summarizeAuthorization(authorization)})`;
    }
    const reply = await client.redeem(authorization, { codeVerifier: oauth.generateRandomCodeVerifier() });
    return expect.tokenError(
      reply,
      ['invalid_grant', 'invalid_request'],
      'the code was issued without code_challenge, so any code_verifier "matches": an attacker who starts a flow ' +
        'without PKCE can inject the code into a victim client (PKCE downgrade)',
    );
  },
});

/** Verifiers outside RFC 7636 §4.1 (43–128 characters of [A-Za-z0-9-._~]), each with what is wrong with it. */
function malformedVerifiers(): Array<{ verifier: string; flaw: string }> {
  const valid = oauth.generateRandomCodeVerifier();
  return [
    { verifier: valid.slice(0, 42), flaw: '42 characters (minimum 43)' },
    { verifier: `${valid.slice(0, 42)}+/`, flaw: 'the characters "+" and "/" (base64, not base64url)' },
  ];
}

export const rejectsMalformedVerifier = check({
  id: 'pkce.rejects-malformed-verifier',
  title: 'A code_verifier of the wrong length or alphabet is refused, even when its challenge matches',
  description:
    'RFC 7636 §4.1: code_verifier is 43–128 characters of [A-Z a-z 0-9 - . _ ~]; shorter or other characters lower ' +
    'or break its entropy. The rule binds the client, so an AS enforcing it is the defence: SHOULD.',
  requirements: ['R7636-VERIFIER-SHAPE'],
  level: 'SHOULD',
  needs: ['authorization-code'],
  async run({ oauth: client }) {
    const observed: string[] = [];
    for (const { verifier, flaw } of malformedVerifiers()) {
      const codeChallenge = await oauth.calculatePKCECodeChallenge(verifier);
      const authorization = await authorizedCode(client, { codeVerifier: verifier, codeChallenge });
      const reply = await client.redeem(authorization);
      const verdict = expect.tokenError(
        reply,
        ['invalid_grant', 'invalid_request'],
        `a code_verifier with ${flaw} was accepted because its S256 challenge matched; check the verifier's ` +
          'length and alphabet (RFC 7636 §4.1) before comparing',
      );
      observed.push(`${flaw}: ${verdict}`);
    }
    return observed.join('; ');
  },
});
