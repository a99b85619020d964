import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SimulationResult } from '../../harness/simulation/types.ts';
import { renderSimulationHtml } from './html.ts';
import { renderSimulationMarkdown } from './markdown.ts';

export { renderSimulationHtml } from './html.ts';
export { renderSimulationMarkdown } from './markdown.ts';
export type { SimulationProgress } from './progress.ts';
export { createSimulationProgress } from './progress.ts';

/** `simulation.json`: the result exactly as the engine produced it (numbers that are not finite become null). */
export function renderSimulationJson(result: SimulationResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/**
 * Writes `simulation.json`, `simulation.html` and `simulation.md` (for CI job summaries and pull requests) into
 * `outDir` (created if needed); returns their absolute paths.
 */
export async function writeSimulationReports(
  result: SimulationResult,
  outDir: string,
): Promise<{ json: string; html: string; markdown: string }> {
  const directory = resolve(outDir);
  await mkdir(directory, { recursive: true });
  const json = join(directory, 'simulation.json');
  const html = join(directory, 'simulation.html');
  const markdown = join(directory, 'simulation.md');
  await Promise.all([
    writeFile(json, renderSimulationJson(result), 'utf8'),
    writeFile(html, renderSimulationHtml(result), 'utf8'),
    writeFile(markdown, renderSimulationMarkdown(result), 'utf8'),
  ]);
  return { json, html, markdown };
}
