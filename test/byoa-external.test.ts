import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_FLOW_CLIENTS } from '../harness/embedded.ts';
import { freeLoopbackPorts, type ServedHandler, serveOnLoopback } from '../harness/network/serve.ts';
import type { RunResult } from '../harness/results.ts';
import { runConformance } from '../harness/run.ts';
import { parseTargetFile } from '../harness/target.ts';
import { createReferenceSystem, REFERENCE_SCOPES } from '../reference-server/system.ts';

/**
 * The byoa and federation suites against an AS they reach only over the wire: the reference AS on loopback, whose flows
 * call the homegrown identity API the harness serves at the target file's `byoa.homegrownAuth`, and which federates to
 * the upstream OpenID provider the harness serves at `federation.oidc.issuer`. Real time (no harness clock): TOTP
 * codes follow the wall clock, connector timeouts are real. (SAML needs the IdP's certificate configured up front; it
 * runs in memory only.)
 */
describe('the byoa and federation suites against a loopback AS', () => {
  let listeners: ServedHandler[] = [];
  let result: RunResult;

  beforeAll(async () => {
    const [asPort, mcpPort, homegrownPort, upstreamPort] = await freeLoopbackPorts(4);
    const origins = { as: `http://127.0.0.1:${asPort}`, mcp: `http://127.0.0.1:${mcpPort}` };
    const homegrownAuth = `http://127.0.0.1:${homegrownPort}`;
    const upstream = {
      issuer: `http://127.0.0.1:${upstreamPort}`,
      clientId: 'loopback-as',
      clientSecret: 'loopback-secret',
    };
    const system = await createReferenceSystem({
      origins,
      byoa: { homegrownAuth },
      federation: { oidc: upstream },
      fetch,
    });
    listeners = await Promise.all(
      Object.entries(origins).map(([, origin]) =>
        serveOnLoopback(system.handlers.get(origin)!, Number(new URL(origin).port)),
      ),
    );
    const flows = Object.fromEntries(
      Object.entries(EMBEDDED_FLOW_CLIENTS)
        .filter(([name]) => name !== 'oidc' && name !== 'saml')
        .map(([name, clientId]) => [name, { clientId }]),
    );
    const target = parseTargetFile({
      name: 'reference AS on loopback',
      issuer: system.issuer,
      resource: system.resource,
      allowInsecureHttp: true,
      scopes: REFERENCE_SCOPES,
      byoa: { homegrownAuth, flows },
      federation: {
        oidc: {
          ...upstream,
          redirectUri: `${system.issuer}/federation/oidc/callback`,
          flow: { clientId: EMBEDDED_FLOW_CLIENTS.oidc },
        },
      },
    });
    result = await runConformance({ target, suites: ['byoa', 'federation'] });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(listeners.map((listener) => listener.close()));
  });

  it('passes every byoa and OIDC federation check, with the same verdicts as in memory; SAML skips', () => {
    const samlCheck = (id: string) => id.startsWith('federation.saml-');
    const notPassed = result.checks.filter((check) => check.status !== 'PASS' && !samlCheck(check.id));
    expect(notPassed.map(({ id, status, message }) => ({ id, status, message }))).toEqual([]);
    expect(result.checks.filter((check) => samlCheck(check.id)).every((check) => check.status === 'SKIP')).toBe(true);
    expect(result.checks.filter((check) => check.status === 'PASS').length).toBeGreaterThanOrEqual(48);
  });
});
