import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeSimulationReports } from './index.ts';
import { sampleSimulationResult } from './sample.ts';

let directory: string | undefined;

afterEach(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
  directory = undefined;
});

describe('writeSimulationReports', () => {
  it('writes simulation.json, simulation.html and simulation.md into a new folder and returns their paths', async () => {
    directory = await mkdtemp(join(tmpdir(), 'simulation-report-'));
    const outDir = join(directory, 'nested', 'out');
    const result = sampleSimulationResult();
    const paths = await writeSimulationReports(result, outDir);
    expect(paths).toEqual({
      json: join(outDir, 'simulation.json'),
      html: join(outDir, 'simulation.html'),
      markdown: join(outDir, 'simulation.md'),
    });
    expect(JSON.parse(await readFile(paths.json, 'utf8'))).toEqual(result);
    const html = await readFile(paths.html, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('MCP authorization simulation: idp-outage');
    expect(await readFile(paths.markdown, 'utf8')).toMatch(/^# MCP authorization simulation: idp-outage — FAIL/);
  });
});
