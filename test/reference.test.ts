import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SPEC_VERSIONS } from '../harness/results.ts';
import { runConformance } from '../harness/run.ts';
import { renderMarkdown } from '../reports/markdown.ts';
import { redact } from '../reports/redact.ts';

/** The embedded reference system is correct: every check PASSes or SKIPs with a reason, on every spec revision. */
describe('the embedded reference system', () => {
  it.each(SPEC_VERSIONS)('passes every check of spec %s', async (spec) => {
    const result = await runConformance({ spec });
    const problems = result.checks.filter((check) => check.status === 'FAIL' || check.status === 'WARN');
    expect(problems.map((check) => `${check.id}: ${check.message}`)).toEqual([]);
    expect(result.summary.PASS).toBeGreaterThan(50);
    for (const skipped of result.checks.filter((check) => check.status === 'SKIP')) {
      expect(skipped.message, skipped.id).not.toBe('');
    }
  });

  it('serves a tenant issuer with RFC 8414 path insertion', async () => {
    const result = await runConformance({ suites: ['discovery'], embedded: { tenant: 'acme' } });
    const byId = new Map(result.checks.map((check) => [check.id, check]));
    expect(byId.get('discovery.as-metadata-path-insertion')?.status).toBe('PASS');
    expect(result.summary.FAIL).toBe(0);
  });

  it('records evidence for the checks that pass', async () => {
    const result = await runConformance({ suites: ['discovery'] });
    const metadata = result.checks.find((check) => check.id === 'discovery.as-metadata-served');
    expect(metadata?.evidence[0]?.request.url).toBe('https://as.reference.test/.well-known/oauth-authorization-server');
    expect(metadata?.evidence[0]?.response?.status).toBe(200);
  });

  it.runIf(process.env.UPDATE_EXAMPLES === '1')('rewrites reports/examples/reference-system.md', async () => {
    const result = await runConformance({});
    await writeFile(
      new URL('../reports/examples/reference-system.md', import.meta.url),
      renderMarkdown(redact(result)),
    );
  });
});
