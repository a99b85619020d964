import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from './scenario.ts';

const SCENARIOS = join(import.meta.dirname, '../../simulation/scenarios');
const minimal = { name: 'tiny', durationS: 60, agents: 2, mix: { 'm2m-agent': 1 } };

function failure(json: unknown): string {
  try {
    parseScenario(json);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message;
  }
  throw new Error('the scenario was accepted');
}

describe('scenario files', () => {
  it.each(readdirSync(SCENARIOS).filter((file) => file.endsWith('.json')))('example %s is valid', (file) => {
    const scenario = parseScenario(JSON.parse(readFileSync(join(SCENARIOS, file), 'utf8')));
    expect(scenario.name).toBe(file.replace('.json', ''));
  });

  it('fills defaults for behaviour, arrival, skew and faults', () => {
    const scenario = parseScenario(minimal);
    expect(scenario.arrival).toEqual({ kind: 'all-at-once' });
    expect(scenario.behaviour.sessions).toBe(1);
    expect(scenario.clockSkew).toEqual({ distribution: 'none' });
    expect(scenario.faults).toEqual([]);
    expect(scenario.behaviour.clientIdentity).toEqual({ dcr: 0.6, cimd: 0.3, preRegistered: 0.1 });
    expect(parseScenario({ ...minimal, behaviour: { clientIdentity: { cimd: 1 } } }).behaviour.clientIdentity).toEqual({
      dcr: 0,
      cimd: 1,
      preRegistered: 0,
    });
  });

  it('names the offending field', () => {
    expect(failure({ ...minimal, agents: 0 })).toMatch(/^agents: /);
    expect(failure({ ...minimal, colour: 'red' })).toBe('colour: unknown field');
    expect(failure({ ...minimal, mix: { 'm2m-agent': 0 } })).toMatch(/^mix: at least one actor kind/);
    expect(failure({ ...minimal, mix: { robot: 1 } })).toMatch(/^mix/);
    expect(failure({ ...minimal, behaviour: { thinkTimeS: { min: 9, max: 1 } } })).toBe(
      'behaviour.thinkTimeS.max: max must be ≥ min',
    );
    expect(failure({ ...minimal, faults: [{ kind: 'idp-outage', startS: 30, endS: 10 }] })).toBe(
      'faults.0.endS: must be ≥ startS',
    );
    expect(failure({ ...minimal, faults: [{ kind: 'meteor', startS: 1 }] })).toMatch(/^faults\.0\.kind: /);
    expect(failure({ ...minimal, faults: [{ kind: 'dropped-connections', startS: 1, rate: 2 }] })).toMatch(
      /^faults\.0\.rate: /,
    );
    expect(failure({ ...minimal, arrival: { kind: 'rate' } })).toMatch(/^arrival\.perSecond: /);
    expect(failure({ ...minimal, behaviour: { clientIdentity: { dcr: 0 } } })).toMatch(
      /^behaviour\.clientIdentity: give at least one/,
    );
    expect(failure({ ...minimal, behaviour: { clientIdentity: { dcr: 1, oauth: 1 } } })).toMatch(
      /^behaviour\.clientIdentity/,
    );
    expect(failure([])).toMatch(/^\(root\): /);
  });
});
