import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RunResult } from '../harness/results.ts';
import { renderChecksJson } from './checks-json.ts';
import { renderHtml } from './html.ts';
import { renderReportJson } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { redact } from './redact.ts';

/** Every report file, by name, with the writer that renders it. */
export const REPORT_FILES: readonly { name: string; render: (result: RunResult) => string }[] = [
  { name: 'report.json', render: renderReportJson },
  { name: 'checks.json', render: renderChecksJson },
  { name: 'junit.xml', render: renderJunit },
  { name: 'summary.md', render: renderMarkdown },
  { name: 'report.html', render: renderHtml },
];

export interface WriteReportsOptions {
  /** Keep secrets in evidence as recorded (DESIGN §5 redacts them by default). */
  reveal?: boolean;
}

/** Writes all report files into `outDir` (created if needed) and returns their absolute paths. */
export async function writeReports(
  result: RunResult,
  outDir: string,
  options: WriteReportsOptions = {},
): Promise<string[]> {
  const directory = resolve(outDir);
  await mkdir(directory, { recursive: true });
  const redacted = redact(result, { reveal: options.reveal });
  return Promise.all(
    REPORT_FILES.map(async ({ name, render }) => {
      const path = join(directory, name);
      await writeFile(path, render(redacted), 'utf8');
      return path;
    }),
  );
}
