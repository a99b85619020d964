import type {
  FaultOutcome,
  FaultWindow,
  InvariantFigures,
  Percentiles,
  SimulationResult,
  StepFigures,
  TimeBucket,
} from '../../harness/simulation/types.ts';

/**
 * Sample simulation results for report tests and examples: ten minutes of a mixed population with an IdP outage, a key
 * rotation and a latency window. Success rates are fractions (0..1). Figures are computed, not random, so they are stable.
 */

const BUCKET_S = 30;
const DURATION_S = 600;

export const SAMPLE_FAULTS: readonly FaultWindow[] = [
  { kind: 'idp-outage', label: 'upstream OIDC IdP down', startS: 120, endS: 240 },
  { kind: 'jwks-rotation', label: 'AS signing key rotated', startS: 300, endS: 300 },
  { kind: 'idp-latency', label: 'upstream OIDC IdP +800 ms', startS: 420, endS: 480 },
];

function within(fault: FaultWindow, atS: number): boolean {
  return atS >= fault.startS && atS < fault.endS;
}

function sampleBucket(index: number): TimeBucket {
  const startS = index * BUCKET_S;
  const [outage, , latency] = SAMPLE_FAULTS;
  const attempts = 200 + 10 * index;
  const failureShare = outage && within(outage, startS) ? 0.45 : index === 9 ? 0.08 : 0.01;
  const failures = Math.round(attempts * failureShare);
  const slow = latency !== undefined && within(latency, startS);
  return {
    startS,
    attempts,
    successes: attempts - failures,
    failures,
    p95Ms: slow ? 920 + index : 40 + (index % 4) * 5,
    activeActors: Math.min(50, 10 + 4 * index),
  };
}

function latency(p50: number, count: number): Percentiles {
  return { count, p50, p95: p50 * 3, p99: p50 * 5, max: p50 * 9 };
}

function step(
  journey: StepFigures['journey'],
  name: string,
  attempts: number,
  errors: Record<string, number>,
  p50: number,
): StepFigures {
  const failures = Object.values(errors).reduce((sum, count) => sum + count, 0);
  return { journey, step: name, attempts, successes: attempts - failures, errors, latencyMs: latency(p50, attempts) };
}

function sampleSteps(): StepFigures[] {
  return [
    step('interactive-user', 'discovery', 900, {}, 2),
    step('interactive-user', 'registration', 900, { timeout: 3 }, 4),
    step('interactive-user', 'authorize', 897, { temporarily_unavailable: 310, network: 12 }, 14),
    step('interactive-user', 'token', 575, { invalid_grant: 4 }, 6),
    step('interactive-user', 'tool-call', 2210, { '401': 9 }, 3),
    step('interactive-user', 'refresh', 640, { invalid_grant: 21 }, 5),
    step('m2m-agent', 'token', 1200, { invalid_client: 2 }, 5),
    step('m2m-agent', 'tool-call', 3600, {}, 3),
    step('ciba-agent', 'backchannel-authorize', 120, { temporarily_unavailable: 40 }, 8),
  ];
}

function sampleFaultOutcomes(): FaultOutcome[] {
  const [outage, rotation, slow] = SAMPLE_FAULTS as [FaultWindow, FaultWindow, FaultWindow];
  return [
    {
      fault: outage,
      failuresDuring: { 'interactive-user/authorize': 310, 'ciba-agent/backchannel-authorize': 40 },
      successRateBefore: 0.99,
      successRateDuring: 0.55,
      successRateAfter: 0.97,
      recovery: 'recovered',
      recoveredAfterS: 30,
    },
    {
      fault: rotation,
      failuresDuring: {},
      successRateBefore: 0.99,
      successRateDuring: 0.99,
      successRateAfter: 0.99,
      recovery: 'unaffected',
      recoveredAfterS: 0,
    },
    {
      fault: slow,
      failuresDuring: { 'interactive-user/authorize': 12 },
      successRateBefore: 0.99,
      successRateDuring: 0.93,
      successRateAfter: 0.9,
      recovery: 'not-recovered',
      recoveredAfterS: null,
    },
  ];
}

function sampleInvariants(): InvariantFigures[] {
  return [
    {
      invariant: 'no-5xx',
      description: 'The reference system never answers with a 5xx, whatever fails upstream',
      checked: 9350,
      violations: [],
    },
    {
      invariant: 'no-token-after-revocation',
      description: 'A revoked access token is refused by the MCP server',
      checked: 410,
      violations: [
        { invariant: 'no-token-after-revocation', atS: 133.5, actor: 'user-0007', message: 'revoked token accepted' },
        { invariant: 'no-token-after-revocation', atS: 402, actor: 'user-0031', message: 'revoked token accepted' },
      ],
    },
    {
      invariant: 'no-lost-consent',
      description: 'Consent given once is remembered for the next authorization',
      checked: 0,
      violations: [],
    },
  ];
}

/** A ten-minute run with three faults, nine steps and one failing invariant. */
export function sampleSimulationResult(overrides: Partial<SimulationResult> = {}): SimulationResult {
  const buckets = Array.from({ length: DURATION_S / BUCKET_S }, (_, index) => sampleBucket(index));
  return {
    tool: { name: 'mcp-auth-conformance', version: '0.1.0' },
    scenario: {
      name: 'idp-outage',
      description: 'A mixed population rides out an IdP outage',
      file: 'idp-outage.json',
    },
    target: { name: 'reference', kind: 'embedded' },
    seed: 7,
    agents: 50,
    maxConcurrentActors: 64,
    durationS: DURATION_S,
    wallMs: 4321,
    peakRssBytes: 187_000_000,
    actors: { 'interactive-user': 30, 'm2m-agent': 10, workload: 4, 'delegating-service': 3, 'ciba-agent': 3 },
    clientIdentities: { dcr: 18, cimd: 9, preRegistered: 3 },
    totals: {
      requests: buckets.reduce((sum, bucket) => sum + bucket.attempts, 0),
      journeysStarted: 520,
      journeysCompleted: 471,
      tokensIssued: 2415,
      refreshes: 640,
      refreshChurnPerMinute: 61.9,
    },
    steps: sampleSteps(),
    timeline: { bucketS: BUCKET_S, buckets },
    faults: sampleFaultOutcomes(),
    invariants: sampleInvariants(),
    verdict: 'FAIL',
    ...overrides,
  };
}

/** A run that did nothing: no buckets, no steps, no faults, no invariants, zero everywhere. */
export function emptySimulationResult(): SimulationResult {
  return sampleSimulationResult({
    agents: 0,
    durationS: 0,
    wallMs: 0,
    peakRssBytes: 0,
    actors: { 'interactive-user': 0, 'm2m-agent': 0, workload: 0, 'delegating-service': 0, 'ciba-agent': 0 },
    clientIdentities: { dcr: 0, cimd: 0, preRegistered: 0 },
    totals: {
      requests: 0,
      journeysStarted: 0,
      journeysCompleted: 0,
      tokensIssued: 0,
      refreshes: 0,
      refreshChurnPerMinute: 0,
    },
    steps: [],
    timeline: { bucketS: 0, buckets: [] },
    faults: [],
    invariants: [],
    verdict: 'PASS',
  });
}
