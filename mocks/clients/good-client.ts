import type { Fetch } from '../../harness/network/types.ts';
import { httpOptions, journeySteps } from './client-kit.ts';
import type { ClientCredentials } from './good/identity.ts';
import type { ClientJourney } from './good/journey.ts';
import { isMachineJourney, runMachineSession } from './good/machine.ts';
import { runAuthorizedSession } from './good/session.ts';

export interface GoodClientOptions {
  mcpUrl: string;
  redirectUri?: string;
  fetch?: Fetch;
  scope?: string;
  clientName?: string;
  /** Lets oauth4webapi talk to http:// servers (loopback `serve`); never needed for https origins. */
  allowInsecureRequests?: boolean;
  log?: (step: string) => void;
  /** Credentials registered ahead of time: used instead of registering (they win over the context's). */
  preRegistered?: ClientCredentials;
  /** MCP_CONFORMANCE_SCENARIO, when a conformance harness runs the client. */
  scenario?: string;
  /** MCP_CONFORMANCE_CONTEXT, parsed (credentials, keys, IdP tokens of the scenario). */
  context?: Record<string, unknown>;
  /** Named deviations (misbehaving clients only). */
  quirks?: Iterable<string>;
}

export interface GoodClientJourney {
  steps: string[];
  accessToken: string;
  clientId: string;
  toolResult: unknown;
}

export { JourneyError } from './client-kit.ts';
export type { ClientCredentials } from './good/identity.ts';

const DEFAULT_REDIRECT_URI = 'http://127.0.0.1:5555/callback';

/**
 * One well-behaved MCP client, end to end (MCP authorization, 2025-11-25): discover the AS from the 401 challenge and
 * the protected resource metadata, register dynamically, authorize with PKCE S256 and `resource`, redeem the code,
 * then initialize and call `echo` with the token.
 */
export async function runGoodClientJourney(options: GoodClientOptions): Promise<GoodClientJourney> {
  const { steps, step } = journeySteps(options.log);
  const journey = journeyOf(options, step);
  const session = isMachineJourney(journey) ? await runMachineSession(journey) : await runAuthorizedSession(journey);
  return { steps, ...session };
}

function journeyOf(options: GoodClientOptions, step: (text: string) => void): ClientJourney {
  const fetch = options.fetch ?? globalThis.fetch;
  const context = { ...options.context, ...options.preRegistered };
  return {
    mcpUrl: new URL(options.mcpUrl),
    redirectUri: options.redirectUri ?? DEFAULT_REDIRECT_URI,
    fetch,
    http: httpOptions(fetch, options.allowInsecureRequests ?? false),
    clientName: options.clientName ?? 'Good MCP client',
    ...(options.scope !== undefined ? { scope: options.scope } : {}),
    ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
    context,
    step,
    quirks: new Set(options.quirks),
  };
}

/** MCP_CONFORMANCE_CONTEXT as an object; anything else (absent, not JSON, not an object) is an empty context. */
export function parseConformanceContext(text: string | undefined): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text ?? '');
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
