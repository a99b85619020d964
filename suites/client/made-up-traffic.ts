import type { ClientProcessOutcome } from '../../harness/client-mode/process.ts';
import { createTrafficRecorder, type ScenarioServer } from '../../harness/client-mode/recorder.ts';
import type { ScenarioTraffic } from '../../harness/client-mode/scenario.ts';

/** The origins of a made-up run, for unit tests of the checks. */
export const MADE_UP_ORIGINS = {
  mcpUrl: 'http://127.0.0.1:8/mcp',
  issuer: 'http://127.0.0.1:9',
  foreignOrigin: 'http://127.0.0.1:7',
} as const;

/** A client that ended by itself with exit code 0 and printed nothing. */
export const EXITED_CLEANLY: ClientProcessOutcome = {
  exitCode: 0,
  signal: null,
  timedOut: false,
  stdout: { text: '', droppedBytes: 0 },
  stderr: { text: '', droppedBytes: 0 },
  durationMs: 0,
};

/** One request of a made-up run and the answer it got. */
export interface MadeUpExchange {
  server: ScenarioServer;
  request: Request;
  answer: Response;
}

/** The traffic of `exchanges`, recorded in order as the scenario servers record a client's requests. */
export async function madeUpTraffic(exchanges: readonly MadeUpExchange[]): Promise<ScenarioTraffic> {
  const recorder = createTrafficRecorder();
  for (const { server, request, answer } of exchanges) await recorder.wrap(server, async () => answer)(request);
  return { ...MADE_UP_ORIGINS, requests: recorder.requests, process: EXITED_CLEANLY };
}
