import type { HandlerAdaptation, ScenarioSetup, ServerAdaptation } from '../../../harness/client-mode/scenario.ts';
import { type BearerChallenge, formatBearerChallenge } from '../../../reference-server/resource-server/challenge.ts';
import { resourceMetadataUrl } from '../../../reference-server/resource-server/index.ts';
import { jsonObject } from '../traffic.ts';

const AS_METADATA_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];
const PRM_PATH_PREFIX = '/.well-known/oauth-protected-resource';
const OFFLINE_ACCESS = 'offline_access';

/** Tokens the AS issued in this run, in order, as the client received them. */
interface IssuedTokens {
  accessToken: string;
  refreshToken?: string;
  scope?: string;
}

/** Records every successful token response of the AS (the handler answers as before). */
function tokenLedger(): { issued: IssuedTokens[]; watch: HandlerAdaptation } {
  const issued: IssuedTokens[] = [];
  const watch: HandlerAdaptation = (handler) => async (request) => {
    const response = await handler(request);
    if (new URL(request.url).pathname !== '/token' || response.status !== 200) return response;
    const body = jsonObject(await response.clone().text());
    if (typeof body?.access_token === 'string') {
      issued.push({
        accessToken: body.access_token,
        ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
        ...(typeof body.scope === 'string' ? { scope: body.scope } : {}),
      });
    }
    return response;
  };
  return { issued, watch };
}

/** RFC 9728 §5.1: the 401 challenge names no `scope`, so the client falls back to the metadata (or to none). */
export const challengeWithoutScope: ServerAdaptation = () => ({
  mcp: (handler) => async (request) => {
    const response = await handler(request);
    const header = response.headers.get('www-authenticate');
    if (response.status !== 401 || !header) return response;
    const headers = new Headers(response.headers);
    headers.set('www-authenticate', header.replace(/,?\s*scope="[^"]*"/, '').replace(/^Bearer\s*,\s*/, 'Bearer '));
    return new Response(response.body, { status: response.status, headers });
  },
});

/** RFC 9728 §2: `scopes_supported` is optional; this MCP server's metadata leaves it out. */
export const metadataWithoutScopes: ServerAdaptation = () => ({
  mcp: (handler) => async (request) => {
    const response = await handler(request);
    return new URL(request.url).pathname.startsWith(PRM_PATH_PREFIX)
      ? editedJson(response, (document) => {
          delete document.scopes_supported;
        })
      : response;
  },
});

/** RFC 8414 §2: an AS whose `scopes_supported` does not list offline_access (it offers no offline refresh). */
export const asWithoutOfflineAccess: ServerAdaptation = () => ({
  as: (handler) => async (request) => {
    const response = await handler(request);
    return AS_METADATA_PATHS.includes(new URL(request.url).pathname)
      ? editedJson(response, (document) => {
          const scopes = document.scopes_supported;
          if (Array.isArray(scopes)) document.scopes_supported = scopes.filter((scope) => scope !== OFFLINE_ACCESS);
        })
      : response;
  },
});

export interface ScopeDemand {
  /** The scope every `tools/call` needs beyond what the reference server asks. */
  scope: string;
  /** true: the refusal comes whatever the token holds (an upgrade that never succeeds). */
  always: boolean;
  /** Refusals after which the server stops answering 403 and ends the scenario (410), so a looping client ends. */
  refusalsBeforeGone: number;
}

/**
 * MCP "Runtime Insufficient Scope Errors": every `tools/call` whose token was not granted `scope` is refused with 403
 * insufficient_scope naming only the missing scope, so a client that keeps its earlier scopes is told apart from one
 * that echoes the challenge. With `always`, even a token holding it is refused.
 */
export function demandsScopeForToolCalls(demand: ScopeDemand): ServerAdaptation {
  return (setup) => {
    const ledger = tokenLedger();
    let refusals = 0;
    return {
      as: ledger.watch,
      mcp: (handler) => async (request) => {
        const token = bearerToken(request);
        if (!token || !(await jsonRpcMethods(request)).includes('tools/call')) return handler(request);
        const granted = scopeItems(ledger.issued.find((issued) => issued.accessToken === token)?.scope);
        if (!demand.always && granted.includes(demand.scope)) return handler(request);
        if (refusals >= demand.refusalsBeforeGone) return scenarioOver(refusals);
        refusals++;
        return challenge(setup, 403, {
          error: 'insufficient_scope',
          errorDescription: `this tool call needs the scope ${demand.scope}`,
          scope: [demand.scope],
        });
      },
    };
  };
}

export interface TokenRejection {
  /** How many access tokens, in the order the AS issued them, are rejected. */
  tokens: number;
  /** How many MCP requests each of them serves before it is rejected (then always). */
  servedRequests: number;
  /** Why, as the challenge's error_description says it. */
  reason: string;
  /** The refresh token issued with a rejected access token is refused too (the grant was revoked). */
  refusesRefresh: boolean;
}

/**
 * RFC 6750 §3.1 invalid_token: the first `tokens` access tokens stop working after `servedRequests` MCP requests each
 * (expired or revoked), and are answered 401 from then on; later tokens work.
 */
export function rejectsAccessTokens(rejection: TokenRejection): ServerAdaptation {
  return (setup) => {
    const ledger = tokenLedger();
    const uses = new Map<string, number>();
    const rejected = (token: string) => {
      const position = ledger.issued.findIndex((issued) => issued.accessToken === token);
      return position >= 0 && position < rejection.tokens;
    };
    return {
      as: (handler) =>
        ledger.watch(async (request) => {
          const presented = rejection.refusesRefresh ? await presentedRefreshToken(request) : undefined;
          const revoked = ledger.issued.find((issued) => presented && issued.refreshToken === presented);
          return revoked && rejected(revoked.accessToken) ? refreshRefused() : handler(request);
        }),
      mcp: (handler) => async (request) => {
        const token = bearerToken(request);
        if (!token || !rejected(token)) return handler(request);
        const used = uses.get(token) ?? 0;
        if (used < rejection.servedRequests) {
          uses.set(token, used + 1);
          return handler(request);
        }
        // MCP "Protected Resource Metadata Discovery Requirements": the challenge names the scope, as the reference RS's does.
        return challenge(setup, 401, {
          error: 'invalid_token',
          errorDescription: rejection.reason,
          scope: [setup.system.scopes.basic],
        });
      },
    };
  };
}

/** RFC 6750 §3: a Bearer challenge naming the resource metadata, with a JSON OAuth error body, never cached. */
function challenge(setup: ScenarioSetup, status: 401 | 403, details: BearerChallenge): Response {
  return new Response(JSON.stringify({ error: details.error, error_description: details.errorDescription }), {
    status,
    headers: {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'WWW-Authenticate': formatBearerChallenge({ ...details, resourceMetadata: resourceMetadataUrl(setup.mcpUrl) }),
    },
  });
}

/** OAuth 2.1 §4.3.1: the refresh token's grant was revoked, so the refresh is refused with invalid_grant. */
function refreshRefused(): Response {
  return Response.json(
    { error: 'invalid_grant', error_description: 'the refresh token was revoked with its grant' },
    { status: 400, headers: { 'Cache-Control': 'no-store' } },
  );
}

/** The scenario has seen enough refusals: 410 ends it, whatever the client tries next. */
function scenarioOver(refusals: number): Response {
  return Response.json(
    { error: 'scenario_over', error_description: `the client was refused ${refusals} times and kept retrying` },
    { status: 410, headers: { 'Cache-Control': 'no-store' } },
  );
}

function bearerToken(request: Request): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
}

/** The JSON-RPC methods of an MCP POST (a message or a batch); none for anything else. */
async function jsonRpcMethods(request: Request): Promise<string[]> {
  if (request.method !== 'POST') return [];
  const body: unknown = parsedJson(await request.clone().text());
  return (Array.isArray(body) ? body : [body]).flatMap((message) => {
    const method = typeof message === 'object' && message !== null ? (message as { method?: unknown }).method : null;
    return typeof method === 'string' ? [method] : [];
  });
}

async function presentedRefreshToken(request: Request): Promise<string | undefined> {
  if (new URL(request.url).pathname !== '/token' || request.method !== 'POST') return undefined;
  const form = new URLSearchParams(await request.clone().text());
  return form.get('grant_type') === 'refresh_token' ? (form.get('refresh_token') ?? undefined) : undefined;
}

/** A 200 JSON response with its document changed by `edit` (other responses pass unchanged). */
async function editedJson(response: Response, edit: (document: Record<string, unknown>) => void): Promise<Response> {
  if (response.status !== 200) return response;
  const document = jsonObject(await response.clone().text());
  if (!document) return response;
  edit(document);
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  return Response.json(document, { status: 200, headers });
}

function scopeItems(scope: string | undefined): string[] {
  return (scope ?? '').split(' ').filter(Boolean);
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
