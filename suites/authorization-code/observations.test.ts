import { describe, expect, it } from 'vitest';
import { audiences, decodeAccessToken } from '../../harness/jwt.ts';
import type { Authorization } from '../../harness/oauth.ts';
import {
  extraPathSegment,
  extraQueryParameter,
  redirectedTo,
  redirectParameters,
  siblingPath,
} from './observations.ts';

const REGISTERED = 'http://127.0.0.1:5555/callback';

function redirectTo(url: string): Authorization {
  return {
    client: { client_id: 'c', redirect_uri: REGISTERED, auth: 'none', source: 'target' },
    request: new URL('https://as.example/authorize'),
    redirectUri: REGISTERED,
    response: { kind: 'redirect', url: new URL(url) },
  };
}

function jwt(header: object, claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part(claims)}.c2ln`;
}

describe('redirect URI variants', () => {
  it('differ from the registered URI in the named way', () => {
    expect(extraPathSegment(REGISTERED)).toBe('http://127.0.0.1:5555/callback/conformance-extra');
    expect(siblingPath(REGISTERED)).toBe('http://127.0.0.1:5555/conformance-other');
    expect(extraQueryParameter(REGISTERED)).toBe('http://127.0.0.1:5555/callback?conformance=extra');
  });
});

describe('redirectedTo', () => {
  it('ignores the response parameters the AS appended', () => {
    const variant = extraQueryParameter(REGISTERED);
    expect(redirectedTo(redirectTo(`${variant}&code=x&state=y&iss=z`), variant)).toBe(true);
  });

  it('tells the registered URI from a variant with an extra query parameter', () => {
    expect(redirectedTo(redirectTo(`${REGISTERED}?error=invalid_request`), extraQueryParameter(REGISTERED))).toBe(
      false,
    );
  });

  it('compares ports', () => {
    expect(redirectedTo(redirectTo('http://127.0.0.1:5556/callback?code=x'), REGISTERED)).toBe(false);
  });
});

describe('redirectParameters', () => {
  it('reads the query and the fragment', () => {
    const params = redirectParameters(redirectTo(`${REGISTERED}?state=s#access_token=t`));
    expect(params.get('state')).toBe('s');
    expect(params.get('access_token')).toBe('t');
  });
});

describe('decodeAccessToken', () => {
  it('decodes a signed JWT without verifying it', () => {
    const decoded = decodeAccessToken(jwt({ alg: 'ES256', typ: 'at+jwt' }, { aud: ['a', 'b'], sub: 'u' }));
    expect(decoded?.header.typ).toBe('at+jwt');
    expect(audiences(decoded!.claims)).toEqual(['a', 'b']);
  });

  it('answers undefined for opaque tokens', () => {
    expect(decodeAccessToken('2YotnFZFEjr1zCsicMWpAA')).toBeUndefined();
    expect(decodeAccessToken('a.b.c')).toBeUndefined();
  });
});
