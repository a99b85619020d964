import { describe, expect, it } from 'vitest';
import { runConformance } from '../../harness/run.ts';
import { resourceServerSuite } from './index.ts';
import { withUppercaseSchemeAndHost } from './lab-claims.ts';

const SUITE = resourceServerSuite.name;

describe('the resource-server suite on the clean reference system', () => {
  it.each(['2025-06-18', '2025-11-25', '2026-07-28'] as const)('passes every check under %s', async (spec) => {
    const result = await runConformance({ suites: [SUITE], spec });
    const notPassed = result.checks.filter((check) => check.status !== 'PASS');
    expect(notPassed.map(({ id, status, message }) => ({ id, status, message }))).toEqual([]);
  });
});

describe('withUppercaseSchemeAndHost', () => {
  it('uppercases scheme and authority, not the path', () => {
    expect(withUppercaseSchemeAndHost('https://mcp.example.com:8443/Mcp/x?q=a')).toBe(
      'HTTPS://MCP.EXAMPLE.COM:8443/Mcp/x?q=a',
    );
  });
});
