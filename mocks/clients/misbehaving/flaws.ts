import { createHash, randomBytes } from 'node:crypto';
import type { Fetch } from '../../../harness/network/types.ts';
import { DISCOVERY_FLAWS } from './discovery.ts';
import { deleteParameters, PRM_PATH_PREFIX, rewriteRequests, rewriteResponses, transformRequests } from './flaw-kit.ts';
import { IDENTITY_FLAWS } from './identity.ts';
import { LIFECYCLE_FLAWS } from './lifecycle.ts';
import { MACHINE_FLAWS } from './machine.ts';

/**
 * Misbehaving clients: the good client with one flaw planted in what it sends. Each flaw rewrites the client's own
 * outgoing requests, so everything else it does stays correct and only the named check can fail.
 */
/**
 * A planted flaw: a rewrite of the good client's fetch, or a named quirk its journey steps switch on (for a deviation
 * that is a decision, not a rewritten message: e.g. retrying without limit).
 */
export type FlawDefinition = ((fetch: Fetch) => Fetch) | { quirk: string };

export const FLAWS = {
  /** Sends neither code_challenge nor code_verifier (violates OAuth 2.1 §7.5.2). */
  'no-pkce': rewriteRequests({
    authorization: (url) => deleteParameters(url.searchParams, ['code_challenge', 'code_challenge_method']),
    token: (form) => deleteParameters(form, ['code_verifier']),
  }),
  /** Leaves `resource` out of the token request (violates RFC 8707 §2.2 and MCP "Resource Parameter"). */
  'drops-resource': rewriteRequests({ token: (form) => deleteParameters(form, ['resource']) }),
  /** Repeats the access token in the MCP URL's query string (violates OAuth 2.1 §5.1). */
  'token-in-query': rewriteRequests({
    mcp: (url, authorization) => {
      const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      if (token) url.searchParams.set('access_token', token);
    },
  }),
  /** Asks for every scope the metadata lists instead of the one the challenge named (MCP "Scope Selection Strategy"). */
  'ignores-challenge-scope': rewriteRequests({
    authorization: (url) => {
      if (url.searchParams.has('scope')) url.searchParams.set('scope', 'mcp:tools mcp:admin');
    },
  }),
  /** Repeats the Basic credentials' secret as client_secret in the token request body (violates OAuth 2.1 §2.4.1). */
  'secret-in-both': (fetch) => async (input, init) => {
    const basic = /^Basic\s+(\S+)$/i.exec(new Headers(init?.headers).get('authorization') ?? '')?.[1];
    if (!basic || !String(input).endsWith('/token')) return fetch(input, init);
    const form = new URLSearchParams(String(init?.body ?? ''));
    form.set('client_secret', decodeURIComponent(atob(basic).split(':')[1] ?? ''));
    return fetch(input, { ...init, body: form });
  },
  /** Takes any authorization response for the answer to its request, whatever its state (violates OAuth 2.1 §2.3.3). */
  'ignores-state': (fetch) => {
    let sent: string | null = null;
    return rewriteResponses(fetch, {
      authorization: (url) => {
        sent = url.searchParams.get('state');
      },
      callback: (location) => {
        if (sent !== null) location.searchParams.set('state', sent);
      },
    });
  },
  /** Takes any authorization response for its AS's, whatever its iss (violates RFC 9207 §2.4). */
  'ignores-iss': (fetch) => {
    let issuer: string | undefined;
    return rewriteResponses(fetch, {
      authorization: (url) => {
        issuer = url.origin;
      },
      callback: (location) => {
        if (issuer !== undefined && location.searchParams.has('iss')) location.searchParams.set('iss', issuer);
      },
    });
  },
  /** Uses protected resource metadata whatever resource it names (violates RFC 9728 §3.3). */
  'ignores-resource-mismatch': (fetch) =>
    rewriteResponses(fetch, {
      resourceMetadata: (url, document) => {
        document.resource = `${url.origin}${url.pathname.slice(PRM_PATH_PREFIX.length) || '/'}`;
      },
    }),
  /** Sends no state in the authorization request (CL-STATE). */
  'no-state': rewriteRequests({ authorization: (url) => deleteParameters(url.searchParams, ['state']) }),
  /** Redeems the code with another code_verifier than the one its challenge came from (RFC 7636 §4.5). */
  'wrong-verifier': rewriteRequests({
    token: (form) => {
      if (form.has('code_verifier')) form.set('code_verifier', randomBytes(32).toString('base64url'));
    },
  }),
  /** Uses code_challenge_method=plain, the verifier itself as the challenge (OAuth 2.1 §4.1.1: S256 when it can). */
  'plain-pkce': (fetch) => {
    const verifier = randomBytes(32).toString('base64url');
    return substitutedVerifier(verifier, { code_challenge: verifier, code_challenge_method: 'plain' })(fetch);
  },
  /** A constant, patterned code_verifier of valid length (RFC 7636 §7.1: high entropy). */
  'predictable-verifier': substitutedVerifier('abcd'.repeat(11)),
  /** A 20-character code_verifier (RFC 7636 §4.1: at least 43). */
  'short-verifier': substitutedVerifier(randomBytes(15).toString('base64url')),
  /** Leaves `resource` out of the authorization request (RFC 8707 §2.1, MCP "Resource Parameter"). */
  'drops-resource-in-authorization': rewriteRequests({
    authorization: (url) => deleteParameters(url.searchParams, ['resource']),
  }),
  /** Adds a client_secret to the token request although it registered as a public client (`none`). */
  'secret-for-public-client': rewriteRequests({ token: (form) => form.set('client_secret', 'not-a-secret') }),
  /** Sends notifications/initialized without its token (violates "every request", CL-BEARER-EVERY-REQUEST). */
  'unauthenticated-notification': transformRequests((_url, init) => {
    if (!String(init.body ?? '').includes('notifications/initialized')) return init;
    const headers = new Headers(init.headers);
    headers.delete('authorization');
    return { ...init, headers };
  }),
  /** Registers a plain-http, non-loopback redirect URI (CL-REDIRECT-LOCALHOST-HTTPS: loopback or https only). */
  'http-redirect-uri': transformRequests((url, init) => {
    if (!url.pathname.endsWith('/register') || typeof init.body !== 'string') return init;
    const metadata = JSON.parse(init.body) as Record<string, unknown>;
    return { ...init, body: JSON.stringify({ ...metadata, redirect_uris: ['http://client.example/callback'] }) };
  }),
  /** Guesses the AS metadata's place instead of reading it at the issuer's well-known URL (RFC 8414 §3). */
  'skips-as-metadata': transformRequests((url, init) => {
    if (url.pathname.startsWith('/.well-known/oauth-authorization-server')) url.pathname = '/.well-known/as-metadata';
    if (url.pathname.startsWith('/.well-known/openid-configuration')) url.pathname = '/.well-known/as-metadata';
    return init;
  }),
  /** Looks for protected resource metadata at the root well-known URL, not where the 401 pointed (RFC 9728 §5.1). */
  'ignores-challenge-pointer': transformRequests((url, init) => {
    if (url.pathname.startsWith(PRM_PATH_PREFIX)) url.pathname = PRM_PATH_PREFIX;
    return init;
  }),
  ...IDENTITY_FLAWS,
  ...LIFECYCLE_FLAWS,
  ...DISCOVERY_FLAWS,
  ...MACHINE_FLAWS,
} satisfies Record<string, FlawDefinition>;

/** The client's own PKCE pair replaced by `verifier` (its S256 challenge, or the parameters given). */
function substitutedVerifier(
  verifier: string,
  challenge: Record<string, string> = {
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  },
): (fetch: Fetch) => Fetch {
  return rewriteRequests({
    authorization: (url) => {
      for (const [name, value] of Object.entries(challenge)) url.searchParams.set(name, value);
    },
    token: (form) => {
      if (form.has('code_verifier')) form.set('code_verifier', verifier);
    },
  });
}

export type Flaw = keyof typeof FLAWS;

export function isFlaw(name: string): name is Flaw {
  return Object.hasOwn(FLAWS, name);
}
