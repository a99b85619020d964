import type { ReferenceSystem, ReferenceSystemOptions } from '../../reference-server/system.ts';
import type { FetchHandler } from '../network/types.ts';
import type { Level } from '../results.ts';
import type { ClientProcessOutcome } from './process.ts';
import type { ClientRequest } from './recorder.ts';

/** What the scenario's servers and the client did, as the checks judge it. */
export interface ScenarioTraffic {
  /** The MCP server URL the client was given (and the canonical `resource`). */
  mcpUrl: string;
  issuer: string;
  foreignOrigin: string;
  /** Every request the client made to the AS and the MCP server, in order. */
  requests: readonly ClientRequest[];
  process: ClientProcessOutcome;
}

/** A check's finding: the behaviour was observed, violated, or could not be judged (with the reason). */
export type ClientVerdict =
  | { outcome: 'observed'; message: string; evidence: readonly ClientRequest[] }
  | { outcome: 'violated'; message: string; evidence: readonly ClientRequest[] }
  | { outcome: 'not-judged'; message: string };

export interface ClientCheck {
  /** `client.<name>`; a scenario's verdict is reported as `client.<scenario>.<name>`. */
  id: string;
  title: string;
  requirements: string[];
  /** MUST → FAIL on violation; SHOULD → WARN. */
  level: Exclude<Level, 'INFO'>;
  judge(traffic: ScenarioTraffic): ClientVerdict;
}

/** What a scenario's servers are, as its context, adaptations and checks see them. */
export interface ScenarioSetup {
  mcpUrl: string;
  issuer: string;
  /** A third 127.0.0.1 origin no honest client has reason to call (404 unless an adaptation serves it). */
  foreignOrigin: string;
  /** The reference system behind the servers (its clients, keys and store). */
  system: ReferenceSystem;
}

/** One server's handler, changed by an adaptation (the handler given is the reference system's, or an inner adaptation's). */
export type HandlerAdaptation = (handler: FetchHandler) => FetchHandler;

/**
 * How a scenario changes its servers' answers: made once per run (state shared between the servers lives in the
 * closure), each present member wrapping that server's handler. The recorder sees what the client sent and received.
 */
export type ServerAdaptation = (setup: ScenarioSetup) => {
  as?: HandlerAdaptation;
  mcp?: HandlerAdaptation;
  foreign?: HandlerAdaptation;
};

/** Token endpoint authentication of a confidential client registered ahead of time (OAuth 2.1 §2.4.1). */
export type SecretAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** A confidential client the AS knows before the run; its id and secret reach the client in the context. */
export interface PreRegisteredCredentials {
  client_id: string;
  client_secret: string;
  token_endpoint_auth_method: SecretAuthMethod;
}

/**
 * What the scenario's servers falsify, so that a conforming client must refuse to go on. The reference system stays
 * correct; the answers are rewritten on their way to the client.
 */
export interface ServerLies {
  /** Authorization redirects carry a `state` other than the one the client sent (a forged response: CSRF). */
  authorizationState?: boolean;
  /** Authorization redirects carry this `iss` instead of the AS's issuer (RFC 9207 mix-up). */
  authorizationIss?: string;
  /** The protected resource metadata names this `resource` instead of the MCP server's URL (RFC 9728 §3.3). */
  prmResource?: string;
}

export type ScenarioSystemOptions = Omit<ReferenceSystemOptions, 'origins' | 'interaction' | 'federation' | 'fetch'>;

/** The 127.0.0.1 origins of a scenario run, known before the reference system is made. */
export interface ScenarioOrigins {
  as: string;
  mcp: string;
  foreign: string;
}

/** How a scenario's servers differ from the default reference system (open registration, no extra clients). */
export interface ScenarioServerOptions {
  /** false: no RFC 7591 registration (no endpoint, no `registration_endpoint` in the metadata). Default true. */
  registration?: boolean;
  /** Registered before the run; the AS metadata then advertises only its token endpoint auth method. */
  preRegisteredClient?: PreRegisteredCredentials;
  /** true: the AS metadata advertises client_id_metadata_document_supported (CIMD). Default false, as in the official suite. */
  clientIdMetadataDocuments?: boolean;
  /** Answers falsified on their way to the client; absent, every answer is the reference system's own. */
  lies?: ServerLies;
  /**
   * Reference system options (tenants, token format, an enterprise IdP…), or a function of the scenario's origins
   * giving them (e.g. an IdP served on the foreign origin); origins and interaction are the harness's.
   */
  system?: ScenarioSystemOptions | ((origins: ScenarioOrigins) => ScenarioSystemOptions);
  /** Applied in order, each wrapping the previous: the last one answers the client first. */
  adaptations?: readonly ServerAdaptation[];
}

/** One situation the harness puts a client in (the official suite's scenario names where they exist). */
export interface ClientScenario {
  /** e.g. `auth/basic-dcr` */
  name: string;
  description: string;
  /** Server configuration; absent, the default reference system. */
  servers?: ScenarioServerOptions;
  /** Extra fields of MCP_CONFORMANCE_CONTEXT (the scenario name is always added as `name`). */
  context?(setup: ScenarioSetup): Record<string, unknown>;
  checks: readonly ClientCheck[];
}

export const observed = (message: string, evidence: readonly ClientRequest[] = []): ClientVerdict => ({
  outcome: 'observed',
  message,
  evidence,
});

export const violated = (message: string, evidence: readonly ClientRequest[] = []): ClientVerdict => ({
  outcome: 'violated',
  message,
  evidence,
});

export const notJudged = (message: string): ClientVerdict => ({ outcome: 'not-judged', message });
