import { createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import type { JWK } from 'jose';
import type { ClientRequest } from '../../../harness/client-mode/recorder.ts';
import {
  type ClientCheck,
  type ClientVerdict,
  notJudged,
  observed,
  type ScenarioTraffic,
  violated,
} from '../../../harness/client-mode/scenario.ts';
import { arrivalSeconds, asTokenRequests, type DecodedJwt, decodeJwt, receivedAsMetadata } from './traffic.ts';

const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** What "short-lived" means here: the assertion expires within five minutes of being made. */
const SHORT_LIFETIME_SECONDS = 300;

/** The registered private_key_jwt client the assertions must come from. */
export interface AssertingClient {
  client_id: string;
  publicJwk: JWK;
}

/** A token request that authenticates with a client assertion (RFC 7523 §2.2), decoded. */
interface PresentedAssertion {
  request: ClientRequest;
  jwt: DecodedJwt | undefined;
}

function presentedAssertions(traffic: ScenarioTraffic): PresentedAssertion[] {
  return asTokenRequests(traffic)
    .filter((request) => request.form?.has('client_assertion') || request.form?.has('client_assertion_type'))
    .map((request) => ({ request, jwt: decodeJwt(request.form?.get('client_assertion') ?? '') }));
}

/** Judges the client's assertions, or says why there are none to judge. */
function onAssertions(
  traffic: ScenarioTraffic,
  judge: (assertions: PresentedAssertion[]) => ClientVerdict,
): ClientVerdict {
  const assertions = presentedAssertions(traffic);
  return assertions.length > 0 ? judge(assertions) : notJudged('no token request carried a client assertion');
}

/** RFC 7515 algorithms a registered key may sign assertions with, as node:crypto verifies them. */
const VERIFIERS: Record<string, (input: Buffer, signature: Buffer, key: KeyObject) => boolean> = {
  ES256: (input, signature, key) => verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature),
  ES384: (input, signature, key) => verify('sha384', input, { key, dsaEncoding: 'ieee-p1363' }, signature),
  RS256: (input, signature, key) => verify('sha256', input, key, signature),
};

/** What is wrong with one assertion (RFC 7523 §2.2 and §3), as sentences; empty when nothing is. */
function assertionProblems(
  { request, jwt }: PresentedAssertion,
  client: AssertingClient,
  traffic: ScenarioTraffic,
): string[] {
  const type = request.form?.getAll('client_assertion_type') ?? [];
  const problems: string[] = [];
  if (type.length !== 1 || type[0] !== CLIENT_ASSERTION_TYPE) {
    problems.push(`client_assertion_type is ${JSON.stringify(type)}, not "${CLIENT_ASSERTION_TYPE}"`);
  }
  if ((request.form?.getAll('client_assertion').length ?? 0) !== 1 || !jwt) {
    return [...problems, 'client_assertion is not exactly one compact JWT'];
  }
  const { iss, sub, aud, exp } = jwt.claims;
  if (iss !== client.client_id || sub !== client.client_id) {
    problems.push(`iss=${JSON.stringify(iss)} and sub=${JSON.stringify(sub)} must both be ${client.client_id}`);
  }
  const audiences = acceptedAudiences(traffic, request);
  if (!(Array.isArray(aud) ? aud : [aud]).some((value) => audiences.includes(value as string))) {
    problems.push(
      `aud=${JSON.stringify(aud)} names neither the issuer nor the token endpoint (${audiences.join(', ')})`,
    );
  }
  if (typeof exp !== 'number' || exp <= arrivalSeconds(request)) {
    problems.push(`exp=${JSON.stringify(exp)} is not a time after the request`);
  }
  problems.push(...signatureProblems(jwt, client, traffic));
  return problems;
}

/** RFC 7523 §3 item 3: the issuer identifier, or the URL of the token endpoint the assertion was sent to. */
function acceptedAudiences(traffic: ScenarioTraffic, request: ClientRequest): string[] {
  return [traffic.issuer, `${request.url.origin}${request.url.pathname}`];
}

/** RFC 8414 §2, RFC 7523 §3 item 9: an advertised asymmetric algorithm, and a signature the registered key verifies. */
function signatureProblems(jwt: DecodedJwt, client: AssertingClient, traffic: ScenarioTraffic): string[] {
  const alg = jwt.header.alg;
  const advertised = receivedAsMetadata(traffic)?.token_endpoint_auth_signing_alg_values_supported;
  if (typeof alg !== 'string' || alg === 'none') return [`alg=${JSON.stringify(alg)}: the assertion is not signed`];
  if (Array.isArray(advertised) && !advertised.includes(alg)) {
    return [
      `alg=${alg} is not in the AS's token_endpoint_auth_signing_alg_values_supported (${advertised.join(', ')})`,
    ];
  }
  const verifier = VERIFIERS[alg];
  const key = createPublicKey({ key: client.publicJwk as JsonWebKey, format: 'jwk' });
  return verifier?.(Buffer.from(jwt.signingInput), jwt.signature, key)
    ? []
    : [`the ${alg} signature does not verify with the client's registered key`];
}

export function clientAssertionWellFormed(client: AssertingClient): ClientCheck {
  return {
    id: 'client.client-assertion',
    title:
      'The client authenticates with a signed JWT assertion: iss = sub = client_id, aud = the AS, exp ahead, registered key',
    requirements: ['CC-CLIENT-AUTH', 'CC-JWT-CLAIMS', 'R7523-CLIENT-AUTH', 'R7523-ISS', 'R7523-SUB', 'R7523-AUD'],
    level: 'MUST',
    judge(traffic) {
      const requests = asTokenRequests(traffic);
      if (requests.length === 0) return notJudged('the client made no token request');
      if (presentedAssertions(traffic).length === 0) {
        return violated(
          `none of ${requests.length} token requests carries a client assertion; a client registered for ` +
            'private_key_jwt authenticates with client_assertion_type and client_assertion (RFC 7523 §2.2)',
          requests,
        );
      }
      return onAssertions(traffic, (assertions) => {
        const flawed = assertions
          .map((assertion) => ({ assertion, problems: assertionProblems(assertion, client, traffic) }))
          .filter(({ problems }) => problems.length > 0);
        const evidence = assertions.map(({ request }) => request);
        if (flawed.length > 0) {
          return violated(
            `${flawed.length} of ${assertions.length} client assertions are not what RFC 7523 §3 requires: ` +
              `${[...new Set(flawed.flatMap(({ problems }) => problems))].join('; ')}. Sign a JWT with the registered ` +
              'key whose iss and sub are the client_id and whose aud is the AS issuer (or its token endpoint)',
            flawed.map(({ assertion }) => assertion.request),
          );
        }
        return observed(
          `${assertions.length} assertions, each signed with the registered key, iss = sub = ${client.client_id}`,
          evidence,
        );
      });
    },
  };
}

export const assertionShortLived: ClientCheck = {
  id: 'client.assertion-short-lived',
  title: `The client's assertions expire within ${SHORT_LIFETIME_SECONDS / 60} minutes of being issued`,
  requirements: ['CL-ASSERTION-SHORT-LIVED', 'R7523-EXP'],
  level: 'SHOULD',
  judge: (traffic) =>
    onAssertions(traffic, (assertions) => {
      const lifetimes = assertions.map(({ request, jwt }) => {
        const { exp, iat } = jwt?.claims ?? {};
        const issued = typeof iat === 'number' ? iat : arrivalSeconds(request);
        return { request, lifetime: typeof exp === 'number' ? exp - issued : Number.POSITIVE_INFINITY };
      });
      const longLived = lifetimes.filter(({ lifetime }) => lifetime > SHORT_LIFETIME_SECONDS);
      if (longLived.length > 0) {
        return violated(
          `assertions valid for ${longLived.map(({ lifetime }) => `${lifetime} s`).join(', ')}; an assertion is a bearer ` +
            `credential until exp, so keep exp within ${SHORT_LIFETIME_SECONDS} s of iat (RFC 7523 §3 item 4)`,
          longLived.map(({ request }) => request),
        );
      }
      const longest = Math.max(...lifetimes.map(({ lifetime }) => lifetime));
      return observed(
        `the longest assertion lifetime was ${longest} s`,
        assertions.map(({ request }) => request),
      );
    }),
};

export const assertionUsedOnce: ClientCheck = {
  id: 'client.assertion-unique-jti',
  title: 'Every client assertion carries its own jti: none is used twice',
  requirements: ['CL-ASSERTION-ONE-USE', 'CC-JWT-CLAIMS'],
  level: 'MUST',
  judge: (traffic) =>
    onAssertions(traffic, (assertions) => {
      const seen = new Set<string>();
      const repeated = assertions.filter(({ jwt }) => {
        const jti = jwt?.claims.jti;
        if (typeof jti !== 'string' || jti === '' || seen.has(jti)) return true;
        seen.add(jti);
        return false;
      });
      if (repeated.length > 0) {
        return violated(
          `${repeated.length} of ${assertions.length} assertions have no jti or repeat an earlier one; make a new ` +
            'assertion with a fresh jti for every token request, or the AS must take it for a replay (OpenID Connect Core §9)',
          repeated.map(({ request }) => request),
        );
      }
      return observed(
        `${assertions.length} assertions, ${seen.size} distinct jti values`,
        assertions.map(({ request }) => request),
      );
    }),
};

export const noSecretWithAssertion: ClientCheck = {
  id: 'client.no-secret-with-assertion',
  title: 'A token request with a client assertion carries no client_secret and no Authorization header',
  requirements: ['CL-ONE-AUTH-METHOD', 'CL-TOKEN-AUTH-METHOD'],
  level: 'MUST',
  judge: (traffic) =>
    onAssertions(traffic, (assertions) => {
      const doubled = assertions
        .map(({ request }) => request)
        .filter((request) => request.form?.has('client_secret') || request.headers.has('authorization'));
      if (doubled.length > 0) {
        return violated(
          `${doubled.length} token requests send a client assertion together with ` +
            `${doubled.some((request) => request.form?.has('client_secret')) ? 'client_secret' : 'an Authorization header'}; ` +
            'a client uses exactly one authentication method per request (OAuth 2.1 §2.4), here private_key_jwt',
          doubled,
        );
      }
      return observed(`${assertions.length} token requests authenticated by the assertion alone`);
    }),
};
