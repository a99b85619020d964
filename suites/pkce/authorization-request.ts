import * as oauth from 'oauth4webapi';
import { check } from '../../harness/check.ts';
import { expect } from '../../harness/expect.ts';

export const rejectsMissingChallenge = check({
  id: 'pkce.rejects-missing-challenge',
  title: 'An authorization request without code_challenge is refused',
  description:
    'OAuth 2.1 §4.1.1: the AS MUST reject authorization requests from public clients that carry no code_challenge ' +
    '(RFC 7636 §4.4.1: with invalid_request).',
  requirements: ['OA21-PKCE-ENFORCE', 'R7636-REQUIRED-MISSING', 'BCP-AS-PKCE'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run({ oauth: client }) {
    const authorization = await client.authorize({ codeChallenge: null });
    return expect.authorizationRefused(
      authorization,
      ['invalid_request'],
      'without PKCE an intercepted or injected authorization code can be redeemed by anyone; require code_challenge',
    );
  },
});

export const confidentialClientsUsePkce = check({
  id: 'pkce.required-for-confidential-clients',
  title: 'A confidential client is also refused without code_challenge',
  description:
    'OAuth 2.1 §4.1.1 / §7.5.2: PKCE protects confidential clients against code injection too; an AS may waive it only ' +
    'where injection is prevented otherwise (e.g. an OpenID nonce), hence SHOULD.',
  requirements: ['OA21-PKCE-ENFORCE', 'BCP-AS-PKCE'],
  level: 'SHOULD',
  needs: ['authorization-code', 'confidential-client'],
  async run({ oauth: client }) {
    const authorization = await client.authorize({ client: await client.confidentialClient(), codeChallenge: null });
    return expect.authorizationRefused(
      authorization,
      ['invalid_request'],
      'A client secret does not stop an attacker from injecting a stolen code into the client; require PKCE of every client',
    );
  },
});

export const rejectsPlain = check({
  id: 'pkce.rejects-plain',
  title: 'code_challenge_method=plain is refused',
  description:
    'RFC 7636 §4.4.1: an unsupported transformation is refused with invalid_request; MCP and RFC 9700 §2.1.1 expect ' +
    'S256, which does not expose the verifier in the front channel. RFC 7636 still lets an AS support plain, hence SHOULD.',
  requirements: ['R7636-UNSUPPORTED-METHOD', 'AS-META-PKCE-S256', 'BCP-PKCE-S256'],
  level: 'SHOULD',
  needs: ['authorization-code'],
  async run({ oauth: client }) {
    const verifier = oauth.generateRandomCodeVerifier();
    const authorization = await client.authorize({
      codeVerifier: verifier,
      codeChallenge: verifier,
      codeChallengeMethod: 'plain',
    });
    return expect.authorizationRefused(
      authorization,
      ['invalid_request'],
      'with plain the challenge is the verifier itself, readable by anyone who sees the authorization request; ' +
        'accept S256 only',
    );
  },
});

export const rejectsMissingMethod = check({
  id: 'pkce.rejects-missing-method',
  title: 'A code_challenge without code_challenge_method is refused',
  description:
    'RFC 7636 §4.3: a missing code_challenge_method means plain; an S256-only AS must refuse it (invalid_request) ' +
    'rather than silently run plain PKCE.',
  requirements: ['R7636-DEFAULT-PLAIN', 'R7636-UNSUPPORTED-METHOD'],
  level: 'SHOULD',
  needs: ['authorization-code'],
  async run({ oauth: client }) {
    const authorization = await client.authorize({ codeChallengeMethod: null });
    return expect.authorizationRefused(
      authorization,
      ['invalid_request'],
      'a challenge without method is a plain challenge (RFC 7636 §4.3), which exposes the verifier; ' +
        'require code_challenge_method=S256',
    );
  },
});
