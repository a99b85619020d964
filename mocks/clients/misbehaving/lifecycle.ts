import { deleteParameters, rewriteRequests, transformRequests } from './flaw-kit.ts';
import type { FlawDefinition } from './flaws.ts';

const isRefresh = (form: URLSearchParams) => form.get('grant_type') === 'refresh_token';

/** Misbehaving clients of the token lifecycle: scope selection, step-up, refresh tokens, recovery. */
export const LIFECYCLE_FLAWS = {
  /** Asks for the first of the metadata's scopes only (MCP "Scope Selection Strategy": all of scopes_supported). */
  'partial-scopes': rewriteRequests({
    authorization: (url) => {
      const first = url.searchParams.get('scope')?.split(' ')[0];
      if (first) url.searchParams.set('scope', first);
    },
  }),
  /** Guesses a scope where neither the challenge nor the metadata names one (it should omit `scope`). */
  'invents-scope': rewriteRequests({
    authorization: (url) => {
      if (!url.searchParams.get('scope')) url.searchParams.set('scope', 'mcp:tools');
    },
  }),
  /** Gives up on 403 insufficient_scope instead of stepping up (MCP "Step-Up Authorization Flow"). */
  'ignores-insufficient-scope': { quirk: 'ignores-insufficient-scope' },
  /** Steps up with the challenged scope alone, losing the scopes it held (SEP-2350: ask for the union). */
  'step-up-drops-scopes': { quirk: 'step-up-challenge-only' },
  /** Re-authorizes for every 403 insufficient_scope, without limit. */
  'no-step-up-limit': { quirk: 'no-retry-limit' },
  /** Asks for offline_access whether or not the AS metadata lists it (SEP-2207). */
  'requests-unsupported-offline-access': rewriteRequests({
    authorization: (url) => {
      const scopes = (url.searchParams.get('scope') ?? '').split(' ').filter(Boolean);
      url.searchParams.set('scope', [...scopes, 'offline_access'].join(' '));
    },
  }),
  /** Registers for authorization_code only although it wants refresh tokens (MCP "Refresh Tokens"). */
  'no-refresh-grant-type': transformRequests((url, init) => {
    if (!url.pathname.endsWith('/register') || typeof init.body !== 'string') return init;
    const metadata = JSON.parse(init.body) as Record<string, unknown>;
    return { ...init, body: JSON.stringify({ ...metadata, grant_types: ['authorization_code'] }) };
  }),
  /** Sends the user through /authorize again when its token expires, though it holds a refresh token. */
  'relogs-instead-of-refresh': { quirk: 'no-refresh' },
  /** Keeps presenting its first refresh token after the AS rotated it (OAuth 2.1 §4.3.3). */
  'reuses-refresh-token': (fetch) => {
    let first: string | null = null;
    return rewriteRequests({
      token: (form) => {
        if (!isRefresh(form)) return;
        first ??= form.get('refresh_token');
        if (first !== null) form.set('refresh_token', first);
      },
    })(fetch);
  },
  /** Leaves `resource` out of its refresh token requests (RFC 8707 §2.2). */
  'refresh-without-resource': rewriteRequests({
    token: (form) => {
      if (isRefresh(form)) deleteParameters(form, ['resource']);
    },
  }),
  /** Exits on 401 invalid_token instead of getting a new token. */
  'gives-up-on-invalid-token': { quirk: 'no-token-recovery' },
  /** Sends the rejected access token once more before replacing it (RFC 6750 §3.1: an invalid token is dead). */
  'retries-rejected-token': { quirk: 'retries-rejected-token' },
} satisfies Record<string, FlawDefinition>;
