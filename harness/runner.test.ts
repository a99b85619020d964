import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Check, CheckFailure, check } from './check.ts';
import { embeddedSystemUnderTest } from './embedded.ts';
import { selectChecks } from './registry.ts';
import { runCheck } from './runner.ts';
import { Session, type SystemUnderTest } from './session.ts';

function probe(overrides: Partial<Parameters<typeof check>[0]>): Check {
  return check({
    id: 'probe.case',
    title: 'probe',
    requirements: ['OA21-PKCE-ENFORCE'],
    level: 'MUST',
    run: async () => 'observed',
    ...overrides,
  });
}

describe('runCheck verdicts', () => {
  let sut: SystemUnderTest;
  const session = () => new Session(sut, '2025-11-25', 1);

  beforeAll(async () => {
    sut = await embeddedSystemUnderTest();
  });
  afterAll(() => sut.close());

  it('PASS carries what the check observed', async () => {
    expect(await runCheck(probe({}), session())).toMatchObject({ status: 'PASS', message: 'observed' });
  });

  it('a violation FAILs a MUST check and WARNs a SHOULD check, the message led by the requirement IDs', async () => {
    const failing = async () => {
      throw new CheckFailure('what happened');
    };
    expect(await runCheck(probe({ run: failing }), session())).toMatchObject({
      status: 'FAIL',
      message: 'OA21-PKCE-ENFORCE: what happened',
    });
    expect(await runCheck(probe({ run: failing, level: 'SHOULD' }), session())).toMatchObject({ status: 'WARN' });
    const perSpec = probe({ run: failing, levelBySpec: { '2025-11-25': 'SHOULD' } });
    expect(await runCheck(perSpec, session())).toMatchObject({ status: 'WARN', level: 'SHOULD' });
  });

  it('SKIPs with the reason, and an unmet need skips before the check runs', async () => {
    const skipping = probe({ run: async (ctx) => ctx.skip('not offered') });
    expect(await runCheck(skipping, session())).toMatchObject({ status: 'SKIP', message: 'not offered' });
    expect(sut.target.scopes?.elevated).toBeDefined();
    const noAlternate = new Session(
      { ...sut, target: { ...sut.target, alternateResource: undefined } },
      '2025-11-25',
      1,
    );
    const needy = probe({ needs: ['alternate-resource'], run: async () => 'never' });
    expect(await runCheck(needy, noAlternate)).toMatchObject({ status: 'SKIP' });
  });

  it('an exception is a FAIL with its message, never a pass', async () => {
    const broken = probe({
      run: async () => {
        throw new TypeError('boom');
      },
    });
    expect(await runCheck(broken, session())).toMatchObject({
      status: 'FAIL',
      message: 'OA21-PKCE-ENFORCE: the check could not complete: TypeError: boom',
    });
  });

  it('a failed shared step blocks its dependants as FAIL, with the step evidence attached', async () => {
    const shared = session();
    const failingStep = () =>
      shared.step('token discovery', async () => {
        await shared.sut.network.fetch('https://as.reference.test/nowhere');
        throw new CheckFailure('no such endpoint');
      });
    const dependant = probe({ level: 'SHOULD', run: async () => `${await failingStep()}` });
    const result = await runCheck(dependant, shared);
    expect(result).toMatchObject({ status: 'FAIL' });
    expect(result.message).toContain('blocked by token discovery: no such endpoint');
    expect(result.evidence[0]?.request.url).toBe('https://as.reference.test/nowhere');
  });

  it('gives every check the evidence of the shared steps it relied on, even when an earlier check ran them', async () => {
    const shared = session();
    const usesChallenge = probe({
      run: async (ctx) => String((await ctx.discovery.unauthenticated()).reply.status),
    });
    const first = await runCheck(usesChallenge, shared);
    const second = await runCheck(usesChallenge, shared);
    for (const result of [first, second]) {
      expect(result.evidence.map((exchange) => exchange.request.url)).toEqual(['https://mcp.reference.test/mcp']);
    }
  });

  it('lets time pass on a target whose clock it does not control only within expiryWaitSeconds', async () => {
    const realTime = (expiryWaitSeconds: number) =>
      new Session({ ...sut, clock: undefined, target: { ...sut.target, expiryWaitSeconds } }, '2025-11-25', 1);
    const waits = probe({ run: async (ctx) => `${await ctx.passTime(0.05)}` });
    expect(await runCheck(waits, realTime(0))).toMatchObject({ status: 'SKIP' });
    expect((await runCheck(waits, realTime(0))).message).toMatch(/raise "expiryWaitSeconds"/);
    expect(await runCheck(waits, realTime(1))).toMatchObject({ status: 'PASS' });
  });

  it('restores the clock after a check that moved it', async () => {
    const before = sut.clock!.now();
    await runCheck(probe({ run: async (ctx) => `${ctx.clock!.advance(3_600_000)}` }), session());
    expect(sut.clock!.now()).toBe(before);
  });
});

describe('selectChecks', () => {
  it('keeps only the checks of the spec revision', () => {
    const older = selectChecks({ spec: '2025-06-18' }).map((entry) => entry.id);
    const newest = selectChecks({ spec: '2026-07-28' }).map((entry) => entry.id);
    expect(newest).toContain('discovery.prm-no-offline-access');
    expect(older).not.toContain('discovery.prm-no-offline-access');
  });

  it('refuses an unknown suite by name', () => {
    expect(() => selectChecks({ suites: ['nope'], spec: '2025-11-25' })).toThrow(/unknown suite "nope"/);
  });
});
