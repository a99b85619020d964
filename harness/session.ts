import { AsyncLocalStorage } from 'node:async_hooks';
import type { EnterpriseIdp } from '../mocks/idps/enterprise/index.ts';
import type { HomegrownAuth } from '../mocks/idps/homegrown-auth/index.ts';
import type { UpstreamOidc } from '../mocks/idps/oidc/index.ts';
import type { SamlIdp } from '../mocks/idps/saml/index.ts';
import type { WorkloadIssuer } from '../mocks/idps/workload/index.ts';
import { BlockedError, CheckFailure, CheckSkipped } from './check.ts';
import type { CimdHost } from './cimd/host.ts';
import type { ManualClock } from './clock.ts';
import type { DownstreamObserver } from './downstream.ts';
import type { LoginDriver } from './login/types.ts';
import type { Network } from './network/network.ts';
import { collectExchanges } from './network/network.ts';
import type { RecordedExchange } from './network/types.ts';
import type { SpecVersion } from './results.ts';
import type { TargetFile } from './target.ts';
import type { TokenLab } from './token-lab/index.ts';

/** What a run talks to: the validated target, the network that reaches it, and the user agent that logs in. */
export interface SystemUnderTest {
  target: TargetFile;
  network: Network;
  login: LoginDriver;
  /** Present only when the harness controls the target's time (the embedded reference system). */
  clock?: ManualClock;
  /** The test issuer the harness serves (target `tokenLab`). */
  tokenLab?: TokenLab;
  /** The observer standing in for the downstream service (target `downstream`). */
  downstream?: DownstreamObserver;
  /** The workload identity issuer the harness serves (target `workloadIssuer`). */
  workloadIssuer?: WorkloadIssuer;
  /** The enterprise IdP the harness serves (target `enterpriseIdp`). */
  enterpriseIdp?: EnterpriseIdp;
  /** The Client ID Metadata Document host the harness serves (target `cimd`). */
  cimd?: CimdHost;
  /** The homegrown identity API the harness serves (target `byoa.homegrownAuth`). */
  homegrown?: HomegrownAuth;
  /** The upstream OpenID provider the harness serves (target `federation.oidc`). */
  upstreamOidc?: UpstreamOidc;
  /** The tenant SAML IdP the harness serves (target `federation.saml`). */
  samlIdp?: SamlIdp;
  close(): Promise<void>;
}

interface StepRecord {
  promise: Promise<unknown>;
  evidence: RecordedExchange[];
  /** Steps this step itself used while it ran. */
  uses: Set<string>;
}

/** The steps used by whatever runs in this async scope (a check, or a step computing itself). */
const stepUse = new AsyncLocalStorage<Set<string>>();

/**
 * One run against one system: holds the prerequisite steps (discovery, registration, a first token…) that many checks
 * share. Each step runs once per run, records its own evidence, and when it fails every check that depends on it is
 * blocked with the step's reason rather than failing on its own.
 */
export class Session {
  readonly #steps = new Map<string, StepRecord>();

  constructor(
    readonly sut: SystemUnderTest,
    readonly spec: SpecVersion,
    readonly seed: number,
  ) {}

  get target(): TargetFile {
    return this.sut.target;
  }

  /** Runs `compute` once per run under `name`; a failure becomes a BlockedError for whoever needs the step. */
  step<T>(name: string, compute: () => Promise<T>): Promise<T> {
    stepUse.getStore()?.add(name);
    let record = this.#steps.get(name);
    if (!record) {
      const evidence: RecordedExchange[] = [];
      const uses = new Set<string>();
      const work = () => stepUse.run(uses, () => collectExchanges(evidence, compute));
      const promise = work().catch((error: unknown) => {
        if (error instanceof CheckSkipped || error instanceof BlockedError) throw error;
        const reason =
          error instanceof CheckFailure || error instanceof Error
            ? error.message
            : `unexpected error: ${String(error)}`;
        throw new BlockedError(name, reason);
      });
      promise.catch(() => {});
      record = { promise, evidence, uses };
      this.#steps.set(name, record);
    }
    return record.promise as Promise<T>;
  }

  /** Evidence recorded by a step, shown when a check is blocked by it. */
  stepEvidence(name: string): RecordedExchange[] {
    return this.#steps.get(name)?.evidence ?? [];
  }

  /** Runs `work`, adding to `used` the name of every shared step it calls. */
  usingSteps<T>(used: Set<string>, work: () => Promise<T>): Promise<T> {
    return stepUse.run(used, work);
  }

  /**
   * The evidence behind `steps` and the steps they in turn used, in the order it was recorded: what a check relied
   * on without fetching it itself (a step runs once per run, so its exchanges live with the step).
   */
  evidenceOf(steps: Iterable<string>): RecordedExchange[] {
    return this.#withDependencies(new Set(steps))
      .flatMap((name) => this.stepEvidence(name))
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  #withDependencies(used: Set<string>): string[] {
    const all = new Set<string>();
    const visit = (name: string) => {
      if (all.has(name)) return;
      all.add(name);
      for (const dependency of this.#steps.get(name)?.uses ?? []) visit(dependency);
    };
    for (const name of used) visit(name);
    return [...all];
  }
}
