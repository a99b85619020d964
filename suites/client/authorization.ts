import { createHash } from 'node:crypto';
import type { ClientRequest } from '../../harness/client-mode/recorder.ts';
import {
  type ClientCheck,
  type ClientVerdict,
  notJudged,
  observed,
  type ScenarioTraffic,
  violated,
} from '../../harness/client-mode/scenario.ts';
import { authorizationRequests, codeTokenRequests } from './traffic.ts';

/** Judges the first authorization request, or reports that the client made none. */
function onAuthorization(
  traffic: ScenarioTraffic,
  judge: (authorization: ClientRequest) => ClientVerdict,
): ClientVerdict {
  const authorization = authorizationRequests(traffic)[0];
  return authorization ? judge(authorization) : notJudged('the client made no authorization request');
}

/** Judges the first code redemption together with the authorization request that obtained the code. */
function onRedemption(
  traffic: ScenarioTraffic,
  judge: (authorization: ClientRequest, redemption: ClientRequest) => ClientVerdict,
): ClientVerdict {
  const authorization = authorizationRequests(traffic)[0];
  const redemption = codeTokenRequests(traffic)[0];
  if (!authorization || !redemption) return notJudged('the client redeemed no authorization code');
  return judge(authorization, redemption);
}

export const pkceChallengeSent: ClientCheck = {
  id: 'client.pkce-challenge-sent',
  title: 'The authorization request carries a PKCE code_challenge',
  requirements: ['CL-PKCE'],
  level: 'MUST',
  judge: (traffic) =>
    onAuthorization(traffic, (authorization) =>
      authorization.url.searchParams.get('code_challenge')
        ? observed('code_challenge present', [authorization])
        : violated(
            'the authorization request has no code_challenge; without PKCE an intercepted code can be redeemed by anyone (OAuth 2.1 §7.5.2)',
            [authorization],
          ),
    ),
};

export const pkceS256: ClientCheck = {
  id: 'client.pkce-s256',
  title: 'The client uses code_challenge_method=S256',
  requirements: ['CL-PKCE-S256'],
  level: 'MUST',
  judge: (traffic) =>
    onAuthorization(traffic, (authorization) => {
      const method = authorization.url.searchParams.get('code_challenge_method');
      return method === 'S256'
        ? observed('code_challenge_method=S256', [authorization])
        : violated(
            `code_challenge_method=${method ?? '(absent, which means plain)'}; a client able to hash must send S256 (OAuth 2.1 §4.1.1)`,
            [authorization],
          );
    }),
};

export const pkceVerifierMatches: ClientCheck = {
  id: 'client.pkce-verifier-matches',
  title: 'The token request carries the code_verifier whose S256 hash is the code_challenge',
  requirements: ['CL-PKCE'],
  level: 'MUST',
  judge: (traffic) =>
    onRedemption(traffic, (authorization, redemption) => {
      const verifier = redemption.form?.get('code_verifier');
      const challenge = authorization.url.searchParams.get('code_challenge');
      if (!verifier) {
        return violated('the token request has no code_verifier, so the AS cannot bind the code to this client', [
          redemption,
        ]);
      }
      const hashed = createHash('sha256').update(verifier).digest('base64url');
      return hashed === challenge
        ? observed('BASE64URL(SHA256(code_verifier)) equals the code_challenge', [authorization, redemption])
        : violated('the code_verifier does not hash to the code_challenge sent in the authorization request', [
            authorization,
            redemption,
          ]);
    }),
};

/** RFC 7636 §4.1: 43–128 characters of the unreserved set. */
const VERIFIER_SHAPE = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Bits of entropy the verifier's own character frequencies suggest (Shannon estimate times length). */
function estimatedEntropyBits(text: string): number {
  const counts = new Map<string, number>();
  for (const character of text) counts.set(character, (counts.get(character) ?? 0) + 1);
  let bitsPerCharacter = 0;
  for (const count of counts.values()) {
    const share = count / text.length;
    bitsPerCharacter -= share * Math.log2(share);
  }
  return bitsPerCharacter * text.length;
}

/** RFC 7636 §7.1: 256 bits are recommended; a random 43-character base64url verifier estimates well above this. */
const MINIMUM_ESTIMATED_ENTROPY_BITS = 128;

/** Judges the verifiers of every code redemption. */
function onVerifiers(
  traffic: ScenarioTraffic,
  judge: (verifiers: { request: ClientRequest; verifier: string }[]) => ClientVerdict,
): ClientVerdict {
  const verifiers = codeTokenRequests(traffic).flatMap((request) => {
    const verifier = request.form?.get('code_verifier');
    return verifier ? [{ request, verifier }] : [];
  });
  return verifiers.length > 0 ? judge(verifiers) : notJudged('no token request carried a code_verifier');
}

export const pkceVerifierShape: ClientCheck = {
  id: 'client.pkce-verifier-shape',
  title: 'The code_verifier is 43–128 characters from the unreserved set [A-Za-z0-9-._~]',
  requirements: ['R7636-VERIFIER-SHAPE', 'CL-PKCE'],
  level: 'MUST',
  judge: (traffic) =>
    onVerifiers(traffic, (verifiers) => {
      const malformed = verifiers.filter(({ verifier }) => !VERIFIER_SHAPE.test(verifier));
      return malformed.length > 0
        ? violated(
            `code_verifier of ${malformed.map(({ verifier }) => verifier.length).join(', ')} characters outside ` +
              'RFC 7636 §4.1 (43–128 characters of A–Z a–z 0–9 - . _ ~); an AS must refuse it',
            malformed.map(({ request }) => request),
          )
        : observed(
            `${verifiers.length} code_verifier(s) of the right length and characters`,
            verifiers.map(({ request }) => request),
          );
    }),
};

export const pkceVerifierEntropy: ClientCheck = {
  id: 'client.pkce-verifier-entropy',
  title: 'The code_verifier looks random (a high-entropy string, not a constant or a pattern)',
  requirements: ['R7636-VERIFIER-SHAPE'],
  level: 'SHOULD',
  judge: (traffic) =>
    onVerifiers(traffic, (verifiers) => {
      const weak = verifiers.filter(({ verifier }) => estimatedEntropyBits(verifier) < MINIMUM_ESTIMATED_ENTROPY_BITS);
      const repeated = verifiers.filter(
        ({ verifier }, index) => verifiers.findIndex((other) => other.verifier === verifier) < index,
      );
      if (weak.length > 0 || repeated.length > 0) {
        const estimate = Math.round(estimatedEntropyBits((weak[0] ?? repeated[0])?.verifier ?? ''));
        return violated(
          (weak.length > 0 ? `a code_verifier whose characters carry about ${estimate} bits of entropy` : '') +
            (weak.length > 0 && repeated.length > 0 ? ', and ' : '') +
            (repeated.length > 0 ? 'the same code_verifier in two authorizations' : '') +
            '; a guessable verifier defeats PKCE: use 32 random octets, base64url-encoded (RFC 7636 §4.1, §7.1)',
          [...weak, ...repeated].map(({ request }) => request),
        );
      }
      return observed(
        `${verifiers.length} code_verifier(s), each distinct and of high estimated entropy`,
        verifiers.map(({ request }) => request),
      );
    }),
};

export const stateSent: ClientCheck = {
  id: 'client.state-sent',
  title: 'The authorization request carries an unguessable state',
  requirements: ['CL-STATE'],
  level: 'SHOULD',
  judge: (traffic) =>
    onAuthorization(traffic, (authorization) => {
      const state = authorization.url.searchParams.get('state') ?? '';
      return state.length >= 16
        ? observed(`state of ${state.length} characters`, [authorization])
        : violated(
            state
              ? `state "${state}" is too short to be unguessable (at least 16 characters expected)`
              : 'no state parameter; the client cannot tell its own authorization responses from forged ones',
            [authorization],
          );
    }),
};

export const resourceInAuthorization: ClientCheck = {
  id: 'client.resource-in-authorization',
  title: 'The authorization request names the MCP server as resource (RFC 8707), in canonical form',
  requirements: ['CL-RESOURCE-PARAM', 'CL-RESOURCE-CANONICAL', 'CL-RESOURCE-ALWAYS'],
  level: 'MUST',
  judge: (traffic) =>
    onAuthorization(traffic, (authorization) => {
      const resources = authorization.url.searchParams.getAll('resource');
      return resources.length === 1 && resources[0] === traffic.mcpUrl
        ? observed(`resource=${traffic.mcpUrl}`, [authorization])
        : violated(
            `resource ${JSON.stringify(resources)} in the authorization request; expected exactly ["${traffic.mcpUrl}"], ` +
              'the canonical URI of the MCP server the token is for',
            [authorization],
          );
    }),
};

export const resourceInToken: ClientCheck = {
  id: 'client.resource-in-token',
  title: 'The token request repeats the same resource as the authorization request',
  requirements: ['CL-RESOURCE-PARAM'],
  level: 'MUST',
  judge: (traffic) =>
    onRedemption(traffic, (authorization, redemption) => {
      const sent = redemption.form?.getAll('resource') ?? [];
      const authorized = authorization.url.searchParams.get('resource');
      return sent.length === 1 && sent[0] === authorized
        ? observed(`resource=${sent[0]} in both requests`, [authorization, redemption])
        : violated(
            `resource ${JSON.stringify(sent)} in the token request, ${JSON.stringify(authorized)} in the authorization request; ` +
              'both must name the MCP server so the token is bound to it (RFC 8707 §2.2)',
            [authorization, redemption],
          );
    }),
};
