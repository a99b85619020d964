import type { CheckResult, RunResult, SpecVersion, Status } from '../harness/results.ts';
import { describeExchange } from './format.ts';
import { requirementUrl } from './spec-references.ts';

/** The verdicts of the official `@modelcontextprotocol/conformance` suite. */
export type OfficialStatus = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO';

export const OFFICIAL_STATUS: Record<Status, OfficialStatus> = {
  PASS: 'SUCCESS',
  FAIL: 'FAILURE',
  WARN: 'WARNING',
  SKIP: 'SKIPPED',
  INFO: 'INFO',
};

export interface OfficialCheck {
  id: string;
  name: string;
  description: string;
  status: OfficialStatus;
  timestamp: string;
  specReferences: { id: string; url?: string }[];
  details: {
    suite: string;
    level: CheckResult['level'];
    message: string;
    exchanges: string[];
  };
  errorMessage?: string;
}

/** `checks.json`: the run as the official suite's `ConformanceCheck[]`, so its tooling can read our results. */
export function toOfficialChecks(result: RunResult): OfficialCheck[] {
  return result.checks.map((check) => toOfficialCheck(check, result));
}

function toOfficialCheck(check: CheckResult, run: RunResult): OfficialCheck {
  const status = OFFICIAL_STATUS[check.status];
  return {
    id: check.id,
    name: check.title,
    description: check.description ?? check.title,
    status,
    timestamp: check.evidence[0]?.startedAt ?? run.startedAt,
    specReferences: check.requirements.map((id) => specReference(id, run.spec)),
    details: {
      suite: check.suite,
      level: check.level,
      message: check.message,
      exchanges: check.evidence.map(describeExchange),
    },
    ...(status === 'FAILURE' || status === 'WARNING' ? { errorMessage: check.message } : {}),
  };
}

function specReference(id: string, spec: SpecVersion): { id: string; url?: string } {
  const url = requirementUrl(id, spec);
  return url ? { id, url } : { id };
}

export function renderChecksJson(result: RunResult): string {
  return `${JSON.stringify(toOfficialChecks(result), null, 2)}\n`;
}
