import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allChecks } from '../harness/registry.ts';
import { ADDED_REQUIREMENTS } from '../suites/requirements.ts';

const catalogue = readFileSync(
  fileURLToPath(new URL('../../shared/reference/requirements-catalogue.md', import.meta.url)),
  'utf8',
);
const catalogueIds = new Set([...catalogue.matchAll(/^\| ([A-Z0-9][A-Z0-9.-]+) \|/gm)].map((match) => match[1]));

describe('requirement IDs', () => {
  it('cited by checks exist in the catalogue (or are added, in its style, by the project)', () => {
    const unknown = allChecks().flatMap((check) =>
      check.requirements
        .filter((id) => !catalogueIds.has(id) && !(id in ADDED_REQUIREMENTS))
        .map((id) => `${check.id}: ${id}`),
    );
    expect(unknown).toEqual([]);
  });

  it('added by the project do not shadow catalogue IDs', () => {
    for (const id of Object.keys(ADDED_REQUIREMENTS)) expect(catalogueIds.has(id), id).toBe(false);
  });

  it('check ids are unique', () => {
    const ids = allChecks().map((check) => check.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
