import { readFile } from 'node:fs/promises';
import type { z } from 'zod';

/** How a JSON input file's reader says what went wrong: the errno code of an unreadable file, the parser's reason. */
export interface JsonFileFailures {
  unreadable(code: string): Error;
  notJson(reason: string): Error;
}

/** Reads and parses a JSON file (a target file, a scenario), failing with the caller's one-line errors. */
export async function readJsonFile(path: string, failures: JsonFileFailures): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw failures.unreadable((error as NodeJS.ErrnoException).code ?? 'unreadable');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw failures.notJson((error as Error).message);
  }
}

/**
 * The first problem zod found in a document, as one line: `field: message` (`(root)` for the document itself), an
 * unrecognised key as `field: ` followed by `unknownField`.
 */
export function firstIssueLine(error: z.ZodError, unknownField: string): string {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') return `${[...issue.path, issue.keys[0]].join('.')}: ${unknownField}`;
  return `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`;
}
