/** Custom claims: templated values added to the issued token, never overriding the registered ones. */

import { renderJson } from './templates.ts';
import type { CustomClaimsStep, FlowContext, JsonValue, MissingValuePolicy } from './types.ts';
import { FlowError } from './types.ts';

/** RFC 7519 §4.1 registered claims (and the token's client binding) are set by the AS, not by a flow. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'client_id',
  'scope',
]);

export function renderClaims(
  step: CustomClaimsStep,
  context: FlowContext,
  onMissing: MissingValuePolicy,
): Record<string, JsonValue> {
  const claims: Record<string, JsonValue> = {};
  for (const [name, template] of Object.entries(step.claims)) {
    if (RESERVED_CLAIMS.has(name)) throw new FlowError(`custom-claims ${step.id}: claim ${name} is reserved`);
    claims[name] = renderJson(template, context, onMissing);
  }
  return claims;
}
