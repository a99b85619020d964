import type { Fetch } from '../../../harness/network/types.ts';
import type { FlawDefinition } from './flaws.ts';

/** How the identity flaws see an authorization response: its issuer as the client recorded it, and the redirect. */
interface CallbackRewrite {
  /** The AS metadata the client read (the issuer and whether it advertises iss support). */
  metadata: { issuer?: string; advertisesIss: boolean };
  /** The Location of a redirect carrying a code, changed in place before the client reads it. */
  location: URL;
}

/** The client's fetch with every code-bearing redirect handed to `rewrite`, knowing the AS metadata read before it. */
function rewritingCallbacks(rewrite: (seen: CallbackRewrite) => void): (fetch: Fetch) => Fetch {
  return (fetch) => {
    const metadata: CallbackRewrite['metadata'] = { advertisesIss: false };
    return async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : input.toString());
      const response = await fetch(input, init);
      if (url.pathname.startsWith('/.well-known/oauth-authorization-server') && response.ok) {
        const document = (await response.clone().json()) as Record<string, unknown>;
        metadata.issuer = typeof document.issuer === 'string' ? document.issuer : undefined;
        metadata.advertisesIss = document.authorization_response_iss_parameter_supported === true;
      }
      const location = response.headers.get('location');
      if (!location || !URL.canParse(location, url)) return response;
      const target = new URL(location, url);
      if (!target.searchParams.has('code')) return response;
      rewrite({ metadata, location: target });
      const headers = new Headers(response.headers);
      headers.set('location', target.href);
      return new Response(response.body, { status: response.status, headers });
    };
  };
}

/** The AS metadata without its Client ID Metadata Document flag, as a client that never looks for it would read it. */
const blindToCimd =
  (fetch: Fetch): Fetch =>
  async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const response = await fetch(input, init);
    if (!url.pathname.startsWith('/.well-known/oauth-authorization-server') || !response.ok) return response;
    const document = (await response.json()) as Record<string, unknown>;
    delete document.client_id_metadata_document_supported;
    return Response.json(document, { status: response.status });
  };

/** Follows redirects itself, carrying every header (Authorization too) to wherever the Location points. */
const forwardsAuthorizationOnRedirect =
  (fetch: Fetch): Fetch =>
  async (input, init) => {
    if (input instanceof Request || !new Headers(init?.headers).has('authorization')) return fetch(input, init);
    const response = await fetch(input, { ...init, redirect: 'manual' });
    const location = response.headers.get('location');
    if (![307, 308].includes(response.status) || !location) return response;
    return fetch(new URL(location, input.toString()), init);
  };

/** Misbehaving clients of the identity group: how the client chooses, keeps and protects who it is. */
export const IDENTITY_FLAWS = {
  /** Registers dynamically although the AS supports Client ID Metadata Documents (MCP "Client Registration Approaches"). */
  'dcr-despite-cimd': blindToCimd,
  /** Accepts an authorization response without iss from an AS that advertises iss support (violates RFC 9207 §2.4). */
  'accepts-missing-iss': rewritingCallbacks(({ metadata, location }) => {
    if (!location.searchParams.has('iss') && metadata.issuer) location.searchParams.set('iss', metadata.issuer);
  }),
  /** Compares iss only when the AS advertises support (violates MCP "Authorization Response Validation"). */
  'ignores-unadvertised-iss': rewritingCallbacks(({ metadata, location }) => {
    if (!metadata.advertisesIss) location.searchParams.delete('iss');
  }),
  /** Normalizes iss (a trailing slash, case, default port) before comparing (violates RFC 9207 §2.4). */
  'normalizes-iss': rewritingCallbacks(({ metadata, location }) => {
    const iss = location.searchParams.get('iss');
    if (iss && metadata.issuer && URL.canParse(iss) && new URL(iss).href === new URL(metadata.issuer).href) {
      location.searchParams.set('iss', metadata.issuer);
    }
  }),
  /** Refuses any authorization response without iss, even from an AS that does not advertise it (RFC 9207 §2.4). */
  'requires-iss': rewritingCallbacks(({ location }) => {
    if (!location.searchParams.has('iss')) location.searchParams.delete('code');
  }),
  /** Keeps one set of client credentials for every AS (violates MCP "Authorization Server Binding"). */
  'reuses-credentials-across-as': { quirk: 'reuses-credentials-across-as' },
  /** Repeats a refused registration request again and again (20 times) before giving up. */
  'retries-registration-forever': { quirk: 'retries-registration-forever' },
  /** Goes on to /authorize with a made-up client_id after its registration was refused. */
  'invents-client-id-after-registration-error': { quirk: 'invents-client-id-after-registration-error' },
  /** Stops after a refused registration with "something went wrong", hiding the AS's error. */
  'hides-registration-error': { quirk: 'hides-registration-error' },
  /** Re-sends its Authorization header when the MCP server redirects it to another origin (RFC 6750 §5.3). */
  'forwards-token-on-redirect': forwardsAuthorizationOnRedirect,
} satisfies Record<string, FlawDefinition>;
