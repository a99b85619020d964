/** What a simulation run produces: the figures its report (JSON, HTML with SVG charts) is written from. */

/**
 * How an interactive user's MCP client gets its client_id: RFC 7591 dynamic registration, a Client ID Metadata
 * Document URL (the AS fetches the document), or a client registered with the AS beforehand.
 */
export type ClientIdentity = 'dcr' | 'cimd' | 'preRegistered';

export const CLIENT_IDENTITIES: readonly ClientIdentity[] = ['dcr', 'cimd', 'preRegistered'];

/** The kinds of simulated actor, each running its own journey. */
export type ActorKind = 'interactive-user' | 'm2m-agent' | 'workload' | 'delegating-service' | 'ciba-agent';

/** A fault on the timeline, in simulated seconds from the start of the run. */
export interface FaultWindow {
  /** e.g. `idp-outage`, `idp-latency`, `connector-500`, `jwks-rotation`, `dropped-connections`, `expiry-storm` */
  kind: string;
  /** Human-readable: what and where (e.g. "upstream OIDC IdP down"). */
  label: string;
  startS: number;
  /** Equal to startS for an instant event (a key rotation). */
  endS: number;
}

/** Latency percentiles in milliseconds. */
export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** One step of a journey (e.g. `discovery`, `registration`, `authorize`, `token`, `tool-call`, `refresh`). */
export interface StepFigures {
  journey: ActorKind;
  step: string;
  attempts: number;
  successes: number;
  /** Failures by error type (OAuth error code, HTTP status class, `timeout`, `network`, …). */
  errors: Record<string, number>;
  latencyMs: Percentiles;
}

/** One bucket of the time series the charts draw (fixed width, simulated time). */
export interface TimeBucket {
  startS: number;
  attempts: number;
  successes: number;
  failures: number;
  /** p95 step latency within the bucket, in ms (0 when empty). */
  p95Ms: number;
  activeActors: number;
}

/** How a fault window went: what failed during it and whether the system recovered after. */
export interface FaultOutcome {
  fault: FaultWindow;
  /** Step failures within the window, by `journey/step`. */
  failuresDuring: Record<string, number>;
  /** Success rates are fractions from 0 to 1; null when no step was attempted in that span. */
  successRateBefore: number | null;
  successRateDuring: number | null;
  successRateAfter: number | null;
  /**
   * `unaffected`: the rate during the window stayed within 5 points of before; `recovered`: it came back within 5
   * points after the window (`recoveredAfterS`); `not-recovered`: steps were attempted after, and it never came back;
   * `no-traffic-after`: nothing was attempted after the window (the actors had finished or given up), so nobody knows.
   */
  recovery: 'unaffected' | 'recovered' | 'not-recovered' | 'no-traffic-after';
  /** Seconds after the window's end until the success rate was back within 5 points of before (0 if unaffected). */
  recoveredAfterS: number | null;
}

/** A broken invariant, with the evidence that shows it. */
export interface InvariantViolation {
  /** e.g. `no-token-after-revocation`, `no-token-after-expiry`, `refresh-family-dead-after-reuse`, `no-lost-consent`, `no-5xx` */
  invariant: string;
  atS: number;
  actor: string;
  message: string;
}

export interface InvariantFigures {
  invariant: string;
  description: string;
  /** How many times it was checked during the run. */
  checked: number;
  violations: InvariantViolation[];
}

export interface SimulationResult {
  tool: { name: string; version: string };
  scenario: { name: string; description?: string; file?: string };
  target: { name: string; kind: 'embedded' | 'target-file' };
  seed: number;
  agents: number;
  /** At most this many actors were in flight at once. */
  maxConcurrentActors: number;
  /** Simulated duration. */
  durationS: number;
  /** Real time the run took. */
  wallMs: number;
  peakRssBytes: number;
  actors: Record<ActorKind, number>;
  /** The interactive users signing in without the consent flow, by how their MCP client got its client_id. */
  clientIdentities: Record<ClientIdentity, number>;
  totals: {
    requests: number;
    journeysStarted: number;
    journeysCompleted: number;
    tokensIssued: number;
    refreshes: number;
    /** Refresh tokens rotated out per minute of simulated time. */
    refreshChurnPerMinute: number;
  };
  steps: StepFigures[];
  timeline: { bucketS: number; buckets: TimeBucket[] };
  faults: FaultOutcome[];
  invariants: InvariantFigures[];
  /** PASS when no invariant was violated. */
  verdict: 'PASS' | 'FAIL';
}

/** A snapshot for the progress display, sent about once per simulated bucket. */
export interface SimulationProgress {
  simulatedS: number;
  durationS: number;
  activeActors: number;
  started: number;
  /** Actors whose journeys ended (completed or given up). */
  completed: number;
  /** Failed steps so far. */
  failures: number;
  requests: number;
}
