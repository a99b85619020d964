import type { Defects } from '../defects.ts';

/** The two scopes of the reference MCP server. */
export interface ScopeNames {
  basic: string;
  elevated: string;
}

/** Scopes each tool needs; a tool not listed needs none beyond a valid token. */
export function toolScopes(scopes: ScopeNames): ReadonlyMap<string, string[]> {
  return new Map([
    ['echo', [scopes.basic]],
    ['whoami', [scopes.basic]],
    ['downstream_report', [scopes.basic]],
    ['admin_reset', [scopes.elevated]],
  ]);
}

/** The scopes a token effectively holds: the elevated scope implies the basic one (a declared hierarchy). */
export function effectiveScopes(granted: string[], scopes: ScopeNames, defects: Defects): Set<string> {
  const held = new Set(granted);
  if (held.has(scopes.elevated) && !defects.has('scope-hierarchy-ignored')) held.add(scopes.basic);
  return held;
}

/** Names of the tools a JSON-RPC message (or batch) calls; anything else in the body is left to the transport. */
export function calledTools(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((message) => {
    if (!isRecord(message) || message.method !== 'tools/call' || !isRecord(message.params)) return [];
    return typeof message.params.name === 'string' ? [message.params.name] : [];
  });
}

/** Every scope the tools of this request need (all in one challenge), and which of them the token lacks. */
export function scopeShortfall(
  tools: string[],
  required: ReadonlyMap<string, string[]>,
  held: Set<string>,
): { needed: string[]; missing: string[] } {
  const needed = [...new Set(tools.flatMap((tool) => required.get(tool) ?? []))];
  return { needed, missing: needed.filter((scope) => !held.has(scope)) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
