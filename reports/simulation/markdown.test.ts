import { describe, expect, it } from 'vitest';
import { renderSimulationMarkdown } from './markdown.ts';
import { emptySimulationResult, sampleSimulationResult } from './sample.ts';

describe('renderSimulationMarkdown', () => {
  it('summarises verdict, totals, invariants, faults and steps', () => {
    const markdown = renderSimulationMarkdown(sampleSimulationResult());
    expect(markdown).toContain('# MCP authorization simulation: idp-outage — FAIL');
    expect(markdown).toContain('- **Tokens:** 2,415 issued, 640 refreshes (61.9 / min)');
    expect(markdown).toContain(
      '| FAIL | no-token-after-revocation | 410 | 2 | at 2 min 13.5 s, user-0007: revoked token accepted |',
    );
    expect(markdown).toContain('| 7 min – 8 min | 99.0 % → 93.0 % → 90.0 % | did not recover |');
    expect(markdown).toContain('| interactive-user/authorize | 897 | 64.1 % | 14 ms / 42 ms / 70 ms |');
  });

  it('keeps hostile names from becoming markup or breaking table rows', () => {
    const markdown = renderSimulationMarkdown(
      sampleSimulationResult({ scenario: { name: '<script>x</script>' }, target: { name: 'a|b', kind: 'embedded' } }),
    );
    expect(markdown).not.toContain('<script>');
    expect(markdown).toContain('\\<script\\>x\\</script\\>');
    expect(markdown).toContain('a\\|b');
  });

  it('renders an empty run as just the header', () => {
    const markdown = renderSimulationMarkdown(emptySimulationResult());
    expect(markdown).not.toMatch(/NaN|Infinity|##/);
    expect(markdown).toContain('- **Journeys:** 0 started, 0 completed; 0 requests');
  });
});
