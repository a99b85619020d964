import { check } from '../../harness/check.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply, type HttpReply, isJsonContentType, member } from '../../harness/http.ts';
import {
  type ClientMetadata,
  expectRegistrationError,
  publicClientMetadata,
  registeredClientId,
} from './client-metadata.ts';

/**
 * RFC 7591 §2: the AS may reject a requested value or replace it with a suitable one. A refusal must be 400
 * invalid_client_metadata; an acceptance must echo the replacement, never keep the invalid value.
 */
function expectRejectedOrReplaced(
  reply: HttpReply,
  stillInvalid: (registered: HttpReply) => string | undefined,
  why: string,
): string {
  if (!registeredClientId(reply)) return expectRegistrationError(reply, ['invalid_client_metadata'], why);
  const problem = stillInvalid(reply);
  expect.that(
    problem === undefined,
    `the AS registered the client and ${problem}; expected HTTP 400 error=invalid_client_metadata ` +
      `(or a replaced, valid value in the response, RFC 7591 §2). ${why}`,
  );
  return 'registered with the invalid value replaced by a valid one (RFC 7591 §2 allows this)';
}

function echoed(reply: HttpReply, name: string): string {
  const value = member(reply, name);
  return value === undefined ? `left ${name} out of the response` : `registered ${name}=${JSON.stringify(value)}`;
}

export const rejectsInconsistentTypes = check({
  id: 'registration.dcr-rejects-inconsistent-types',
  title: 'grant_types and response_types that contradict each other are refused',
  description:
    'RFC 7591 §2.1: a server SHOULD keep clients from registering an inconsistent grant_types/response_types pair ' +
    '(authorization_code goes with code), for example with invalid_client_metadata (§3.2.2).',
  requirements: ['R7591-ERR-METADATA'],
  level: 'SHOULD',
  needs: ['dcr'],
  async run({ oauth, target }) {
    const reply = await oauth.register(publicClientMetadata(target.redirectUri, { response_types: ['token'] }));
    return expectRejectedOrReplaced(
      reply,
      (registered) => {
        const responseTypes = member(registered, 'response_types');
        const consistent =
          Array.isArray(responseTypes) && responseTypes.includes('code') && !responseTypes.includes('token');
        return consistent ? undefined : echoed(registered, 'response_types');
      },
      'Response type "token" (implicit) is not part of OAuth 2.1, and it does not match the authorization_code grant',
    );
  },
});

export const rejectsUnknownAuthMethod = check({
  id: 'registration.dcr-rejects-unknown-auth-method',
  title: 'An unknown token_endpoint_auth_method is refused',
  description:
    'RFC 7591 §3.2.2: an unsupported token_endpoint_auth_method is an invalid metadata value (invalid_client_metadata).',
  requirements: ['R7591-ERR-METADATA'],
  level: 'MUST',
  needs: ['dcr'],
  async run({ oauth, target }) {
    const requested: ClientMetadata = { token_endpoint_auth_method: 'magic_handshake' };
    const reply = await oauth.register(publicClientMetadata(target.redirectUri, requested));
    return expectRejectedOrReplaced(
      reply,
      (registered) => {
        const method = member(registered, 'token_endpoint_auth_method');
        return typeof method === 'string' && method !== requested.token_endpoint_auth_method
          ? undefined
          : echoed(registered, 'token_endpoint_auth_method');
      },
      'A client registered with an authentication method the AS cannot perform cannot use the token endpoint',
    );
  },
});

/** The header that marks a response as storable by caches, if any (a 400 without such a header is not). */
function cacheableBy(headers: Headers): string | undefined {
  const cacheControl = headers.get('cache-control')?.toLowerCase() ?? '';
  if (/\bno-store\b/.test(cacheControl)) return undefined;
  if (/\bpublic\b/.test(cacheControl)) return `Cache-Control: ${cacheControl}`;
  const maxAge = /\b(?:s-)?max-age=(\d+)/.exec(cacheControl);
  if (maxAge && Number(maxAge[1]) > 0) return `Cache-Control: ${cacheControl}`;
  const expires = headers.get('expires');
  if (expires && Date.parse(expires) > Date.now()) return `Expires: ${expires}`;
  return undefined;
}

export const errorFormat = check({
  id: 'registration.dcr-error-format',
  title: 'Registration errors are HTTP 400 JSON {"error": …} and not cacheable',
  description:
    'RFC 7591 §3.2.2: an error response is HTTP 400 (unless specified otherwise) with a JSON object holding "error".',
  requirements: ['R7591-ERR-FORMAT'],
  level: 'MUST',
  needs: ['dcr'],
  async run({ oauth, skip }) {
    const reply = await oauth.register(publicClientMetadata('/callback'));
    if (registeredClientId(reply)) {
      skip('the AS registered a client with a relative redirect URI, so no error response could be observed');
    }
    const why = 'Clients read the error code from a JSON body to tell the user what to fix';
    expect.status(reply, 400, `RFC 7591 §3.2.2: registration errors are HTTP 400. ${why}`);
    expect.that(
      isJsonContentType(reply.headers),
      `the error is served as "${reply.headers.get('content-type')}"; RFC 7591 §3.2.2 requires application/json. ${why}`,
    );
    const error = member(reply, 'error');
    expect.that(typeof error === 'string', `the error body has no string "error" member: ${describeReply(reply)}`);
    const description = member(reply, 'error_description');
    expect.that(
      description === undefined || typeof description === 'string',
      `error_description is ${JSON.stringify(description)}; RFC 7591 §3.2.2 makes it a human-readable string`,
    );
    const cacheable = cacheableBy(reply.headers);
    expect.that(
      cacheable === undefined,
      `the error response is marked cacheable (${cacheable}); a cached registration answer would be served to ` +
        'other clients. Send Cache-Control: no-store',
    );
    return `HTTP 400 ${reply.headers.get('content-type')} error=${error}`;
  },
});

export const requiresJson = check({
  id: 'registration.dcr-requires-json',
  title: 'A form-encoded registration request is not accepted',
  description: 'RFC 7591 §3.1: the registration request is an HTTP POST with an application/json body.',
  requirements: ['R7591-POST-JSON'],
  level: 'MUST',
  needs: ['dcr'],
  async run({ oauth, target }) {
    const form = new URLSearchParams({
      client_name: 'form-encoded registration',
      redirect_uris: target.redirectUri,
      grant_types: 'authorization_code',
      response_types: 'code',
      token_endpoint_auth_method: 'none',
    });
    const reply = await oauth.register(undefined, {
      contentType: 'application/x-www-form-urlencoded',
      rawBody: form.toString(),
    });
    expect.that(
      registeredClientId(reply) === undefined,
      `a form-encoded body registered client ${String(member(reply, 'client_id'))}; RFC 7591 §3.1 defines only ` +
        'JSON bodies, and a form endpoint can be driven cross-site by a plain HTML form',
    );
    expect.that(
      reply.status >= 400 && reply.status < 500,
      `the form-encoded request answered ${describeReply(reply)}; expected a 4xx refusal (e.g. 400 or 415)`,
    );
    return `refused with HTTP ${reply.status}`;
  },
});
