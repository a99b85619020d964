/** Seeded randomness: every draw of a run follows from its seed, so a run can be repeated exactly. */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  between(min: number, max: number): number;
  chance(probability: number): boolean;
  normal(mean: number, stdDev: number): number;
}

/** mulberry32: small, fast, and good enough to spread actors and faults. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    between: (min, max) => min + (max - min) * next(),
    chance: (probability) => next() < probability,
    normal(mean, stdDev) {
      const u = Math.max(next(), Number.EPSILON);
      return mean + stdDev * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
  };
}

/** A seed of its own for each actor, so actors draw independently of the order they run in. */
export function actorSeed(runSeed: number, index: number): number {
  return (Math.imul(runSeed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

/** Picks a key in proportion to its weight. */
export function pickWeighted<K extends string>(weights: Partial<Record<K, number>>, rng: Rng): K {
  const entries = Object.entries(weights).filter((entry): entry is [K, number] => (entry[1] as number) > 0);
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let draw = rng.next() * total;
  for (const [key, weight] of entries) {
    draw -= weight;
    if (draw < 0) return key;
  }
  return entries.at(-1)![0];
}
