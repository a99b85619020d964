/** Screen input: only declared fields enter `form.*`, each checked against its declaration. */

import type { FormField } from './types.ts';

const MAX_FIELD_LENGTH = 2048;
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface ScreenInput {
  values: Record<string, string>;
  errors: string[];
}

/** Undeclared fields are dropped, so a user cannot plant form.externalId through a screen that did not ask for it. */
export function readScreenInput(fields: FormField[], submitted: Record<string, unknown>): ScreenInput {
  const values: Record<string, string> = {};
  const errors: string[] = [];
  for (const field of fields) {
    const raw = Object.hasOwn(submitted, field.name) ? submitted[field.name] : undefined;
    const value = typeof raw === 'string' ? raw : '';
    const problem = fieldProblem(field, value);
    if (problem) errors.push(problem);
    else if (value !== '') values[field.name] = value;
  }
  return { values, errors };
}

function fieldProblem(field: FormField, value: string): string | undefined {
  if (value === '') return field.required ? `${field.name} is required` : undefined;
  if (value.length > MAX_FIELD_LENGTH) return `${field.name} is longer than ${MAX_FIELD_LENGTH} characters`;
  if (field.type === 'email' && !EMAIL_SHAPE.test(value)) return `${field.name} is not an email address`;
  return undefined;
}
