import { BlockedError, type Check, CheckFailure, CheckSkipped, levelFor } from './check.ts';
import { assertNeeds, createContext } from './context.ts';
import { collectExchanges, NetworkError } from './network/network.ts';
import type { RecordedExchange } from './network/types.ts';
import type { CheckResult, Level, Status } from './results.ts';
import type { Session } from './session.ts';

/** A check that has not settled after this long FAILs (a hostile target must not hang the run). */
export const CHECK_TIMEOUT_MS = 60_000;

/** Runs checks one after another; each gets exactly one verdict, with the evidence recorded while it ran. */
export async function runChecks(
  checks: readonly Check[],
  session: Session,
  onResult?: (result: CheckResult, index: number) => void,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const [index, check] of checks.entries()) {
    const result = await runCheck(check, session);
    results.push(result);
    onResult?.(result, index);
  }
  return results;
}

export async function runCheck(check: Check, session: Session): Promise<CheckResult> {
  const level = levelFor(check, session.spec);
  const evidence: RecordedExchange[] = [];
  const started = performance.now();
  let status: Status;
  let message: string;
  // A check that moves the clock (expiry checks) must not expire what later checks share: time is restored after it.
  const clockBefore = session.sut.clock?.now();
  // Shared steps the check relied on: their exchanges are part of its evidence.
  const stepsUsed = new Set<string>();
  try {
    const ctx = createContext(session);
    const observed = await collectExchanges(evidence, () =>
      withDeadline(
        (async () => {
          await assertNeeds(ctx, check.needs);
          return session.usingSteps(stepsUsed, () => check.run(ctx));
        })(),
        CHECK_TIMEOUT_MS,
      ),
    );
    status = level === 'INFO' ? 'INFO' : 'PASS';
    message = observed || 'observed as required';
  } catch (error) {
    ({ status, message } = verdictOf(error, level));
    if (error instanceof BlockedError) stepsUsed.add(error.step);
    if (status === 'FAIL' || status === 'WARN') message = `${check.requirements.join(', ')}: ${message}`;
  } finally {
    if (clockBefore !== undefined) session.sut.clock?.set(clockBefore);
  }
  evidence.unshift(...session.evidenceOf(stepsUsed));
  return {
    id: check.id,
    suite: check.suite,
    title: check.title,
    ...(check.description ? { description: check.description } : {}),
    requirements: [...check.requirements],
    level,
    status,
    message,
    evidence,
    durationMs: Math.round(performance.now() - started),
  };
}

function verdictOf(error: unknown, level: Level): { status: Status; message: string } {
  if (error instanceof CheckSkipped) return { status: 'SKIP', message: error.reason };
  if (error instanceof CheckFailure) return { status: violationStatus(level), message: error.message };
  if (error instanceof BlockedError) return { status: 'FAIL', message: error.message };
  if (error instanceof NetworkError) return { status: 'FAIL', message: `network: ${error.message}` };
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { status: 'FAIL', message: `the check could not complete: ${text}` };
}

function violationStatus(level: Level): Status {
  if (level === 'MUST') return 'FAIL';
  if (level === 'SHOULD') return 'WARN';
  return 'INFO';
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CheckFailure(`no verdict within ${ms / 1000} s (the target stopped answering)`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
