import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_FLOW_CLIENTS } from '../harness/embedded.ts';
import { freeLoopbackPorts, type ServedHandler, serveOnLoopback } from '../harness/network/serve.ts';
import type { RunResult } from '../harness/results.ts';
import { runConformance } from '../harness/run.ts';
import { parseTargetFile } from '../harness/target.ts';
import { createReferenceSystem, REFERENCE_SCOPES } from '../reference-server/system.ts';

/**
 * The byoa suite against an AS it reaches only over the wire: the reference AS on loopback, whose flows call the
 * homegrown identity API the harness serves at the target file's `byoa.homegrownAuth`. Real time (no harness clock):
 * TOTP codes follow the wall clock, connector timeouts are real.
 */
describe('the byoa suite against a loopback AS', () => {
  let listeners: ServedHandler[] = [];
  let result: RunResult;

  beforeAll(async () => {
    const [asPort, mcpPort, homegrownPort] = await freeLoopbackPorts(3);
    const origins = { as: `http://127.0.0.1:${asPort}`, mcp: `http://127.0.0.1:${mcpPort}` };
    const homegrownAuth = `http://127.0.0.1:${homegrownPort}`;
    const system = await createReferenceSystem({ origins, byoa: { homegrownAuth }, federation: {}, fetch });
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
    });
    result = await runConformance({ target, suites: ['byoa'] });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(listeners.map((listener) => listener.close()));
  });

  it('passes every check, with the same verdicts as in memory', () => {
    const notPassed = result.checks.filter((check) => check.status !== 'PASS');
    expect(notPassed.map(({ id, status, message }) => ({ id, status, message }))).toEqual([]);
    expect(result.checks.length).toBeGreaterThanOrEqual(32);
  });
});
