/** Time source injected everywhere expiry matters, so expiry can be tested instantly in memory. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: `advance(11 * 60_000)` makes a 10-minute code expire at once. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: number = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    this.#now += ms;
  }

  set(ms: number): void {
    this.#now = ms;
  }
}

/** Whole seconds since the epoch, as JWT `iat`/`exp` use. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
