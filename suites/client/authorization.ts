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
