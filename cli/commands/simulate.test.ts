import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ServedHandler, serveOnLoopback } from '../../harness/network/serve.ts';
import type { SimulationResult } from '../../harness/simulation/types.ts';
import { main } from '../main.ts';

let dir: string;
let broken: ServedHandler;

/** An AS on loopback whose token endpoint fails with 500: what the no-5xx invariant exists to catch. */
async function serveBrokenAs(): Promise<ServedHandler> {
  let origin = '';
  const served = await serveOnLoopback(async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/.well-known/oauth-authorization-server') {
      return Response.json({ issuer: origin, token_endpoint: `${origin}/token` });
    }
    return new Response('boom', { status: 500 });
  });
  origin = served.origin;
  return served;
}

async function cli(args: string[]) {
  const errors: string[] = [];
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
    errors.push(String(text));
    return true;
  });
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { code: await main(args), stderr: errors.join('') };
  } finally {
    stderr.mockRestore();
    stdout.mockRestore();
  }
}

async function file(name: string, json: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(json));
  return path;
}

const scenario = {
  name: 'cli',
  durationS: 300,
  agents: 3,
  mix: { 'm2m-agent': 1 },
  behaviour: { toolCallsPerSession: { min: 1, max: 2 }, thinkTimeS: { min: 5, max: 10 } },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'simulate-'));
  broken = await serveBrokenAs();
});

afterAll(async () => {
  await broken.close();
  await rm(dir, { recursive: true, force: true });
});

describe('mcp-auth-conformance simulate', () => {
  it('exits 2 with a one-line reason naming the field of a bad scenario', async () => {
    const path = await file('bad.json', { ...scenario, faults: [{ kind: 'idp-outage', startS: 50, endS: 10 }] });
    const { code, stderr } = await cli(['simulate', '--scenario', path]);
    expect(code).toBe(2);
    expect(stderr).toBe('error: faults.0.endS: must be ≥ startS\n');
  });

  it('exits 2 without --scenario, for a missing file, and for a bad --agents', async () => {
    expect((await cli(['simulate'])).code).toBe(2);
    expect((await cli(['simulate', '--scenario', join(dir, 'absent.json')])).stderr).toMatch(/^error: cannot read/);
    const path = await file('ok.json', scenario);
    expect((await cli(['simulate', '--scenario', path, '--agents', 'many'])).code).toBe(2);
    expect((await cli(['simulate', '--scenario', path, '--concurrency', '0'])).code).toBe(2);
  });

  it('exits 0 when every invariant holds, and writes simulation.json with the overrides applied', async () => {
    const path = await file('ok.json', scenario);
    const out = join(dir, 'ok-report');
    const overrides = ['--agents', '2', '--duration', '200', '--concurrency', '1'];
    const { code } = await cli(['simulate', '--scenario', path, ...overrides, '--out', out]);
    expect(code).toBe(0);
    const result = JSON.parse(await readFile(join(out, 'simulation.json'), 'utf8')) as SimulationResult;
    expect(result).toMatchObject({ agents: 2, durationS: 200, maxConcurrentActors: 1, verdict: 'PASS' });
    expect(result.target.kind).toBe('embedded');
  });

  it('exits 1 when a loopback target answers 5xx, and skips the invariants that need the reference internals', async () => {
    const target = await file('target.json', {
      name: 'broken',
      issuer: broken.origin,
      resource: `${broken.origin}/mcp`,
      allowInsecureHttp: true,
      clients: { m2m: { client_id: 'm2m', client_secret: 'secret' } },
    });
    const path = await file('m2m.json', scenario);
    const out = join(dir, 'target-report');
    const { code } = await cli(['simulate', '--scenario', path, '--target', target, '--out', out]);
    expect(code).toBe(1);
    const result = JSON.parse(await readFile(join(out, 'simulation.json'), 'utf8')) as SimulationResult;
    const no5xx = result.invariants.find((figures) => figures.invariant === 'no-5xx')!;
    expect(no5xx.violations[0]).toMatchObject({
      actor: expect.stringMatching(/^m2m-agent-\d$/),
      message: expect.stringMatching(/answered 500/),
    });
    const skipped = result.invariants.find((figures) => figures.invariant === 'no-lost-consent')!;
    expect(skipped.description).toMatch(/skipped/);
    expect(result.totals.requests).toBeLessThanOrEqual(5000);
  });

  it('exits 2 for a target that is not on loopback', async () => {
    const target = await file('remote.json', {
      name: 'remote',
      issuer: 'https://as.example.com',
      resource: 'https://as.example.com/mcp',
      clients: { m2m: { client_id: 'm2m', client_secret: 'secret' } },
    });
    const path = await file('m2m.json', scenario);
    const { code, stderr } = await cli(['simulate', '--scenario', path, '--target', target]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/loopback only/);
  });
});
