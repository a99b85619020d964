import { randomInt } from 'node:crypto';
import { type Check, check } from '../../harness/check.ts';
import { expectRegistered, expectRegistrationError, publicClientMetadata } from './client-metadata.ts';

interface InvalidRedirectCase {
  name: string;
  title: string;
  redirectUri: string;
  requirements: string[];
  /** Why the AS must refuse it, for the failure message. */
  why: string;
  /** Registered once per application type (RFC 7591 §2 / OIDC Registration); each must be refused. */
  applicationTypes?: readonly ('native' | 'web')[];
}

/** One check per kind of redirect URI the AS must refuse with invalid_redirect_uri (RFC 7591 §3.2.2). */
function rejectsInvalidRedirect(invalid: InvalidRedirectCase): Check {
  return check({
    id: `registration.${invalid.name}`,
    title: invalid.title,
    description: `RFC 7591 §3.2.2: an invalid redirect URI is refused with 400 invalid_redirect_uri. ${invalid.why}`,
    requirements: invalid.requirements,
    level: 'MUST',
    needs: ['dcr'],
    async run({ oauth }) {
      const observed: string[] = [];
      for (const applicationType of invalid.applicationTypes ?? ['native']) {
        const reply = await oauth.register(
          publicClientMetadata(invalid.redirectUri, { application_type: applicationType }),
        );
        const why = `${invalid.why} (registered with application_type "${applicationType}")`;
        observed.push(`${applicationType}: ${expectRegistrationError(reply, ['invalid_redirect_uri'], why)}`);
      }
      return `${invalid.redirectUri}: ${observed.join('; ')}`;
    },
  });
}

export const rejectsHttpRedirect = rejectsInvalidRedirect({
  name: 'dcr-rejects-http-redirect',
  title: 'An http redirect URI on a non-loopback host is refused',
  redirectUri: 'http://app.example.com/callback',
  requirements: ['R7591-ERR-REDIRECT', 'BCP-HTTP-REDIRECT', 'CL-REDIRECT-LOCALHOST-HTTPS'],
  why: 'Redirect URIs are https or loopback (OAuth 2.1 §1.5, RFC 9700 §2.6); over plain http the code can be read in transit.',
  applicationTypes: ['native', 'web'],
});

export const rejectsFragmentRedirect = rejectsInvalidRedirect({
  name: 'dcr-rejects-fragment-redirect',
  title: 'A redirect URI with a fragment is refused',
  redirectUri: 'https://app.example.com/cb#x',
  requirements: ['R7591-ERR-REDIRECT'],
  why: 'A redirect URI must not include a fragment (OAuth 2.1 §2.3); the response parameters would be lost or mixed.',
});

export const rejectsRelativeRedirect = rejectsInvalidRedirect({
  name: 'dcr-rejects-relative-redirect',
  title: 'A relative redirect URI is refused',
  redirectUri: '/callback',
  requirements: ['R7591-ERR-REDIRECT'],
  why: 'A redirect URI must be absolute (OAuth 2.1 §2.3); a relative one would resolve against the AS itself.',
});

export const requiresRedirectUris = check({
  id: 'registration.dcr-requires-redirect-uris',
  title: 'An authorization_code client without redirect_uris is refused',
  description: 'RFC 7591 §2: clients using redirect-based grants must register redirect_uris.',
  requirements: ['R7591-REDIRECT-REQUIRED'],
  level: 'MUST',
  needs: ['dcr'],
  async run({ oauth, target }) {
    const reply = await oauth.register(publicClientMetadata(target.redirectUri, { redirect_uris: undefined }));
    return expectRegistrationError(
      reply,
      ['invalid_redirect_uri', 'invalid_client_metadata'],
      'Without registered redirect URIs the AS cannot compare the redirect_uri of an authorization request exactly',
    );
  },
});

export const acceptsLoopbackRedirect = check({
  id: 'registration.dcr-loopback-redirect',
  title: 'A native client may register an http://127.0.0.1:<port> redirect URI',
  description:
    'OAuth 2.1 §8.4.2: native apps receive the response on a loopback port over http; MCP desktop clients do so.',
  requirements: ['OA21-LOOPBACK-PORT', 'AS-DCR-OIDC-APPTYPE'],
  level: 'MUST',
  needs: ['dcr'],
  async run({ oauth }) {
    const redirectUri = `http://127.0.0.1:${randomInt(49152, 65535)}/callback`;
    const reply = await oauth.register(publicClientMetadata(redirectUri));
    const clientId = expectRegistered(
      reply,
      'Loopback http redirect URIs are how native MCP clients receive the authorization response (OAuth 2.1 §8.4.2); ' +
        'accept them for application_type "native"',
    );
    return `${redirectUri} registered (client_id ${clientId})`;
  },
});
