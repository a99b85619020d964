import { check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { type HttpReply, isJsonContentType, member } from '../../harness/http.ts';
import { successfulAuthorization } from './observations.ts';

function hasNoStore(reply: HttpReply): boolean {
  const directives = (reply.headers.get('cache-control') ?? '').split(',');
  return directives.some((directive) => directive.trim().toLowerCase() === 'no-store');
}

export const tokenResponse = check({
  id: 'authorization-code.token-response',
  title: 'The token response is JSON with access_token and token_type Bearer, never cached',
  description:
    'OAuth 2.1 §3.2.3: 200 application/json with access_token and token_type (case-insensitive); responses ' +
    'containing tokens carry Cache-Control: no-store.',
  requirements: ['OA21-TOKEN-RESPONSE'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run({ oauth }) {
    const { reply, tokenType } = await oauth.obtainTokens();
    expect.that(
      isJsonContentType(reply.headers),
      `the token response is served as "${reply.headers.get('content-type')}"; it must be application/json`,
    );
    expect.that(
      tokenType.toLowerCase() === 'bearer',
      `token_type is ${JSON.stringify(member(reply, 'token_type'))}; a plain code flow issues "Bearer" tokens`,
    );
    const expiresIn = member(reply, 'expires_in');
    expect.that(
      expiresIn === undefined || (typeof expiresIn === 'number' && expiresIn > 0),
      `expires_in is ${JSON.stringify(expiresIn)}; when present it is a positive number of seconds`,
    );
    expect.that(
      hasNoStore(reply),
      `the token response has Cache-Control: ${JSON.stringify(reply.headers.get('cache-control'))}; responses ` +
        'containing tokens must carry Cache-Control: no-store so no proxy or browser cache keeps them',
    );
    return 'application/json, token_type Bearer, Cache-Control: no-store';
  },
});

export const tokenErrorFormat = check({
  id: 'authorization-code.token-error-format',
  title: 'A bogus code is refused with 400 JSON invalid_grant',
  description: 'OAuth 2.1 §3.2.4: token errors are HTTP 400 with an application/json body naming the error.',
  requirements: ['OA21-TOKEN-ERRORS'],
  level: 'MUST',
  needs: ['authorization-code'],
  async run({ oauth }) {
    const client = await oauth.publicClient();
    const reply = await oauth.tokenRequest(
      {
        grant_type: 'authorization_code',
        code: `conformance-bogus-code-${crypto.randomUUID()}`,
        redirect_uri: client.redirect_uri,
        code_verifier: `conformance-verifier-${crypto.randomUUID()}`,
      },
      client,
    );
    const observed = expect.tokenError(
      reply,
      ['invalid_grant'],
      'clients branch on the error code; a code the AS never issued is invalid_grant',
    );
    // The no-store header appears in OAuth 2.1 §3.2.4's example only, so it is reported, not required.
    return `${observed}${hasNoStore(reply) ? ', Cache-Control: no-store' : ' (without Cache-Control: no-store)'}`;
  },
});

/** A code issued to the confidential client (authorization through the user agent, as any code). */
async function confidentialClientCode(ctx: CheckContext) {
  const client = await ctx.oauth.confidentialClient();
  return successfulAuthorization(ctx.oauth, { client });
}

export const invalidClient401 = check({
  id: 'authorization-code.invalid-client-401',
  title: 'Failed HTTP Basic client authentication answers 401 invalid_client with WWW-Authenticate',
  description:
    'OAuth 2.1 §3.2.4: when the client authenticated through the Authorization header, invalid_client is HTTP 401 ' +
    'with a WWW-Authenticate header for the scheme used.',
  requirements: ['OA21-TOKEN-ERRORS'],
  level: 'MUST',
  needs: ['authorization-code', 'confidential-client'],
  async run(ctx) {
    const { metadata } = await ctx.discovery.authorizationServerMetadata();
    const methods = metadata.token_endpoint_auth_methods_supported;
    if (Array.isArray(methods) && !methods.includes('client_secret_basic')) {
      ctx.skip(
        `the AS does not offer client_secret_basic (token_endpoint_auth_methods_supported = ${JSON.stringify(methods)})`,
      );
    }
    const authorization = await confidentialClientCode(ctx);
    const impostor = { ...authorization.client, client_secret: `wrong-${crypto.randomUUID()}` };
    const reply = await ctx.oauth.redeem(authorization, { client: impostor, auth: 'client_secret_basic' });
    expect.tokenError(reply, ['invalid_client'], 'the client secret sent with HTTP Basic was wrong');
    const challenge = reply.headers.get('www-authenticate');
    expect.that(
      reply.status === 401 && challenge !== null,
      `a wrong secret sent with HTTP Basic was answered HTTP ${reply.status}` +
        `${challenge ? '' : ' without WWW-Authenticate'}; expected 401 with WWW-Authenticate: Basic …, as for ` +
        'any failed HTTP authentication',
    );
    return `401 invalid_client, WWW-Authenticate: ${challenge}`;
  },
});

export const confidentialClientMustAuthenticate = check({
  id: 'authorization-code.confidential-client-must-authenticate',
  title: "A confidential client's code is not redeemed without client authentication",
  description: 'OAuth 2.1 §3.2.1: confidential clients MUST authenticate at the token endpoint; the AS requires it.',
  requirements: ['OA21-CONF-AUTH'],
  level: 'MUST',
  needs: ['authorization-code', 'confidential-client'],
  async run(ctx) {
    const authorization = await confidentialClientCode(ctx);
    const reply = await ctx.oauth.redeem(authorization, { auth: 'none' });
    return expect.tokenError(
      reply,
      ['invalid_client'],
      `the code of confidential client ${authorization.client.client_id} was redeemed with only its client_id; ` +
        'without the secret anyone holding the code gets the tokens',
    );
  },
});
