import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServedHandler, serveOnLoopback } from '../harness/network/serve.ts';
import type { RunResult } from '../harness/results.ts';
import { runConformance } from '../harness/run.ts';
import { parseTargetFile } from '../harness/target.ts';

/**
 * A target that misbehaves on purpose: metadata that sends the harness to a host nobody declared (a cloud metadata
 * address), an endpoint that never answers, and a document far larger than any metadata. The run must end, with FAILs
 * that say why, and the harness must never contact the undeclared host.
 */
function hostileServer(origin: () => string): Hono {
  const app = new Hono();
  app.get('/.well-known/oauth-authorization-server', (c) =>
    c.json({
      issuer: origin(),
      authorization_endpoint: 'http://169.254.169.254/latest/meta-data/authorize',
      token_endpoint: 'http://169.254.169.254/latest/meta-data/token',
      registration_endpoint: `${origin()}/register`,
      jwks_uri: `${origin()}/jwks`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
    }),
  );
  app.get('/.well-known/openid-configuration', (c) => c.text('x'.repeat(3 * 1024 * 1024)));
  app.get('/jwks', () => new Promise<Response>(() => {}));
  app.post('/register', async (c) => c.json({ ...(await c.req.json()), client_id: crypto.randomUUID() }, 201));
  return app;
}

describe('a hostile target', () => {
  let served: ServedHandler;
  let result: RunResult;
  let started: number;

  beforeAll(async () => {
    let origin = '';
    served = await serveOnLoopback(async (request) => hostileServer(() => origin).fetch(request));
    origin = served.origin;
    started = performance.now();
    result = await runConformance({
      target: parseTargetFile({
        name: 'hostile',
        issuer: served.origin,
        allowInsecureHttp: true,
        timeoutMs: 500,
        suites: ['discovery', 'registration', 'pkce'],
      }),
    });
  }, 120_000);

  afterAll(() => served?.close());

  it('ends the run with a verdict for every check', () => {
    expect(result.checks.length).toBeGreaterThan(20);
    expect(performance.now() - started).toBeLessThan(120_000);
  });

  it('never contacts a host the target did not declare', () => {
    const undeclared = result.checks
      .flatMap((check) => check.evidence)
      .filter((exchange) => new URL(exchange.request.url).hostname === '169.254.169.254');
    expect(undeclared.length).toBeGreaterThan(0);
    for (const exchange of undeclared) {
      expect(exchange.error).toMatch(/host not declared/);
      expect(exchange.response).toBeUndefined();
    }
    const pkce = result.checks.find((check) => check.id === 'pkce.rejects-missing-challenge');
    expect(pkce?.status).toBe('FAIL');
  });

  it('reports silent endpoints as timeouts and oversized documents as such', () => {
    const jwks = result.checks.find((check) => check.id === 'discovery.as-jwks-public-only');
    expect(jwks).toMatchObject({ status: 'FAIL' });
    expect(jwks?.message).toMatch(/no answer within 500 ms/);
    const openid = result.checks.find((check) => check.id === 'discovery.oidc-consistent');
    expect(openid?.message).toMatch(/larger than/);
  });
});
