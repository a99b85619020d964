/** Consent (seed 004 Flows): asked once per user and client for the requested scopes, then remembered. */

import { hasDefect } from './defects.ts';
import type { FlowDeps, FlowRequest, FlowUser } from './types.ts';
import { FlowError } from './types.ts';

/** The client key under which the `consent-remembered-per-user-only` defect files every consent. */
const ANY_CLIENT = '*';

type ConsentDeps = Pick<FlowDeps, 'consents' | 'skipConsent' | 'defects' | 'request'>;

export function consentRequest(deps: ConsentDeps, stepId: string): FlowRequest {
  if (!deps.request) throw new FlowError(`consent ${stepId}: the flow runs without an authorization request`);
  return deps.request;
}

function clientKey(deps: ConsentDeps, clientId: string): string {
  return hasDefect(deps, 'consent-remembered-per-user-only') ? ANY_CLIENT : clientId;
}

/** The scopes to ask the user about, or undefined when consent is given already (or not needed). */
export async function scopesToAsk(deps: ConsentDeps, user: FlowUser, stepId: string): Promise<string[] | undefined> {
  if (hasDefect(deps, 'flow-consent-skipped')) return undefined;
  // Seed 004: trusted first-party clients skip the consent screen.
  if (deps.skipConsent && !hasDefect(deps, 'skip-consent-ignored')) return undefined;
  const request = consentRequest(deps, stepId);
  if (!hasDefect(deps, 'consent-not-remembered')) {
    const granted = await deps.consents?.granted(user.id, clientKey(deps, request.clientId));
    const covers = (scope: string) => granted?.includes(scope) ?? false;
    if (granted && (hasDefect(deps, 'consent-remembered-any-scope') || request.scopes.every(covers))) return undefined;
  }
  return request.scopes;
}

/** Remembers the approval as the union of the scopes granted earlier and now. */
export async function rememberConsent(deps: ConsentDeps, user: FlowUser, scopes: string[], stepId: string) {
  const key = clientKey(deps, consentRequest(deps, stepId).clientId);
  const earlier = (await deps.consents?.granted(user.id, key)) ?? [];
  await deps.consents?.remember(user.id, key, [...new Set([...earlier, ...scopes])]);
}
