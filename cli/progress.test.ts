import { describe, expect, it } from 'vitest';
import { sampleCheck, sampleRun } from '../reports/sample-run.ts';
import { ProgressDisplay, renderSummary } from './progress.ts';
import { alignColumns } from './table.ts';

function recorder(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: { isTTY, columns: 80, write: (text: string) => chunks.push(text) }, chunks };
}

const target = { name: 'reference', resource: 'https://mcp.reference.test/mcp' };

describe('ProgressDisplay', () => {
  it('prints one line per check when the output is not a terminal', () => {
    const { stream, chunks } = recorder(false);
    const display = new ProgressDisplay(stream);
    display.onProgress({ type: 'start', total: 2, target, spec: '2025-11-25' });
    display.onProgress({ type: 'check', index: 0, total: 2, result: sampleCheck({ durationMs: 12 }) });
    display.finish();
    expect(chunks).toEqual([
      'Running 2 checks against reference (https://mcp.reference.test/mcp), spec 2025-11-25\n',
      'PASS  pkce.rejects-plain  (12 ms)\n',
    ]);
  });

  it('rewrites a single line on a terminal and clears it at the end', () => {
    const { stream, chunks } = recorder(true);
    const display = new ProgressDisplay(stream);
    display.onProgress({ type: 'check', index: 11, total: 64, result: sampleCheck({ status: 'FAIL' }) });
    display.finish();
    expect(chunks).toEqual(['\r\x1b[2K[12/64] pkce.rejects-plain… FAIL', '\r\x1b[2K']);
  });
});

describe('renderSummary', () => {
  it('counts per suite, totals, and lists failures with the first message line', () => {
    const summary = renderSummary(sampleRun());
    const lines = summary.split('\n');
    expect(lines).toContain('Suite         PASS  FAIL  WARN  SKIP  INFO  Total');
    expect(lines).toContain('pkce             1     1     0     0     0      2');
    expect(lines).toContain('Total            1     1     1     1     1      5');
    expect(summary).toContain('Wall time: 1.23 s');
    expect(lines).toContain(
      '  FAIL  pkce.rejects-missing-challenge  AS-PKCE-REQUIRED: an authorization request without code_challenge was accepted.',
    );
  });
});

describe('alignColumns', () => {
  it('pads text left-aligned and numbers right-aligned', () => {
    expect(
      alignColumns(
        [
          ['a', '1'],
          ['bbb', '22'],
        ],
        [false, true],
      ),
    ).toEqual(['a     1', 'bbb  22']);
  });
});
