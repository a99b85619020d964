import type { CheckContext } from './context.ts';
import type { Level, SpecVersion } from './results.ts';
import { SPEC_VERSIONS } from './results.ts';

/**
 * What a check may need from the target before it applies. A need the target does not meet makes the check SKIP with
 * the reason; a need whose discovery itself fails makes it FAIL as "blocked by …".
 */
export type Need =
  | 'resource' // an MCP server URL is known
  | 'authorization-server' // an AS is known (from the target or discovered through PRM)
  | 'dcr' // the AS advertises a registration_endpoint
  | 'cimd' // the harness hosts Client ID Metadata Documents and the AS advertises client_id_metadata_document_supported
  | 'authorization-code' // the AS offers the authorization code flow and the harness can drive a login
  | 'confidential-client' // a confidential client is declared or can be registered
  | 'second-client' // a second client can be registered or is declared
  | 'elevated-scope' // the target declares an elevated scope and a tool needing it
  | 'alternate-resource' // a second resource at the same AS is declared
  | 'token-lab' // the target declares tokenLab.issuer and its RS accepts a valid lab token
  | 'downstream' // the target declares a tool that calls a downstream service the harness observes
  | 'sessions' // the MCP server issues an Mcp-Session-Id on initialize
  | 'refresh-token' // the AS lists the refresh_token grant (and the authorization code flow works)
  | 'client-credentials' // the target declares an m2m client and the AS does not rule out client_credentials
  | 'jwt-bearer' // clients.workload and workloadIssuer are declared; the AS does not rule out the jwt-bearer grant
  | 'id-jag' // clients.enterprise and enterpriseIdp are declared; the AS does not rule out the jwt-bearer grant
  | 'token-exchange' // clients.exchange is declared; the AS does not rule out token exchange
  | 'ciba' // clients.ciba and ciba.loginHint are declared; the AS has a backchannel_authentication_endpoint
  | 'ciba-approval' // as 'ciba', and the inbox where approval links arrive is declared (ciba.mailbox)
  | 'userinfo' // the AS has a userinfo_endpoint
  | 'introspection' // the AS has an introspection_endpoint
  | 'revocation'; // the AS has a revocation_endpoint

export interface CheckDefinition {
  /** `<suite>.<name>`, stable across releases: reports and baselines key on it. */
  id: string;
  title: string;
  /** The spec sentence the check enforces, in a line. */
  description?: string;
  /** IDs from the requirements catalogue. */
  requirements: string[];
  level: Level;
  /** Per-spec override of `level`, where a revision changed the keyword. */
  levelBySpec?: Partial<Record<SpecVersion, Level>>;
  /** Spec revisions the check belongs to; default all. */
  specs?: readonly SpecVersion[];
  needs?: readonly Need[];
  /** Observe the behaviour; throw (via `ctx.expect`) on violation; return what was observed. */
  run(ctx: CheckContext): Promise<string>;
}

export interface Check extends Required<Pick<CheckDefinition, 'id' | 'title' | 'requirements' | 'level'>> {
  suite: string;
  description?: string;
  levelBySpec: Partial<Record<SpecVersion, Level>>;
  specs: readonly SpecVersion[];
  needs: readonly Need[];
  run: CheckDefinition['run'];
}

const ID_PATTERN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/;

export function check(definition: CheckDefinition): Check {
  if (!ID_PATTERN.test(definition.id)) throw new Error(`check id "${definition.id}" must look like suite.name`);
  if (definition.requirements.length === 0) throw new Error(`check ${definition.id} cites no requirement`);
  return {
    ...definition,
    suite: definition.id.split('.')[0]!,
    levelBySpec: definition.levelBySpec ?? {},
    specs: definition.specs ?? SPEC_VERSIONS,
    needs: definition.needs ?? [],
  };
}

export function levelFor(check: Check, spec: SpecVersion): Level {
  return check.levelBySpec[spec] ?? check.level;
}

/** A violation observed by a check: its message says what happened, what was expected, and how to fix. */
export class CheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailure';
  }
}

/** The check does not apply to this target. */
export class CheckSkipped extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'CheckSkipped';
  }
}

/** A prerequisite step failed, so the check could not observe what it checks. */
export class BlockedError extends Error {
  constructor(
    readonly step: string,
    readonly reason: string,
  ) {
    super(`blocked by ${step}: ${reason}`);
    this.name = 'BlockedError';
  }
}

/**
 * For a check whose subject IS a shared step (e.g. "PRM can be discovered"): the step's failure is the check's own
 * observation, not a blocked prerequisite.
 */
export async function observeStep<T>(step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (error) {
    if (error instanceof BlockedError) throw new CheckFailure(error.reason);
    throw error;
  }
}
