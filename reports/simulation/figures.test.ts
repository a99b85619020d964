import { describe, expect, it } from 'vitest';
import {
  errorsByType,
  formatCount,
  formatMs,
  formatRate,
  formatSimTime,
  invariantStatus,
  timelineEndS,
} from './figures.ts';
import { emptySimulationResult, sampleSimulationResult } from './sample.ts';
import { linearScale } from './svg.ts';

describe('formats', () => {
  it('formats simulated time in seconds, then minutes', () => {
    expect([0, 45, 119.96, 120, 133.5, 600, 3601].map(formatSimTime)).toEqual([
      '0 s',
      '45 s',
      '2 min',
      '2 min',
      '2 min 13.5 s',
      '10 min',
      '60 min 1 s',
    ]);
  });

  it('prints a dash for figures that are not finite', () => {
    for (const format of [formatSimTime, formatMs, formatRate, formatCount]) {
      expect(format(Number.NaN)).toBe('—');
      expect(format(Number.POSITIVE_INFINITY)).toBe('—');
    }
  });

  it('formats rates as percentages and latencies in ms', () => {
    expect(formatRate(0.975)).toBe('97.5 %');
    expect(formatMs(3.14)).toBe('3.1 ms');
    expect(formatMs(1234.5)).toBe('1235 ms');
    expect(formatCount(1234567)).toBe('1,234,567');
  });
});

describe('errorsByType', () => {
  it('sums each error type over all steps, most frequent first, and says where', () => {
    const errors = errorsByType(sampleSimulationResult().steps);
    expect(errors.map(({ type, count }) => [type, count])).toEqual([
      ['temporarily_unavailable', 350],
      ['invalid_grant', 25],
      ['network', 12],
      ['401', 9],
      ['timeout', 3],
      ['invalid_client', 2],
    ]);
    expect(errors[0]?.steps).toEqual([
      { step: 'interactive-user/authorize', count: 310 },
      { step: 'ciba-agent/backchannel-authorize', count: 40 },
    ]);
  });

  it('leaves out zero and non-finite counts', () => {
    const [step] = sampleSimulationResult().steps;
    expect(errorsByType([{ ...step!, errors: { none: 0, broken: Number.NaN } }])).toEqual([]);
  });
});

describe('invariantStatus', () => {
  it('is FAIL on a violation, SKIP when never checked, PASS otherwise', () => {
    expect(sampleSimulationResult().invariants.map(invariantStatus)).toEqual(['PASS', 'FAIL', 'SKIP']);
  });
});

describe('timelineEndS', () => {
  it('covers the run, its buckets and its faults, and is at least one second', () => {
    expect(timelineEndS(sampleSimulationResult())).toBe(600);
    expect(timelineEndS(sampleSimulationResult({ durationS: 500 }))).toBe(600);
    expect(timelineEndS(emptySimulationResult())).toBe(1);
  });
});

describe('linearScale', () => {
  it('rounds the domain up to a 1-2-5 tick and maps values into the range', () => {
    const scale = linearScale(370, 200, 0);
    expect(scale.ticks).toEqual([0, 100, 200, 300, 400]);
    expect(scale(0)).toBe(200);
    expect(scale(400)).toBe(0);
    expect(scale(1000)).toBe(0);
    expect(scale(Number.NaN)).toBe(200);
  });

  it('uses time steps for seconds and keeps an exact end', () => {
    expect(linearScale(600, 0, 600, { time: true, exact: true }).ticks).toEqual([0, 120, 240, 360, 480, 600]);
    expect(linearScale(90, 0, 1, { time: true }).ticks).toEqual([0, 30, 60, 90]);
  });

  it('never divides by zero', () => {
    const scale = linearScale(0, 0, 100);
    expect(scale.ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(scale(0)).toBe(0);
  });
});
