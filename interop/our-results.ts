import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { STATUSES } from '../harness/results.ts';

const ExchangeSchema = z.object({
  request: z.object({ method: z.string(), url: z.string() }),
  response: z.object({ status: z.number(), body: z.string().optional() }).optional(),
});

/** The part of our `report.json` (DESIGN §5) the interop matrix reads. */
const OurCheckSchema = z.object({
  id: z.string(),
  requirements: z.array(z.string()),
  level: z.string(),
  status: z.enum(STATUSES),
  message: z.string(),
  evidence: z.array(ExchangeSchema),
});
export type OurCheck = z.infer<typeof OurCheckSchema>;

export async function readOurReport(file: string): Promise<OurCheck[]> {
  return z.object({ checks: z.array(OurCheckSchema) }).parse(JSON.parse(await readFile(file, 'utf8'))).checks;
}

/** Our verdict ids read `client.<scenario slug>.<check>`: `auth/basic-dcr` → `client.auth-basic-dcr.`. */
export function scenarioPrefix(scenario: string): string {
  return `client.${scenario.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.`;
}

export function checksOfScenario(checks: readonly OurCheck[], scenario: string): OurCheck[] {
  return checks.filter((check) => check.id.startsWith(scenarioPrefix(scenario)));
}

export const isProblem = (check: OurCheck): boolean => check.status === 'FAIL' || check.status === 'WARN';

/**
 * How a deliberately broken client fared: `caught` when a check citing one of the defect's requirements FAILs or
 * WARNs; `caught elsewhere` when only other checks do; `missed` when nothing does.
 */
export type BrokenOutcome = 'caught' | 'caught elsewhere' | 'missed';

export function judgeBroken(checks: readonly OurCheck[], requirements: readonly string[]): BrokenOutcome {
  const problems = checks.filter(isProblem);
  if (problems.some((check) => check.requirements.some((id) => requirements.includes(id)))) return 'caught';
  return problems.length > 0 ? 'caught elsewhere' : 'missed';
}

/** What a symptom table can match: the messages, the URLs and the start of every non-2xx answer. */
export function observedText(checks: readonly OurCheck[]): string {
  const parts = new Set<string>();
  for (const check of checks) {
    parts.add(check.message);
    for (const exchange of check.evidence) {
      parts.add(exchange.request.url);
      const response = exchange.response;
      if (response && response.status >= 300) parts.add((response.body ?? '').slice(0, 600));
    }
  }
  return [...parts].join('\n');
}
