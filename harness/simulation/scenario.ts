/**
 * A simulation scenario (JSON): who acts (mix, arrival), how they behave, how their clocks drift, and what goes wrong
 * when (the fault timeline). Validated with zod; every error names the field.
 */
import { z } from 'zod';
import { firstIssueLine, readJsonFile } from '../json-file.ts';
import type { ActorKind } from './types.ts';

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

export const ACTOR_KINDS = [
  'interactive-user',
  'm2m-agent',
  'workload',
  'delegating-service',
  'ciba-agent',
] as const satisfies readonly ActorKind[];

const seconds = z.number().min(0);
const range = z
  .strictObject({ min: seconds, max: seconds })
  .refine((value) => value.max >= value.min, { error: 'max must be ≥ min', path: ['max'] });
const share = z.number().min(0).max(1);
const weight = z.number().min(0).default(0);

const clientIdentity = z
  .strictObject({ dcr: weight, cimd: weight, preRegistered: weight })
  .refine((weights) => weights.dcr + weights.cimd + weights.preRegistered > 0, {
    error: 'give at least one of dcr, cimd, preRegistered a weight above 0',
  });

const arrival = z.discriminatedUnion('kind', [
  /** Every actor starts at time 0. */
  z.strictObject({ kind: z.literal('all-at-once') }),
  /** A steady number of new actors per simulated second. */
  z.strictObject({ kind: z.literal('rate'), perSecond: z.number().positive() }),
  /** The arrival rate grows linearly from `fromPerSecond` to `toPerSecond` over `overS`, then stays. */
  z.strictObject({
    kind: z.literal('ramp'),
    fromPerSecond: z.number().positive(),
    toPerSecond: z.number().positive(),
    overS: z.number().positive(),
  }),
]);

const behaviour = z.strictObject({
  /** Sessions per actor: each obtains tokens anew (a user signs in again, an agent starts a new task). */
  sessions: z.number().int().min(1).max(100).default(1),
  toolCallsPerSession: range.default({ min: 2, max: 5 }),
  /** Pause before each tool call. */
  thinkTimeS: range.default({ min: 5, max: 60 }),
  pauseBetweenSessionsS: range.default({ min: 30, max: 120 }),
  /** Refresh (or get a new token) once the token is this old, even before it expires. */
  refreshAfterS: seconds.optional(),
  /**
   * How interactive users' MCP clients get their client_id, as weights: dynamic registration (RFC 7591), a Client ID
   * Metadata Document URL, or a client registered beforehand.
   */
  clientIdentity: clientIdentity.default({ dcr: 0.6, cimd: 0.3, preRegistered: 0.1 }),
  /** Share of interactive users who sign in through the consent flow of the homegrown identity system. */
  federatedShare: share.default(0.5),
  /** Share of actors who replay a rotated refresh token once (as a thief would), to exercise reuse detection. */
  refreshReuseShare: share.default(0.1),
  /** At the end of each session the actor revokes its tokens, then presents the revoked access token once more. */
  revokeAtSessionEnd: z.boolean().default(true),
  /** Wait after a failed step before trying again. */
  retryAfterS: seconds.default(20),
  /** Consecutive failures after which an actor gives up. */
  maxConsecutiveFailures: z.number().int().min(1).max(100).default(5),
});

const clockSkew = z.discriminatedUnion('distribution', [
  z.strictObject({ distribution: z.literal('none') }),
  z.strictObject({ distribution: z.literal('uniform'), minS: z.number(), maxS: z.number() }),
  z.strictObject({ distribution: z.literal('normal'), meanS: z.number(), stdDevS: z.number().min(0) }),
]);

const window = { startS: seconds, endS: seconds.optional(), label: z.string().min(1).optional() };
const idp = z.enum(['homegrown', 'workload', 'all']).default('all');

const fault = z.discriminatedUnion('kind', [
  /** The identity systems the AS calls (homegrown connector, workload issuer) answer late (simulated time). */
  z.strictObject({
    kind: z.literal('idp-latency'),
    ...window,
    idp,
    latencyMs: z.number().positive(),
    /** Calls slower than this fail as timeouts. */
    timeoutMs: z.number().positive().optional(),
  }),
  /** The identity systems are down: connections drop, or they answer 503. */
  z.strictObject({ kind: z.literal('idp-outage'), ...window, idp, mode: z.enum(['drop', 'error']).default('drop') }),
  /** The homegrown identity API's routes answer 500 (the consent flow's HTTP connector meets them). */
  z.strictObject({
    kind: z.literal('connector-500'),
    ...window,
    routes: z
      .array(z.enum(['/login', '/userinfo', '/introspect']))
      .min(1)
      .default(['/login', '/userinfo']),
  }),
  /** The AS starts signing with a new key; `retireOld` also removes the old key from the JWKS at once. */
  z.strictObject({ kind: z.literal('jwks-rotation'), ...window, retireOld: z.boolean().default(false) }),
  /** A share of requests to the AS and/or MCP server lose their connection. */
  z.strictObject({
    kind: z.literal('dropped-connections'),
    ...window,
    rate: share,
    target: z.enum(['as', 'mcp', 'all']).default('all'),
  }),
  /** Time jumps forward at once: every token younger than the jump expires together. */
  z.strictObject({ kind: z.literal('expiry-storm'), ...window, jumpS: z.number().positive().default(3600) }),
  /** A share of actors' clocks run `offsetS` off during the window. */
  z.strictObject({ kind: z.literal('clock-skew'), ...window, offsetS: z.number(), share: share.default(1) }),
]);

export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    /** Simulated seconds. */
    durationS: z
      .number()
      .positive()
      .max(7 * 24 * 3600),
    agents: z.number().int().min(1).max(1_000_000),
    /** Width of the time series buckets (simulated seconds). */
    bucketS: z.number().positive().default(60),
    /** Weights by actor kind; kinds left out do not appear. */
    mix: z
      .partialRecord(z.enum(ACTOR_KINDS), z.number().min(0))
      .refine((mix) => Object.values(mix).some((weight) => (weight ?? 0) > 0), {
        error: 'at least one actor kind needs a weight above 0',
      }),
    arrival: arrival.default({ kind: 'all-at-once' }),
    behaviour: behaviour.default(behaviour.parse({})),
    clockSkew: clockSkew.default({ distribution: 'none' }),
    faults: z.array(fault).default([]),
  })
  .superRefine((scenario, ctx) => {
    scenario.faults.forEach((entry, index) => {
      if (entry.endS !== undefined && entry.endS < entry.startS) {
        ctx.addIssue({ code: 'custom', message: 'must be ≥ startS', path: ['faults', index, 'endS'] });
      }
      if (entry.startS > scenario.durationS) {
        ctx.addIssue({ code: 'custom', message: 'starts after the end of the run', path: ['faults', index, 'startS'] });
      }
    });
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioFault = Scenario['faults'][number];
export type Behaviour = Scenario['behaviour'];
export type Range = z.output<typeof range>;

/** Validates parsed JSON; throws ScenarioError naming the first offending field. */
export function parseScenario(json: unknown): Scenario {
  const result = scenarioSchema.safeParse(json);
  if (result.success) return result.data;
  throw new ScenarioError(firstIssueLine(result.error, 'unknown field'));
}

/** Reads and validates a scenario file from disk. */
export async function loadScenario(path: string): Promise<Scenario> {
  const json = await readJsonFile(path, {
    unreadable: (code) => new ScenarioError(`cannot read scenario file ${path}: ${code}`),
    notJson: (reason) => new ScenarioError(`scenario file ${path} is not JSON: ${reason}`),
  });
  return parseScenario(json);
}

/** The fault's last simulated second (an instant event ends where it starts). */
export function faultEndS(fault: ScenarioFault): number {
  return fault.endS ?? fault.startS;
}
