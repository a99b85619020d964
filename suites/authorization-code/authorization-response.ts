import { check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import type { Authorization } from '../../harness/oauth.ts';
import {
  errorRedirect,
  issParameter,
  redirectParameters,
  successfulAuthorization,
  UNSUPPORTED_RESPONSE_TYPE,
  unsupportedResponseType,
} from './observations.ts';

function expectStateEchoed(authorization: Authorization, which: string): string {
  const returned = authorization.params?.get('state');
  expect.that(
    returned !== null && returned !== undefined,
    `the ${which} redirect carries no state (sent state=${authorization.state}); OAuth 2.1 §4.1.2 requires it ` +
      'exactly as received, or the client cannot tie the response to its request (CSRF protection)',
  );
  expect.that(
    returned === authorization.state,
    `the ${which} redirect returned state=${JSON.stringify(returned)}, but state=${JSON.stringify(authorization.state)} ` +
      'was sent; return it byte for byte',
  );
  return `the ${which} redirect returned state exactly as sent`;
}

export const stateReturned = check({
  id: 'authorization-code.state-returned',
  title: 'The success redirect returns state exactly as sent',
  description: 'OAuth 2.1 §4.1.2: state is REQUIRED in the authorization response when the request carried it.',
  requirements: ['OA21-STATE-ECHO'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run(ctx) {
    return expectStateEchoed(await successfulAuthorization(ctx.oauth), 'success');
  },
});

export const stateReturnedOnError = check({
  id: 'authorization-code.state-returned-on-error',
  title: 'An error redirect returns state exactly as sent',
  description:
    'OAuth 2.1 §4.1.2.1: errors about anything but the client or redirect URI are redirected with error and state.',
  requirements: ['OA21-STATE-ECHO', 'OA21-AUTHZ-ERRORS'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run(ctx) {
    const authorization = await unsupportedResponseType(ctx.oauth);
    expect.that(
      authorization.response.kind === 'redirect',
      `response_type=${UNSUPPORTED_RESPONSE_TYPE} from a valid client with its registered redirect URI was answered ` +
        `with a page (HTTP ${authorization.response.kind === 'no-redirect' ? authorization.response.status : '?'}); ` +
        'OAuth 2.1 §4.1.2.1 redirects such errors (unsupported_response_type) back to the client with state',
    );
    expect.that(
      !authorization.code,
      `response_type=${UNSUPPORTED_RESPONSE_TYPE} was answered with a code; expected error=unsupported_response_type`,
    );
    return expectStateEchoed(authorization, 'error');
  },
});

export const issReturned = check({
  id: 'authorization-code.iss-returned',
  title: 'The success redirect carries iss',
  description: 'RFC 9207 §2: the AS adds its issuer identifier as iss to authorization responses (mix-up defence).',
  requirements: ['R9207-AS-ISS', 'AS-ISS-PARAM'],
  level: 'SHOULD',
  needs: ['authorization-code'],
  async run({ oauth }) {
    const iss = issParameter(await successfulAuthorization(oauth));
    expect.that(
      iss !== undefined,
      'the success redirect has no iss parameter; add iss=<issuer> (RFC 9207) so clients talking to several ' +
        'authorization servers can tell which one answered (mix-up attacks)',
    );
    return `iss=${iss}`;
  },
});

export const issReturnedOnError = check({
  id: 'authorization-code.iss-returned-on-error',
  title: 'An error redirect carries iss',
  description: 'RFC 9207 §2: iss is included in all authorization responses, error responses too.',
  requirements: ['R9207-AS-ISS', 'AS-ISS-PARAM'],
  level: 'SHOULD',
  needs: ['authorization-code'],
  async run({ oauth }) {
    const authorization = await errorRedirect(oauth);
    const iss = issParameter(authorization);
    expect.that(
      iss !== undefined,
      `the error redirect (error=${authorization.error}) has no iss parameter; RFC 9207 §2 adds iss to error ` +
        'responses as well, or a client cannot tell which authorization server sent the error',
    );
    return `error=${authorization.error} came with iss=${iss}`;
  },
});

/** The iss values an AS sent on a success and on an error redirect (none when it sends no iss at all). */
async function observedIssValues({ oauth }: CheckContext): Promise<Array<[string, string]>> {
  const success = issParameter(await successfulAuthorization(oauth));
  const failure = await unsupportedResponseType(oauth);
  const error = failure.error ? issParameter(failure) : undefined;
  const values: Array<[string, string]> = [];
  if (success !== undefined) values.push(['success', success]);
  if (error !== undefined) values.push(['error', error]);
  return values;
}

/** RFC 9207 §2: an https URL without query or fragment (http only where the target allows insecure transport). */
function issFormatProblem(iss: string, allowHttp: boolean): string | undefined {
  if (!URL.canParse(iss)) return 'is not an absolute URL';
  const url = new URL(iss);
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) return 'does not use https';
  if (url.search || iss.includes('?')) return 'has a query';
  if (url.hash || iss.includes('#')) return 'has a fragment';
  return undefined;
}

export const issMatchesIssuer = check({
  id: 'authorization-code.iss-matches-issuer',
  title: 'iss, when sent, is identical to the metadata issuer',
  description:
    'RFC 9207 §2 and §2.3: iss is the issuer identifier, the exact string of the metadata issuer; clients compare ' +
    'by simple string comparison and reject the response on any difference.',
  requirements: ['R9207-META-EQ', 'R9207-ISS-FORMAT'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run(ctx) {
    const { metadata } = await ctx.discovery.authorizationServerMetadata();
    const values = await observedIssValues(ctx);
    if (values.length === 0) return ctx.skip('the AS sends no iss in authorization responses');
    for (const [which, iss] of values) {
      expect.that(
        iss === metadata.issuer,
        `the ${which} redirect carries iss=${JSON.stringify(iss)} but the metadata issuer is ` +
          `${JSON.stringify(metadata.issuer)}; clients compare them as strings and discard the response (and its ` +
          'code). Send the issuer identifier exactly',
      );
      const problem = issFormatProblem(iss, ctx.target.allowInsecureHttp);
      expect.that(problem === undefined, `iss=${JSON.stringify(iss)} ${problem}; RFC 9207 §2 forbids it`);
    }
    return `iss = metadata issuer (${values.map(([which]) => which).join(' and ')} redirect)`;
  },
});

export const issAdvertised = check({
  id: 'authorization-code.iss-advertised',
  title: 'An AS that sends iss advertises authorization_response_iss_parameter_supported',
  description: 'RFC 9207 §2.3: a server that includes iss sets authorization_response_iss_parameter_supported: true.',
  requirements: ['R9207-META-FLAG', 'AS-ISS-ADVERTISE'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run(ctx) {
    const values = await observedIssValues(ctx);
    if (values.length === 0) return ctx.skip('the AS sends no iss in authorization responses');
    const { metadata } = await ctx.discovery.authorizationServerMetadata();
    const flag = metadata.authorization_response_iss_parameter_supported;
    expect.that(
      flag === true,
      `the AS sends iss but its metadata has authorization_response_iss_parameter_supported=${JSON.stringify(flag)}; ` +
        'set it to true, so clients know to require iss and reject responses that lack it',
    );
    return 'iss sent and authorization_response_iss_parameter_supported: true';
  },
});

export const rejectsImplicit = check({
  id: 'authorization-code.rejects-implicit',
  title: 'response_type=token is refused; no token leaves the authorization endpoint',
  description:
    'OAuth 2.1 §10.1 drops the implicit grant; response_type=token is refused with an error response (§4.1.2.1: ' +
    'unsupported_response_type, or invalid_request for an invalid parameter value), never with a token.',
  requirements: ['OA21-AUTHZ-ERRORS', 'BCP-NO-IMPLICIT'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run({ oauth }) {
    const authorization = await oauth.authorize({ responseType: 'token' });
    const leaked = redirectParameters(authorization).get('access_token');
    expect.that(
      !leaked,
      'response_type=token was answered with an access token in the redirect; the implicit grant exposes tokens ' +
        'in browser history and referrers and is gone from OAuth 2.1. Refuse it with unsupported_response_type',
    );
    return expect.authorizationRefused(
      authorization,
      ['unsupported_response_type', 'unauthorized_client', 'invalid_request'],
      'OAuth 2.1 supports only response_type=code',
    );
  },
});
