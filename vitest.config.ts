import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', '**/*.test.ts'],
    exclude: ['node_modules/**', 'conformance-report/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The mock MCP clients are bundled once, so the client-mode tests start them quickly.
    globalSetup: ['test/support/client-bundles.ts'],
    pool: 'forks',
    // The slowest files mostly wait (real browsers, real CIBA poll intervals): run them beside the CPU-bound ones.
    maxWorkers: 3,
  },
});
