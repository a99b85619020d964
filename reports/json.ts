import type { RecordedExchange } from '../harness/network/types.ts';
import type { CheckResult, RunResult } from '../harness/results.ts';

/** One exchange as `report.json` carries it: the request, and the response or the reason there was none. */
export interface ReportExchange {
  request: RecordedExchange['request'];
  response?: RecordedExchange['response'];
  error?: string;
}

export interface ReportCheck {
  id: string;
  suite: string;
  title: string;
  requirements: string[];
  level: CheckResult['level'];
  status: CheckResult['status'];
  message: string;
  evidence: ReportExchange[];
}

/** `report.json`, DESIGN.md §5: these fields, in this order. */
export interface ReportDocument {
  tool: RunResult['tool'];
  target: RunResult['target'];
  spec: RunResult['spec'];
  seed: number;
  startedAt: string;
  durationMs: number;
  summary: RunResult['summary'];
  checks: ReportCheck[];
}

export function toReportDocument(result: RunResult): ReportDocument {
  return {
    tool: { name: result.tool.name, version: result.tool.version },
    target: { name: result.target.name, resource: result.target.resource, issuer: result.target.issuer },
    spec: result.spec,
    seed: result.seed,
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    summary: {
      PASS: result.summary.PASS,
      FAIL: result.summary.FAIL,
      WARN: result.summary.WARN,
      SKIP: result.summary.SKIP,
      INFO: result.summary.INFO,
    },
    checks: result.checks.map(toReportCheck),
  };
}

function toReportCheck(check: CheckResult): ReportCheck {
  return {
    id: check.id,
    suite: check.suite,
    title: check.title,
    requirements: [...check.requirements],
    level: check.level,
    status: check.status,
    message: check.message,
    evidence: check.evidence.map(toReportExchange),
  };
}

function toReportExchange({ request, response, error }: RecordedExchange): ReportExchange {
  return {
    request: { method: request.method, url: request.url, headers: request.headers, body: request.body },
    ...(response ? { response: { status: response.status, headers: response.headers, body: response.body } } : {}),
    ...(error !== undefined ? { error } : {}),
  };
}

export function renderReportJson(result: RunResult): string {
  return `${JSON.stringify(toReportDocument(result), null, 2)}\n`;
}
