import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateTestCa } from '../harness/cimd/test-ca.ts';
import { EMBEDDED_LAB_CLAIMS } from '../harness/embedded.ts';
import { findChromium } from '../harness/login/chromium.ts';
import { freeLoopbackPorts } from '../harness/network/serve.ts';
import type { RunResult } from '../harness/results.ts';
import { runConformance } from '../harness/run.ts';
import { parseTargetFile, SUITE_NAMES } from '../harness/target.ts';
import { type ServedReferenceSystem, serveReferenceSystem } from '../reference-server/serve.ts';
import { REFERENCE_M2M_CLIENT, REFERENCE_USERS } from '../reference-server/system.ts';

/**
 * The reference system as a learner runs it (`serve`: real ports, real login and consent pages), checked through a
 * target file like any other implementation, with Chromium signing in, the token lab and the downstream observer
 * served by the harness on loopback. Same verdicts as in memory, except the checks that need the harness to move the
 * target's clock.
 */
describe.skipIf(!findChromium())('the served reference system, through a target file and a real browser', () => {
  let served: ServedReferenceSystem;
  let caDirectory: string | undefined;
  let result: RunResult;

  beforeAll(async () => {
    const [labPort, downstreamPort, workloadPort, idpPort, cimdPort] = await freeLoopbackPorts(5);
    // The CIMD host serves https with a test CA the AS is told to trust, as an operator would configure it.
    caDirectory = await mkdtemp(join(tmpdir(), 'cimd-ca-'));
    const cimd = { host: `https://127.0.0.1:${cimdPort}`, caFile: join(caDirectory, 'ca.pem') };
    const { ca } = await loadOrCreateTestCa(cimd.caFile);
    const tokenLab = { issuer: `http://127.0.0.1:${labPort}/lab`, requiredClaims: EMBEDDED_LAB_CLAIMS };
    const downstream = { url: `http://127.0.0.1:${downstreamPort}/api`, tool: 'downstream_report' };
    const workloadIssuer = { issuer: `http://127.0.0.1:${workloadPort}` };
    const enterpriseIdp = { issuer: `http://127.0.0.1:${idpPort}` };
    served = await serveReferenceSystem({
      port: 0,
      extraTrustedIssuers: [{ issuer: tokenLab.issuer, requiredClaims: EMBEDDED_LAB_CLAIMS }],
      downstream: { url: downstream.url },
      workloadIssuer: workloadIssuer.issuer,
      enterpriseIdp: enterpriseIdp.issuer,
      cimdAllowHosts: [new URL(cimd.host).host],
      cimdCa: ca.certificatePem,
    });
    const alice = REFERENCE_USERS[0]!;
    const target = parseTargetFile({
      name: 'reference system (served)',
      resource: served.urls.resource,
      issuer: served.urls.issuer,
      allowInsecureHttp: true,
      scopes: { basic: 'mcp:tools', elevated: 'mcp:admin', elevatedIncludesBasic: true },
      tokenLab,
      downstream,
      clients: {
        m2m: REFERENCE_M2M_CLIENT,
        workload: served.clients.workload,
        enterprise: served.clients.enterprise,
        ciba: served.clients.ciba,
        exchange: served.clients.exchange,
      },
      workloadIssuer,
      enterpriseIdp,
      ciba: { loginHint: alice.email, mailbox: served.urls.mailbox },
      cimd,
      tools: { basic: 'echo', elevated: 'admin_reset' },
      alternateResource: `${new URL(served.urls.resource).origin}/other`,
      user: { username: alice.username, password: alice.password },
      login: {
        mode: 'browser',
        // Server-rendered pages on loopback: a refusal page shows within this time, so no check waits 5 s for it.
        stepTimeoutMs: 2500,
        steps: [
          { fill: '#username', value: '{{username}}', optional: true },
          { fill: '#password', value: '{{password}}', optional: true },
          { click: 'button[type=submit]:not([name])', optional: true },
          { click: 'button[name=decision][value=approve]' },
        ],
      },
    });
    // The flow suites need identity systems the harness serves (test/byoa-external.test.ts); this server runs its own.
    const suites = SUITE_NAMES.filter((name) => name !== 'byoa' && name !== 'federation');
    result = await runConformance({ target, suites });
  }, 420_000);

  afterAll(async () => {
    await served?.close();
    if (caDirectory) await rm(caDirectory, { recursive: true, force: true });
  });

  it('passes every check; only clock-bound checks skip', () => {
    const problems = result.checks.filter((check) => check.status === 'FAIL' || check.status === 'WARN');
    expect(problems.map((check) => `${check.id}: ${check.message}`)).toEqual([]);
    const skipped = result.checks.filter((check) => check.status === 'SKIP').map((check) => check.id);
    expect(skipped.sort()).toEqual([
      'authorization-code.code-expires',
      'discovery.as-metadata-path-insertion',
      'grants.ciba-link-expiry',
      'grants.ciba-request-expiry',
      'grants.introspection-expired-token-inactive',
      'grants.introspection-inactive-no-claims',
      'grants.refresh-token-expires',
      'registration.cimd-cache-expires',
      'resource-server.rejects-expired',
    ]);
  });

  it('records the browser exchanges (login form post, consent, redirects) as evidence', () => {
    const flow = result.checks.find((check) => check.id === 'authorization-code.state-returned');
    const methods = flow?.evidence.map(
      (exchange) => `${exchange.request.method} ${new URL(exchange.request.url).pathname}`,
    );
    expect(methods).toEqual(expect.arrayContaining(['GET /authorize']));
  });
});
