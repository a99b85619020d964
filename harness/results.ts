import type { RecordedExchange } from './network/types.ts';

export const SPEC_VERSIONS = ['2025-06-18', '2025-11-25', '2026-07-28'] as const;
export type SpecVersion = (typeof SPEC_VERSIONS)[number];
export const DEFAULT_SPEC: SpecVersion = '2025-11-25';

/** MUST/MUST NOT → FAIL on violation; SHOULD/SHOULD NOT/MAY → WARN; INFO checks only observe. */
export type Level = 'MUST' | 'SHOULD' | 'INFO';
export type Status = 'PASS' | 'FAIL' | 'WARN' | 'SKIP' | 'INFO';
export const STATUSES: readonly Status[] = ['PASS', 'FAIL', 'WARN', 'SKIP', 'INFO'];

/** One verdict of one check in one run. */
export interface CheckResult {
  id: string;
  suite: string;
  title: string;
  description?: string;
  requirements: string[];
  level: Level;
  status: Status;
  /** What happened, what was expected, how to fix (FAIL/WARN); what was observed (PASS); why (SKIP). */
  message: string;
  evidence: RecordedExchange[];
  durationMs: number;
}

export interface RunTargetInfo {
  name: string;
  resource?: string;
  issuer?: string;
}

/** Everything a report writer needs; `report.json` is this object, as DESIGN.md §5 fixes it. */
export interface RunResult {
  tool: { name: 'mcp-auth-conformance'; version: string };
  target: RunTargetInfo;
  spec: SpecVersion;
  seed: number;
  startedAt: string;
  durationMs: number;
  summary: Record<Status, number>;
  checks: CheckResult[];
}

export function summarize(checks: readonly CheckResult[]): Record<Status, number> {
  const summary: Record<Status, number> = { PASS: 0, FAIL: 0, WARN: 0, SKIP: 0, INFO: 0 };
  for (const result of checks) summary[result.status]++;
  return summary;
}
