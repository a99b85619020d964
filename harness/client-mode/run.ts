import { type CheckResult, DEFAULT_SPEC, type RunResult, type SpecVersion, summarize } from '../results.ts';
import { type ClientProcessOutcome, runClientProcess } from './process.ts';
import type { ClientCheck, ClientScenario, ClientVerdict, ScenarioSetup, ScenarioTraffic } from './scenario.ts';
import { startScenarioServers } from './servers.ts';

export interface ClientRunOptions {
  /** Shell command line of the client; the MCP server URL is appended. */
  command: string;
  scenarios: readonly ClientScenario[];
  spec?: SpecVersion;
  /** Per scenario; default 30 s. */
  timeoutMs?: number;
  onScenario?(scenario: ClientScenario, outcome: ClientProcessOutcome): void;
}

/** One scenario's verdicts together with what the client process did. */
export interface ScenarioRun {
  scenario: ClientScenario;
  process: ClientProcessOutcome;
  results: CheckResult[];
}

export interface ClientRunResult {
  result: RunResult;
  scenarios: ScenarioRun[];
}

/** Runs the client once per scenario against freshly served reference servers and judges the recorded traffic. */
export async function runClientConformance(options: ClientRunOptions): Promise<ClientRunResult> {
  const startedAt = new Date();
  const spec = options.spec ?? DEFAULT_SPEC;
  const scenarios: ScenarioRun[] = [];
  for (const scenario of options.scenarios) {
    const run = await runScenario(scenario, options, spec);
    options.onScenario?.(scenario, run.process);
    scenarios.push(run);
  }
  const checks = scenarios.flatMap((run) => run.results);
  return {
    scenarios,
    result: {
      tool: { name: 'mcp-auth-conformance', version: '0.1.0' },
      target: { name: `client: ${options.command}` },
      spec,
      seed: 0,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      summary: summarize(checks),
      checks,
    },
  };
}

async function runScenario(
  scenario: ClientScenario,
  options: ClientRunOptions,
  spec: SpecVersion,
): Promise<ScenarioRun> {
  const servers = await startScenarioServers(scenario.servers);
  try {
    const setup: ScenarioSetup = {
      mcpUrl: servers.mcpUrl,
      issuer: servers.issuer,
      foreignOrigin: servers.foreignOrigin,
      system: servers.system,
    };
    const process = await runClientProcess({
      command: options.command,
      mcpUrl: servers.mcpUrl,
      env: conformanceEnvironment(scenario, setup, spec),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    const traffic: ScenarioTraffic = {
      mcpUrl: setup.mcpUrl,
      issuer: setup.issuer,
      foreignOrigin: setup.foreignOrigin,
      requests: servers.recorder.requests,
      process,
    };
    return { scenario, process, results: scenario.checks.map((check) => judged(scenario, check, traffic)) };
  } finally {
    await servers.close();
  }
}

/** The official suite's contract: the scenario name, the protocol revision, and (when there is one) the context. */
function conformanceEnvironment(
  scenario: ClientScenario,
  setup: ScenarioSetup,
  spec: SpecVersion,
): Record<string, string> {
  const context = scenario.context?.(setup);
  return {
    MCP_CONFORMANCE_SCENARIO: scenario.name,
    MCP_CONFORMANCE_PROTOCOL_VERSION: spec,
    ...(context ? { MCP_CONFORMANCE_CONTEXT: JSON.stringify({ name: scenario.name, ...context }) } : {}),
  };
}

/** Reported as `client.<scenario>.<check>` so one check id is one verdict per run. */
export function scenarioCheckId(scenario: ClientScenario, check: ClientCheck): string {
  const scenarioPart = scenario.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  return `client.${scenarioPart}.${check.id.replace(/^client\./, '')}`;
}

function judged(scenario: ClientScenario, check: ClientCheck, traffic: ScenarioTraffic): CheckResult {
  const started = performance.now();
  const verdict = safeJudge(check, traffic);
  return {
    id: scenarioCheckId(scenario, check),
    suite: 'client',
    title: check.title,
    description: `${scenario.name}: ${scenario.description}`,
    requirements: check.requirements,
    level: check.level,
    status: statusOf(verdict, check),
    message: verdict.message,
    evidence: verdict.outcome === 'not-judged' ? [] : verdict.evidence.map((request) => request.evidence),
    durationMs: Math.round(performance.now() - started),
  };
}

/** A check that throws has found something it cannot judge: that is a FAIL with its message, never a pass. */
function safeJudge(check: ClientCheck, traffic: ScenarioTraffic): ClientVerdict {
  try {
    return check.judge(traffic);
  } catch (error) {
    return { outcome: 'violated', message: `the check failed: ${String(error)}`, evidence: [] };
  }
}

function statusOf(verdict: ClientVerdict, check: ClientCheck): CheckResult['status'] {
  if (verdict.outcome === 'observed') return 'PASS';
  if (verdict.outcome === 'not-judged') return 'SKIP';
  return check.level === 'MUST' ? 'FAIL' : 'WARN';
}
