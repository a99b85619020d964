import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ClientRequest } from '../../../harness/client-mode/recorder.ts';
import type { ScenarioTraffic } from '../../../harness/client-mode/scenario.ts';
import { EXITED_CLEANLY } from '../made-up-traffic.ts';
import { itFailsTheMatchingChecks, itPassesWithTheGoodClient } from '../test-support.ts';
import { clientAssertionWellFormed } from './assertion.ts';
import { MACHINE_MISBEHAVIOURS } from './misbehaviours.ts';
import { MACHINE_SCENARIOS } from './scenarios.ts';
import { assertionClient } from './servers.ts';

describe('machine client scenarios', () => {
  itPassesWithTheGoodClient(MACHINE_SCENARIOS);
  itFailsTheMatchingChecks(MACHINE_MISBEHAVIOURS);
});

const ISSUER = 'http://127.0.0.1:9000';
const CLIENT = assertionClient('machine-under-test');
const CLIENT_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

/** A token request carrying `claims` as a client assertion signed by `key` (else `alg: none`). */
function tokenRequest(claims: Record<string, unknown>, key?: KeyObject): ClientRequest {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const input = `${encode({ alg: key ? 'ES256' : 'none' })}.${encode(claims)}`;
  const signature = key
    ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')
    : '';
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: `${input}.${signature}`,
  });
  const url = new URL(`${ISSUER}/token`);
  return {
    index: 0,
    server: 'as',
    method: 'POST',
    url,
    headers: new Headers(),
    body: form.toString(),
    form,
    status: 200,
    evidence: {
      request: { method: 'POST', url: url.href, headers: {} },
      startedAt: new Date().toISOString(),
      durationMs: 0,
    },
  };
}

function trafficOf(request: ClientRequest): ScenarioTraffic {
  return {
    mcpUrl: 'http://127.0.0.1:9001/mcp',
    issuer: ISSUER,
    foreignOrigin: 'http://127.0.0.1:9002',
    requests: [request],
    process: EXITED_CLEANLY,
  };
}

describe('the client assertion check', () => {
  /** Claims of an assertion made now (the spawning tests above may have taken a minute). */
  const freshClaims = (exp = Math.floor(Date.now() / 1000) + 60) => ({
    iss: CLIENT.client_id,
    sub: CLIENT.client_id,
    aud: `${ISSUER}/token`,
    exp,
    jti: 'a',
  });
  const check = clientAssertionWellFormed(CLIENT);
  const signingKey = () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { key: key.privateKey, client: { ...CLIENT, publicJwk: key.publicKey.export({ format: 'jwk' }) } };
  };

  it('accepts the token endpoint URL as audience when the assertion is signed by the registered key', () => {
    const { key, client } = signingKey();
    expect(clientAssertionWellFormed(client).judge(trafficOf(tokenRequest(freshClaims(), key))).outcome).toBe(
      'observed',
    );
  });

  it('flags a signature by another key and an unsigned assertion', () => {
    for (const request of [tokenRequest(freshClaims(), CLIENT_KEY), tokenRequest(freshClaims())]) {
      expect(check.judge(trafficOf(request)).outcome).toBe('violated');
    }
  });

  it('flags an iss other than the client_id', () => {
    const { key, client } = signingKey();
    const verdict = clientAssertionWellFormed(client).judge(
      trafficOf(tokenRequest({ ...freshClaims(), iss: 'someone-else' }, key)),
    );
    expect(verdict).toMatchObject({ outcome: 'violated', message: expect.stringMatching(/iss="someone-else"/) });
  });

  it('flags an expired assertion', () => {
    const { key, client } = signingKey();
    const verdict = clientAssertionWellFormed(client).judge(
      trafficOf(tokenRequest(freshClaims(Math.floor(Date.now() / 1000) - 5), key)),
    );
    expect(verdict).toMatchObject({ outcome: 'violated', message: expect.stringMatching(/exp=/) });
  });
});
