/**
 * Figures aggregated online, as steps happen: nothing per request is kept, so memory stays flat however many agents
 * run. Latencies go into log-scaled histograms (about 2% resolution) from which percentiles are read.
 */
import type { ActorKind, Percentiles, StepFigures, TimeBucket } from './types.ts';

const HISTOGRAM_BASE = 1.02;
const HISTOGRAM_FLOOR_MS = 0.01;
const HISTOGRAM_SLOTS = 1200;

/** A latency histogram with logarithmic slots: constant memory, percentiles within the slot width. */
export class LatencyHistogram {
  readonly #slots = new Uint32Array(HISTOGRAM_SLOTS);
  #count = 0;
  #max = 0;

  add(ms: number): void {
    const slot = ms <= HISTOGRAM_FLOOR_MS ? 0 : Math.ceil(Math.log(ms / HISTOGRAM_FLOOR_MS) / Math.log(HISTOGRAM_BASE));
    this.#slots[Math.min(slot, HISTOGRAM_SLOTS - 1)]! += 1;
    this.#count += 1;
    if (ms > this.#max) this.#max = ms;
  }

  percentile(fraction: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.ceil(fraction * this.#count);
    let seen = 0;
    for (let slot = 0; slot < HISTOGRAM_SLOTS; slot++) {
      seen += this.#slots[slot]!;
      if (seen >= rank) return Math.min(round(HISTOGRAM_FLOOR_MS * HISTOGRAM_BASE ** slot), this.#max);
    }
    return this.#max;
  }

  summary(): Percentiles {
    return {
      count: this.#count,
      p50: this.percentile(0.5),
      p95: this.percentile(0.95),
      p99: this.percentile(0.99),
      max: round(this.#max),
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

interface StepTally {
  journey: ActorKind;
  step: string;
  attempts: number;
  successes: number;
  errors: Record<string, number>;
  latency: LatencyHistogram;
}

interface BucketTally {
  attempts: number;
  successes: number;
  latency: LatencyHistogram;
  activeActors: number;
}

/** One finished step, as the metrics see it. */
export interface StepOutcome {
  journey: ActorKind;
  step: string;
  /** Simulated milliseconds since the start of the run. */
  atMs: number;
  latencyMs: number;
  /** Error type; absent on success. */
  error?: string;
}

/** Per-step, per-bucket and per-second tallies of a run. */
export class RunMetrics {
  readonly #steps = new Map<string, StepTally>();
  readonly #buckets: BucketTally[] = [];
  /** Attempts and successes per simulated second: fault windows are judged from these. */
  readonly attemptsPerSecond: Uint32Array;
  readonly successesPerSecond: Uint32Array;
  readonly bucketS: number;
  #activeActors = 0;

  constructor(durationS: number, bucketS: number) {
    this.bucketS = bucketS;
    this.attemptsPerSecond = new Uint32Array(Math.ceil(durationS) + 1);
    this.successesPerSecond = new Uint32Array(Math.ceil(durationS) + 1);
  }

  record(outcome: StepOutcome): void {
    const step = this.#step(outcome.journey, outcome.step);
    step.attempts += 1;
    step.latency.add(outcome.latencyMs);
    if (outcome.error === undefined) step.successes += 1;
    else step.errors[outcome.error] = (step.errors[outcome.error] ?? 0) + 1;

    const bucket = this.#bucket(outcome.atMs);
    bucket.attempts += 1;
    bucket.latency.add(outcome.latencyMs);
    if (outcome.error === undefined) bucket.successes += 1;

    const second = Math.min(Math.floor(outcome.atMs / 1000), this.attemptsPerSecond.length - 1);
    this.attemptsPerSecond[second]! += 1;
    if (outcome.error === undefined) this.successesPerSecond[second]! += 1;
  }

  actorStarted(atMs: number): void {
    this.#activeActors += 1;
    this.#noteActive(atMs);
  }

  actorFinished(atMs: number): void {
    this.#activeActors -= 1;
    this.#noteActive(atMs);
  }

  /** Success rate over [fromS, toS); undefined when nothing was attempted. */
  successRate(fromS: number, toS: number): number | undefined {
    let attempts = 0;
    let successes = 0;
    const last = Math.min(Math.ceil(toS), this.attemptsPerSecond.length);
    for (let second = Math.max(0, Math.floor(fromS)); second < last; second++) {
      attempts += this.attemptsPerSecond[second]!;
      successes += this.successesPerSecond[second]!;
    }
    return attempts === 0 ? undefined : successes / attempts;
  }

  steps(): StepFigures[] {
    return [...this.#steps.values()].map((tally) => ({
      journey: tally.journey,
      step: tally.step,
      attempts: tally.attempts,
      successes: tally.successes,
      errors: { ...tally.errors },
      latencyMs: tally.latency.summary(),
    }));
  }

  timeline(durationS: number): TimeBucket[] {
    const count = Math.ceil(durationS / this.bucketS);
    return Array.from({ length: count }, (_, index) => {
      const bucket = this.#buckets[index];
      return {
        startS: index * this.bucketS,
        attempts: bucket?.attempts ?? 0,
        successes: bucket?.successes ?? 0,
        failures: (bucket?.attempts ?? 0) - (bucket?.successes ?? 0),
        p95Ms: bucket?.latency.percentile(0.95) ?? 0,
        activeActors: bucket?.activeActors ?? this.#carriedActive(index),
      };
    });
  }

  #step(journey: ActorKind, name: string): StepTally {
    const key = `${journey}/${name}`;
    let tally = this.#steps.get(key);
    if (!tally) {
      tally = { journey, step: name, attempts: 0, successes: 0, errors: {}, latency: new LatencyHistogram() };
      this.#steps.set(key, tally);
    }
    return tally;
  }

  #bucket(atMs: number): BucketTally {
    const index = Math.floor(atMs / 1000 / this.bucketS);
    for (let fill = this.#buckets.length; fill <= index; fill++) {
      this.#buckets[fill] = {
        attempts: 0,
        successes: 0,
        latency: new LatencyHistogram(),
        activeActors: this.#activeActors,
      };
    }
    return this.#buckets[index]!;
  }

  #noteActive(atMs: number): void {
    const bucket = this.#bucket(atMs);
    bucket.activeActors = Math.max(bucket.activeActors, this.#activeActors);
  }

  /** A bucket nobody touched holds as many actors as the last one that was touched. */
  #carriedActive(index: number): number {
    for (let earlier = Math.min(index, this.#buckets.length) - 1; earlier >= 0; earlier--) {
      const bucket = this.#buckets[earlier];
      if (bucket) return bucket.activeActors;
    }
    return 0;
  }
}
