import { NetworkError } from '../harness/network/network.ts';

/** Bad command-line input that commander's own checks do not catch (e.g. an unknown suite). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes of DESIGN §3: 0 no FAIL, 1 at least one FAIL (or a stale baseline entry), 2 usage/target problems. */
export const EXIT = { ok: 0, failures: 1, setup: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The one line printed on stderr for an error that stops a command (bad input, bad target, unreachable target). */
export function describeSetupError(error: unknown): string {
  const message = oneLine(error instanceof Error ? error.message : String(error));
  return isNetworkError(error) ? `error: target unreachable: ${message}` : `error: ${message}`;
}

function isNetworkError(error: unknown): boolean {
  return error instanceof NetworkError || (error instanceof Error && error.name === 'NetworkError');
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ').trim();
}
