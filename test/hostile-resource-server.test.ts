import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServedHandler, serveOnLoopback } from '../harness/network/serve.ts';
import type { RunResult } from '../harness/results.ts';
import { runConformance } from '../harness/run.ts';
import { parseTargetFile } from '../harness/target.ts';

const TWENTY_MEGABYTES = 20 * 1024 * 1024;

/**
 * An MCP server that fights back: garbage JSON where its metadata should be, a well-known URL that redirects to
 * itself, 20 MB where a document belongs, and responses that never end. Every check must end with a verdict that says
 * why, within the timeouts.
 */
function hostileResourceServer(origin: () => string) {
  return async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    if (pathname === '/mcp' && request.headers.has('authorization')) return endlessResponse();
    if (pathname === '/mcp') {
      return new Response(null, {
        status: 401,
        headers: { 'www-authenticate': `Bearer resource_metadata="${origin()}/prm-garbage"` },
      });
    }
    if (pathname === '/prm-garbage') return new Response('{"resource": "unterminated', { headers: jsonType });
    if (pathname === '/.well-known/oauth-protected-resource/mcp') {
      return new Response(null, { status: 302, headers: { location: pathname } });
    }
    if (pathname === '/.well-known/oauth-protected-resource') return hugeResponse();
    return new Response('not found', { status: 404 });
  };
}

const jsonType = { 'content-type': 'application/json' };

function endlessResponse(): Response {
  return new Response(
    new ReadableStream({ start: (controller) => controller.enqueue(new TextEncoder().encode('{')) }),
    {
      headers: jsonType,
    },
  );
}

function hugeResponse(): Response {
  let sent = 0;
  const chunk = new Uint8Array(1024 * 1024).fill(0x20);
  return new Response(
    new ReadableStream({
      pull(controller) {
        if (sent >= TWENTY_MEGABYTES) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    }),
    { headers: jsonType },
  );
}

describe('a hostile MCP server', () => {
  let served: ServedHandler;
  let result: RunResult;

  beforeAll(async () => {
    let origin = '';
    served = await serveOnLoopback(hostileResourceServer(() => origin));
    origin = served.origin;
    result = await runConformance({
      target: parseTargetFile({
        name: 'hostile MCP server',
        resource: `${served.origin}/mcp`,
        allowInsecureHttp: true,
        timeoutMs: 1000,
        suites: ['discovery', 'resource-server'],
      }),
    });
  }, 120_000);

  afterAll(() => served?.close());

  it('gives every check a verdict', () => {
    expect(result.checks.length).toBeGreaterThan(20);
    expect(result.summary.FAIL).toBeGreaterThan(0);
  });

  it('explains the garbage, the redirect loop and the 20 MB document', () => {
    const discoverable = result.checks.find((check) => check.id === 'discovery.prm-discoverable');
    expect(discoverable?.status).toBe('FAIL');
    expect(discoverable?.message).toMatch(/prm-garbage/);
    expect(discoverable?.message).toMatch(/too many redirects/);
    expect(discoverable?.message).toMatch(/larger than/);
  });

  it('cuts off a response that never ends', () => {
    const malformed = result.checks.find((check) => check.id === 'resource-server.rejects-malformed-token');
    expect(malformed?.status).toBe('FAIL');
    expect(malformed?.message).toMatch(/did not end in time/);
  });
});
