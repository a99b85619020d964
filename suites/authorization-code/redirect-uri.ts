import { check } from '../../harness/check.ts';
import { expect } from '../../harness/expect.ts';
import type { OAuthClient } from '../../harness/oauth.ts';
import { summarizeAuthorization } from '../../harness/oauth.ts';
import {
  ATTACKER_REDIRECT_URI,
  extraPathSegment,
  extraQueryParameter,
  redirectedTo,
  siblingPath,
} from './observations.ts';

export const redirectUriExact = check({
  id: 'authorization-code.redirect-uri-exact',
  title: 'Variants of the registered redirect URI are refused without redirecting',
  description:
    'OAuth 2.1 §4.1.1 and RFC 9700 §4.1.3: redirect URIs are compared with the registered ones by exact string ' +
    'match; a prefix or pattern match lets an attacker receive codes at a URI the client never registered.',
  requirements: ['OA21-REDIRECT-REGISTER', 'AS-REDIRECT-EXACT', 'BCP-REDIRECT-EXACT'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run({ oauth }) {
    const client = await oauth.publicClient();
    const variants: Array<[string, string]> = [
      ['an extra path segment', extraPathSegment(client.redirect_uri)],
      ['a different path', siblingPath(client.redirect_uri)],
      ['an extra query parameter', extraQueryParameter(client.redirect_uri)],
    ];
    for (const [difference, variant] of variants) {
      const authorization = await oauth.authorize({ client, redirectUri: variant });
      const misdirected = redirectedTo(authorization, variant) || authorization.code !== undefined;
      expect.that(
        !misdirected,
        `redirect_uri=${variant} (the registered ${client.redirect_uri} with ${difference}) was accepted: ` +
          `${summarizeAuthorization(authorization)} to ${authorization.response.kind === 'redirect' ? authorization.response.url.href : '?'}. ` +
          'Compare redirect URIs with the registered ones by exact string match and show an error page otherwise',
      );
    }
    return `all ${variants.length} variants (extra path segment, different path, extra query) were refused`;
  },
});

export const noRedirectToUnregistered = check({
  id: 'authorization-code.no-redirect-to-unregistered',
  title: 'An unregistered redirect URI gets an error page, not a redirect',
  description:
    'OAuth 2.1 §4.1.2.1: with an invalid redirect URI the AS informs the user and MUST NOT redirect there, or it ' +
    'becomes an open redirector.',
  requirements: ['OA21-NO-REDIRECT-INVALID', 'AS-REDIRECT-UNTRUSTED', 'BCP-NO-OPEN-REDIRECT'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run({ oauth }) {
    const authorization = await oauth.authorize({ redirectUri: ATTACKER_REDIRECT_URI });
    return expect.noRedirect(
      authorization,
      `${ATTACKER_REDIRECT_URI} is not registered for the client; redirecting there (even with an error) turns ` +
        'the authorization endpoint into an open redirector usable for phishing',
    );
  },
});

export const noRedirectForUnknownClient = check({
  id: 'authorization-code.no-redirect-for-unknown-client',
  title: 'An unknown client_id gets an error page, not a redirect',
  description:
    'OAuth 2.1 §4.1.2.1: with an invalid client_id the redirect URI cannot be verified, so the AS MUST NOT redirect.',
  requirements: ['OA21-NO-REDIRECT-INVALID', 'BCP-NO-OPEN-REDIRECT'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run({ oauth }) {
    const stranger: OAuthClient = {
      client_id: `conformance-unknown-client-${crypto.randomUUID()}`,
      redirect_uri: ATTACKER_REDIRECT_URI,
      auth: 'none',
      source: 'target',
    };
    const authorization = await oauth.authorize({ client: stranger });
    return expect.noRedirect(
      authorization,
      'nobody registered this client_id, so its redirect_uri is unverified; redirecting there makes an open redirector',
    );
  },
});

/** An http loopback IP redirect URI (OAuth 2.1 §8.4.2), whose port the native app picks at request time. */
function isLoopbackIpRedirect(uri: string): boolean {
  const url = new URL(uri);
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === '[::1]');
}

function withOtherPort(uri: string): string {
  const url = new URL(uri);
  const port = Number(url.port || 80);
  url.port = String(port >= 65535 ? 49152 : port + 1);
  return url.href;
}

export const loopbackAnyPort = check({
  id: 'authorization-code.loopback-any-port',
  title: 'A loopback IP redirect URI is accepted on any port',
  description:
    'OAuth 2.1 §4.1.1 and §8.4.2: for http://127.0.0.1 and http://[::1] redirect URIs the AS allows any port at ' +
    'request time, since native apps get an ephemeral port from the OS.',
  requirements: ['OA21-LOOPBACK-PORT'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run({ oauth, skip }) {
    const client = await oauth.publicClient();
    if (!isLoopbackIpRedirect(client.redirect_uri)) {
      return skip(`the public client's redirect URI ${client.redirect_uri} is not an http loopback IP URI`);
    }
    const otherPort = withOtherPort(client.redirect_uri);
    const authorization = await oauth.authorize({ client, redirectUri: otherPort });
    expect.that(
      authorization.code !== undefined && redirectedTo(authorization, otherPort),
      `the registered ${client.redirect_uri} on another port (${otherPort}) was refused: ` +
        `${summarizeAuthorization(authorization)}. Native apps listen on an ephemeral port; compare loopback IP ` +
        'redirect URIs without the port',
    );
    return `${otherPort} was accepted and received the code`;
  },
});
