import { describe, expect, it } from 'vitest';
import type { SimulationProgress } from './progress.ts';
import { createSimulationProgress, progressLine } from './progress.ts';

function recorder(isTTY: boolean, columns?: number) {
  const chunks: string[] = [];
  return { stream: { isTTY, columns, write: (text: string) => chunks.push(text) }, chunks };
}

function snapshot(simulatedS: number, overrides: Partial<SimulationProgress> = {}): SimulationProgress {
  return {
    simulatedS,
    durationS: 100,
    activeActors: 5,
    started: simulatedS,
    completed: Math.floor(simulatedS / 2),
    failures: 0,
    requests: simulatedS * 120,
    ...overrides,
  };
}

/** A clock the test moves by hand. */
function manualClock() {
  let nowMs = 0;
  return { now: () => nowMs, advance: (ms: number) => (nowMs += ms) };
}

describe('progressLine', () => {
  it('shows the share of simulated time and the running counts', () => {
    expect(progressLine(snapshot(42, { requests: 4512, failures: 3 }))).toBe(
      '[ 42%] 42 s / 100 s simulated · 5 active · 42 started · 21 completed · 3 failures · 4,512 requests',
    );
  });

  it('treats a run without duration as complete, never NaN', () => {
    const line = progressLine(snapshot(0, { durationS: 0 }));
    expect(line).toMatch(/^\[100%\] 0 s \/ 0 s simulated/);
    expect(line).not.toMatch(/NaN|Infinity/);
  });
});

describe('createSimulationProgress on a terminal', () => {
  it('rewrites one line in place, at most once per 100 ms, and keeps the last figures at the end', () => {
    const { stream, chunks } = recorder(true);
    const clock = manualClock();
    const progress = createSimulationProgress(stream, { now: clock.now });
    progress.update(snapshot(1));
    clock.advance(50);
    progress.update(snapshot(2));
    clock.advance(50);
    progress.update(snapshot(3));
    clock.advance(10);
    progress.update(snapshot(4));
    progress.done();
    progress.update(snapshot(5));
    progress.done();
    expect(chunks).toEqual([
      `\r\x1b[2K${progressLine(snapshot(1))}`,
      `\r\x1b[2K${progressLine(snapshot(3))}`,
      `\r\x1b[2K${progressLine(snapshot(4))}\n`,
    ]);
  });

  it('shortens the line to the terminal width', () => {
    const { stream, chunks } = recorder(true, 40);
    const progress = createSimulationProgress(stream, { now: () => 0 });
    progress.update(snapshot(10));
    expect(chunks[0]).toBe(`\r\x1b[2K${progressLine(snapshot(10)).slice(0, 38)}…`);
  });

  it('writes nothing when no progress was reported', () => {
    const { stream, chunks } = recorder(true);
    createSimulationProgress(stream).done();
    expect(chunks).toEqual([]);
  });
});

describe('createSimulationProgress in a log', () => {
  it('prints a line each tenth of the simulated duration, without control characters', () => {
    const { stream, chunks } = recorder(false);
    const progress = createSimulationProgress(stream);
    for (let second = 0; second <= 100; second += 1) progress.update(snapshot(second));
    progress.done();
    expect(chunks).toHaveLength(11);
    expect(chunks.map((chunk) => chunk.slice(0, 6))).toEqual([
      '[  0%]',
      '[ 10%]',
      '[ 20%]',
      '[ 30%]',
      '[ 40%]',
      '[ 50%]',
      '[ 60%]',
      '[ 70%]',
      '[ 80%]',
      '[ 90%]',
      '[100%]',
    ]);
    expect(chunks.every((chunk) => chunk.endsWith('\n') && !chunk.includes('\r'))).toBe(true);
  });

  it('prints the final figures at the end when they were not printed yet', () => {
    const { stream, chunks } = recorder(false);
    const progress = createSimulationProgress(stream);
    progress.update(snapshot(3));
    progress.update(snapshot(55));
    progress.update(snapshot(57));
    progress.done();
    expect(chunks).toEqual([
      `${progressLine(snapshot(3))}\n`,
      `${progressLine(snapshot(55))}\n`,
      `${progressLine(snapshot(57))}\n`,
    ]);
  });
});

describe('createSimulationProgress with a Node stream', () => {
  it('accepts process.stderr and writes nothing until progress is reported', () => {
    const progress = createSimulationProgress(process.stderr);
    expect(typeof progress.update).toBe('function');
    expect(typeof progress.done).toBe('function');
  });
});
