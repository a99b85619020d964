import { type EmbeddedOptions, embeddedSystemUnderTest } from './embedded.ts';
import { externalSystemUnderTest, probeTarget } from './external.ts';
import { selectChecks } from './registry.ts';
import {
  type CheckResult,
  DEFAULT_SPEC,
  type RunResult,
  type RunTargetInfo,
  type SpecVersion,
  summarize,
} from './results.ts';
import { runChecks } from './runner.ts';
import { Session, type SystemUnderTest } from './session.ts';
import type { TargetFile } from './target.ts';

export const TOOL_VERSION = '0.1.0';

export interface RunOptions {
  /** Absent: the embedded reference system, in memory. */
  target?: TargetFile;
  /** Options of the embedded reference system (defects for negative tests, tenant issuer). */
  embedded?: EmbeddedOptions;
  suites?: string[];
  /** Only these check ids (within the chosen suites). */
  checks?: string[];
  spec?: SpecVersion;
  seed?: number;
  onProgress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { type: 'start'; total: number; target: RunTargetInfo; spec: SpecVersion }
  | { type: 'check'; index: number; total: number; result: CheckResult };

/** Runs the selected suites against a target (or the embedded reference system) and returns every verdict. */
export async function runConformance(options: RunOptions = {}): Promise<RunResult> {
  const spec = options.spec ?? DEFAULT_SPEC;
  const seed = options.seed ?? 1;
  const checks = selectChecks({
    suites: options.suites ?? options.target?.suites,
    ...(options.checks ? { ids: options.checks } : {}),
    spec,
  });
  const sut = await systemUnderTest(options);
  try {
    if (options.target) await probeTarget(sut);
    const target = targetInfo(sut.target);
    const startedAt = new Date();
    const started = performance.now();
    options.onProgress?.({ type: 'start', total: checks.length, target, spec });
    const session = new Session(sut, spec, seed);
    const results = await runChecks(checks, session, (result, index) =>
      options.onProgress?.({ type: 'check', index, total: checks.length, result }),
    );
    return {
      tool: { name: 'mcp-auth-conformance', version: TOOL_VERSION },
      target,
      spec,
      seed,
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(performance.now() - started),
      summary: summarize(results),
      checks: results,
    };
  } finally {
    await sut.close();
  }
}

function systemUnderTest(options: RunOptions): Promise<SystemUnderTest> {
  return options.target ? externalSystemUnderTest(options.target) : embeddedSystemUnderTest(options.embedded);
}

function targetInfo(target: TargetFile): RunTargetInfo {
  return {
    name: target.name,
    ...(target.resource ? { resource: target.resource } : {}),
    ...(target.issuer ? { issuer: target.issuer } : {}),
  };
}
