import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allChecks } from '../harness/registry.ts';
import { ADDED_REQUIREMENTS } from '../suites/requirements.ts';

/**
 * The requirement IDs of the shared catalogue (../shared beside the project, as CI has it). A clone on its own uses
 * the committed snapshot suites/catalogue-ids.txt, which the first test keeps equal to the catalogue wherever the
 * catalogue is present.
 */
const CATALOGUE = fileURLToPath(new URL('../../shared/reference/requirements-catalogue.md', import.meta.url));
const SNAPSHOT = fileURLToPath(new URL('../suites/catalogue-ids.txt', import.meta.url));

const snapshotIds = new Set(readFileSync(SNAPSHOT, 'utf8').split('\n').filter(Boolean));
const sharedIds = existsSync(CATALOGUE)
  ? new Set([...readFileSync(CATALOGUE, 'utf8').matchAll(/^\| ([A-Z0-9][A-Z0-9.-]+) \|/gm)].map((match) => match[1]!))
  : undefined;
const catalogueIds = sharedIds ?? snapshotIds;

describe('requirement IDs', () => {
  it.runIf(sharedIds)('snapshot suites/catalogue-ids.txt lists exactly the catalogue IDs', () => {
    expect([...snapshotIds].sort()).toEqual([...(sharedIds ?? [])].sort());
  });

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
