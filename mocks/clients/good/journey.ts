import type { Fetch } from '../../../harness/network/types.ts';
import type { HttpOptions } from '../client-kit.ts';

/** What every step of the good client's journey works with: the MCP server, its HTTP, its log and its context. */
export interface ClientJourney {
  mcpUrl: URL;
  redirectUri: string;
  fetch: Fetch;
  http: HttpOptions;
  clientName: string;
  /** A scope the caller insists on (else the challenge's, else the metadata's). */
  scope?: string;
  /** MCP_CONFORMANCE_SCENARIO, when run by a conformance harness. */
  scenario?: string;
  /** MCP_CONFORMANCE_CONTEXT as parsed JSON (an empty object when there is none or it is not an object). */
  context: Record<string, unknown>;
  step(text: string): void;
  /**
   * The protected resource metadata's `resource`, once discovered: the canonical URI the `resource` parameters carry
   * (MCP "Canonical Server URI" aligns it with RFC 9728). Until then, and without metadata, the MCP URL.
   */
  resourceIndicator?: string;
  /** Deviations a misbehaving client switches on by name (mocks/clients/misbehaving); the good client has none. */
  quirks: ReadonlySet<string>;
}

/** What the client learnt from the MCP server's 401 challenge (MCP authorization "Authorization Server Discovery"). */
export interface Challenge {
  resourceMetadataUrl?: string;
  scope?: string;
}

/** RFC 8707 `resource` for this journey's token requests. */
export function resourceIndicatorOf(journey: ClientJourney): string {
  return journey.resourceIndicator ?? journey.mcpUrl.href;
}
