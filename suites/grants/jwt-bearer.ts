/**
 * RFC 7523 §2.1 JWT bearer grant with per-client trusted issuers (seed 004; MCP workload identity federation): the
 * harness serves a workload identity issuer the AS trusts for `clients.workload`, mints its tokens (valid and every
 * broken variant) and redeems them at the token endpoint.
 */
import { BlockedError, type Check, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { describeReply, type HttpReply, member, readReply } from '../../harness/http.ts';
import { audiences, decodeAccessToken } from '../../harness/jwt.ts';
import { resultOf, toolName } from '../../harness/mcp.ts';
import type { OAuthClient } from '../../harness/oauth.ts';
import type { WorkloadTokenOptions } from '../../mocks/idps/workload/index.ts';
import type { NegativeCase } from '../suite.ts';

const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const NEEDS = ['resource', 'jwt-bearer'] as const;

// ── How the checks mint and redeem workload assertions ────────────────────────────────────────────────────────

/** The target's current time: the harness's clock when it controls the target's, else real time. */
function targetNow(ctx: CheckContext): number {
  return Math.floor((ctx.clock?.now() ?? Date.now()) / 1000);
}

/** A workload token for the AS (WIF: `aud` = its token endpoint); `options.claims` override or remove claims. */
async function workloadAssertion(ctx: CheckContext, options: WorkloadTokenOptions = {}): Promise<string> {
  const tokenEndpoint = await ctx.discovery.endpoint('token_endpoint');
  const claims = { aud: tokenEndpoint, ...options.claims };
  return ctx.workloadIssuer().mint({ ...options, claims });
}

/** RFC 7523 §2.1: grant_type, exactly one assertion, the target's resource and basic scope. */
async function redeemAssertion(ctx: CheckContext, assertion: string, client?: OAuthClient): Promise<HttpReply> {
  const params = {
    grant_type: JWT_BEARER_GRANT,
    assertion,
    resource: ctx.target.resource,
    scope: ctx.target.scopes?.basic,
  };
  return ctx.oauth.tokenRequest(params, client ?? (await ctx.oauth.machineClient('workload')));
}

/** The access token of a successful reply; anything else means the grant did not work. */
function issuedAccessToken(reply: HttpReply, what: string): string {
  const token = member(reply, 'access_token');
  expect.that(
    reply.status === 200 && typeof token === 'string',
    `${what} was refused: ${describeReply(reply)}; the workload client presenting a valid, unexpired JWT from its ` +
      'trusted issuer, with aud = the token endpoint, gets an access token (RFC 7523 §2.1, MCP workload identity)',
  );
  return token;
}

/**
 * Before a refusal counts, a valid assertion must work: an AS that refuses every assertion would otherwise "pass"
 * every refusal check.
 */
async function requireWorkingGrant(ctx: CheckContext): Promise<void> {
  const reply = await redeemAssertion(ctx, await workloadAssertion(ctx));
  if (reply.status !== 200 || typeof member(reply, 'access_token') !== 'string') {
    throw new BlockedError('JWT bearer grant', `a valid workload assertion was refused: ${describeReply(reply)}`);
  }
}

/** RFC 7523 §3.1: an assertion that is not valid is refused with `invalid_grant`. */
async function expectAssertionRefused(
  ctx: CheckContext,
  assertion: string,
  why: string,
  errors: readonly string[] = ['invalid_grant'],
  client?: OAuthClient,
): Promise<string> {
  await requireWorkingGrant(ctx);
  return expect.tokenError(await redeemAssertion(ctx, assertion, client), errors, why);
}

/** A form POST whose body the check writes itself (e.g. a parameter twice), with the client's authentication. */
async function rawTokenRequest(ctx: CheckContext, client: OAuthClient, body: URLSearchParams): Promise<HttpReply> {
  const endpoint = await ctx.discovery.endpoint('token_endpoint');
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (client.auth === 'client_secret_basic') {
    const credentials = `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret ?? '')}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  } else {
    body.set('client_id', client.client_id);
    if (client.auth === 'client_secret_post') body.set('client_secret', client.client_secret ?? '');
  }
  return readReply(await ctx.fetch(endpoint, { method: 'POST', headers, body }), endpoint);
}

function hasNoStore(reply: HttpReply): boolean {
  return (reply.headers.get('cache-control') ?? '')
    .split(',')
    .some((directive) => directive.trim().toLowerCase() === 'no-store');
}

// ── A valid workload JWT ──────────────────────────────────────────────────────────────────────────────────────

export const workloadTokenIssued = check({
  id: 'grants.jwt-bearer-token',
  title: "A valid workload JWT from the client's trusted issuer gets an access token bound to the resource",
  description:
    'RFC 7523 §2.1 and MCP workload identity federation: grant_type jwt-bearer with the workload JWT as assertion ' +
    'and a resource gets an access token; RFC 8707 §2 / RFC 9068 §3: its aud is the requested resource.',
  requirements: ['R7523-GRANT', 'WIF-GRANT', 'R9068-AUD-RESOURCE', 'AS-AUD-BINDING'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const reply = await redeemAssertion(ctx, await workloadAssertion(ctx));
    const token = issuedAccessToken(reply, 'the JWT bearer request with a valid workload JWT');
    const jwt = decodeAccessToken(token);
    if (!jwt) return 'access token issued (opaque, so its audience cannot be read)';
    expect.that(
      ctx.target.resource !== undefined && audiences(jwt.claims).includes(ctx.target.resource),
      `the token's aud is ${JSON.stringify(jwt.claims.aud)}; expected the requested resource ${ctx.target.resource}. ` +
        'A workload token not bound to its resource can be replayed at every server that trusts this AS',
    );
    return `access token issued for sub ${JSON.stringify(jwt.claims.sub)}, aud ${JSON.stringify(jwt.claims.aud)}`;
  },
});

export const workloadTokenWorksAtMcp = check({
  id: 'grants.jwt-bearer-token-at-mcp',
  title: 'The token obtained with a workload JWT is accepted by the MCP server',
  description:
    'RFC 7523 §2.1 with RFC 8707: the token is issued for the MCP server named in `resource`, so the server serves ' +
    'a tool call made with it.',
  requirements: ['R7523-GRANT', 'WIF-GRANT', 'AS-AUD-BINDING'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const reply = await redeemAssertion(ctx, await workloadAssertion(ctx));
    const token = issuedAccessToken(reply, 'the JWT bearer request with a valid workload JWT');
    const tool = ctx.target.tools?.basic;
    const served = tool ? await ctx.mcp.callTool(token, tool) : await ctx.mcp.post({ token });
    expect.that(
      served.status === 200 && resultOf(served) !== undefined,
      `the MCP server answered the workload's token with ${describeReply(served)}; the token must be issued for ` +
        `the requested resource ${ctx.target.resource} and accepted there`,
    );
    return tool ? `tools/call ${toolName(tool)} served with the workload's token` : 'initialize served';
  },
});

export const noRefreshToken = check({
  id: 'grants.jwt-bearer-no-refresh-token',
  title: 'The JWT bearer grant issues no refresh token',
  description:
    'RFC 7523 §2.1 and MCP workload identity federation: the workload re-presents a fresh platform token when its ' +
    'access token expires; a refresh token would outlive the identity proof it was issued for.',
  requirements: ['R7523-GRANT', 'WIF-GRANT'],
  level: 'SHOULD',
  needs: NEEDS,
  async run(ctx) {
    const reply = await redeemAssertion(ctx, await workloadAssertion(ctx));
    issuedAccessToken(reply, 'the JWT bearer request with a valid workload JWT');
    expect.that(
      member(reply, 'refresh_token') === undefined,
      'the JWT bearer response carries a refresh_token; it would keep the workload authorized after its platform ' +
        'token expired or the issuer stopped vouching for it. Let the workload present a fresh JWT instead',
    );
    return 'access token only, no refresh_token';
  },
});

// ── Whose JWT: trusted issuers, per client ────────────────────────────────────────────────────────────────────

export const untrustedIssuerRefused = check({
  id: 'grants.jwt-bearer-untrusted-issuer',
  title: 'A JWT from an issuer the client does not trust is refused, even when its own keys verify it',
  description:
    'RFC 7523 §3 item 1 and MCP workload identity federation: the AS checks that the issuer is trusted (configured ' +
    'for this client) before anything else; discovering keys from the JWT’s own iss proves nothing.',
  requirements: ['WIF-VALIDATE', 'R7523-ISS', 'R7523-ERRORS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const { untrustedIssuer } = ctx.workloadIssuer();
    const assertion = await workloadAssertion(ctx, { key: 'untrusted', claims: { iss: untrustedIssuer } });
    return expectAssertionRefused(
      ctx,
      assertion,
      `the JWT came from ${untrustedIssuer}, which publishes its own metadata and keys but is not a trusted issuer; ` +
        'anyone can run an issuer, so trust must come from configuration',
    );
  },
});

export const issuerTrustPerClient = check({
  id: 'grants.jwt-bearer-issuer-trust-per-client',
  title: "A workload JWT is refused for another client that does not trust the workload's issuer",
  description:
    'Seed 004: trusted issuers are configured per client. The enterprise client (registered for jwt-bearer to ' +
    'redeem ID-JAGs) does not trust the workload issuer, so the workload JWT opens nothing for it.',
  requirements: ['WIF-VALIDATE', 'R7523-ISS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const other = await ctx.oauth.machineClient('enterprise');
    const assertion = await workloadAssertion(ctx);
    return expectAssertionRefused(
      ctx,
      assertion,
      `client ${other.client_id} presented a JWT of ${ctx.workloadIssuer().issuer}, an issuer only the workload ` +
        'client trusts; trust shared across clients lets any client act as every workload',
      ['invalid_grant', 'unauthorized_client'],
      other,
    );
  },
});

// ── Signature ─────────────────────────────────────────────────────────────────────────────────────────────────

export const badSignatureRefused = check({
  id: 'grants.jwt-bearer-bad-signature',
  title: 'A JWT naming the trusted issuer but signed with a key it never published is refused',
  description:
    'RFC 7523 §3 item 9 and MCP workload identity federation: the AS verifies the signature with the keys from the ' +
    "issuer's JWKS and rejects a JWT whose signature does not verify.",
  requirements: ['R7523-SIG', 'WIF-VALIDATE'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const assertion = await workloadAssertion(ctx, { key: 'untrusted' });
    return expectAssertionRefused(
      ctx,
      assertion,
      "it claims the trusted issuer and its key id, but was signed with another key; without checking the signature anyone can forge a workload's identity",
    );
  },
});

export const unsignedRefused = check({
  id: 'grants.jwt-bearer-alg-none',
  title: 'An unsigned workload JWT (alg "none") is refused',
  description: 'RFC 7523 §3 item 9: the JWT MUST be digitally signed or MACed; alg "none" is neither.',
  requirements: ['R7523-SIG', 'WIF-JWT'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const assertion = await workloadAssertion(ctx, { header: { alg: 'none' } });
    return expectAssertionRefused(ctx, assertion, 'it carries no signature at all; anyone could write it');
  },
});

// ── Claims ────────────────────────────────────────────────────────────────────────────────────────────────────

export const expiredRefused = check({
  id: 'grants.jwt-bearer-expired',
  title: 'An expired workload JWT is refused',
  description: 'RFC 7523 §3 item 4: the AS rejects a JWT whose exp has passed (allowing a small clock skew).',
  requirements: ['R7523-EXP', 'WIF-VALIDATE'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const past = targetNow(ctx) - 600;
    const assertion = await workloadAssertion(ctx, { claims: { iat: past - 300, exp: past } });
    return expectAssertionRefused(
      ctx,
      assertion,
      'its exp was ten minutes in the past; a leaked old token must not work',
    );
  },
});

export const wrongAudienceRefused = check({
  id: 'grants.jwt-bearer-wrong-audience',
  title: 'A workload JWT made for another audience is refused',
  description: 'RFC 7523 §3 item 3: the AS rejects a JWT whose aud does not identify it (issuer or token endpoint).',
  requirements: ['R7523-AUD', 'WIF-VALIDATE'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const assertion = await workloadAssertion(ctx, { claims: { aud: 'https://other-service.conformance.invalid' } });
    return expectAssertionRefused(
      ctx,
      assertion,
      'its aud names another service; a token the workload sent elsewhere must not be replayable here',
    );
  },
});

export const missingClaimsRefused = check({
  id: 'grants.jwt-bearer-missing-claims',
  title: 'Workload JWTs without iss, sub or exp are refused',
  description: 'RFC 7523 §3 items 1, 2 and 4: the JWT MUST contain iss, sub and exp; the AS rejects one that does not.',
  requirements: ['R7523-ISS', 'R7523-SUB', 'R7523-EXP', 'WIF-JWT'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const observed: string[] = [];
    for (const claim of ['iss', 'sub', 'exp']) {
      const assertion = await workloadAssertion(ctx, { claims: { [claim]: undefined } });
      const outcome = await expectAssertionRefused(
        ctx,
        assertion,
        `the JWT had no "${claim}"; without it the AS cannot tell who vouches, for whom, or until when`,
      );
      observed.push(`no ${claim}: ${outcome}`);
    }
    return observed.join('; ');
  },
});

export const notYetValidRefused = check({
  id: 'grants.jwt-bearer-not-yet-valid',
  title: 'A workload JWT whose nbf is in the future is refused',
  description: 'RFC 7523 §3 item 5: a JWT with nbf MUST NOT be accepted before that time.',
  requirements: ['R7523-NBF-IAT', 'R7523-VALID'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const assertion = await workloadAssertion(ctx, { claims: { nbf: targetNow(ctx) + 600 } });
    return expectAssertionRefused(ctx, assertion, 'its nbf was ten minutes ahead; it is not valid yet');
  },
});

export const replayRefused = check({
  id: 'grants.jwt-bearer-replay',
  title: 'A workload JWT is redeemed once: the same jti again is refused',
  description:
    'RFC 7523 §3 item 7: the AS may keep the jti values it has seen until they expire and refuse a replay; workload ' +
    'identity federation requires a jti so a captured token cannot be reused.',
  requirements: ['R7523-JTI', 'WIF-VALIDATE'],
  level: 'SHOULD',
  needs: NEEDS,
  async run(ctx) {
    const assertion = await workloadAssertion(ctx);
    issuedAccessToken(await redeemAssertion(ctx, assertion), 'the first use of a valid workload JWT');
    return expect.tokenError(
      await redeemAssertion(ctx, assertion),
      ['invalid_grant'],
      'the same JWT (same jti) was presented a second time; whoever captures it could obtain tokens until it expires',
    );
  },
});

export const userinfoSubjectChecked = check({
  id: 'grants.jwt-bearer-userinfo-subject',
  title: "A userinfo answer about another subject is not used for the JWT's subject",
  description:
    'Seed 004 loads the login id from the issuer’s userinfo endpoint; OIDC Core §5.3.2: the userinfo sub MUST ' +
    'exactly match the sub of the token, or its values MUST NOT be used.',
  requirements: ['R7523-VALID', 'WIF-VALIDATE'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const issuer = ctx.workloadIssuer();
    await requireWorkingGrant(ctx);
    const before = issuer.userinfoRequests();
    const impostor = { sub: 'another-workload', email: 'another-workload@workloads.example.test' };
    const reply = await redeemAssertion(ctx, await workloadAssertion(ctx, { userinfo: impostor }));
    if (issuer.userinfoRequests() === before) {
      ctx.skip("the AS does not call the workload issuer's userinfo endpoint (none configured for this issuer)");
    }
    return expect.tokenError(
      reply,
      ['invalid_grant'],
      `the userinfo endpoint answered for sub "${impostor.sub}" while the JWT's sub is "${issuer.workload.sub}"; ` +
        'using it would give the workload another identity',
    );
  },
});

// ── Errors ────────────────────────────────────────────────────────────────────────────────────────────────────

export const errorResponse = check({
  id: 'grants.jwt-bearer-error-response',
  title: 'An invalid workload JWT is answered 400 invalid_grant, JSON, never cached',
  description:
    'RFC 7523 §3.1: a JWT that is not valid is `invalid_grant`; RFC 6749 §5.2 / OAuth 2.1 §3.2.4: errors are ' +
    'JSON with HTTP 400; responses of the token endpoint carry Cache-Control: no-store.',
  requirements: ['R7523-ERRORS', 'OA21-TOKEN-ERRORS', 'WIF-VALIDATE'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    await requireWorkingGrant(ctx);
    const reply = await redeemAssertion(ctx, await workloadAssertion(ctx, { key: 'untrusted' }));
    const observed = expect.tokenError(reply, ['invalid_grant'], 'the JWT signature did not verify');
    expect.that(
      hasNoStore(reply),
      `the error has Cache-Control: ${JSON.stringify(reply.headers.get('cache-control'))}; token endpoint ` +
        'responses must say no-store',
    );
    return `${observed}, Cache-Control: no-store`;
  },
});

export const twoAssertionsRefused = check({
  id: 'grants.jwt-bearer-two-assertions',
  title: 'A JWT bearer request with two assertions is refused with a JSON error',
  description:
    'RFC 7523 §2.1: `assertion` holds exactly one JWT; OAuth 2.1 §3.2: parameters MUST NOT be repeated, which is ' +
    'invalid_request (RFC 6749 §5.2).',
  requirements: ['R7523-GRANT', 'OA21-TOKEN-ERRORS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    await requireWorkingGrant(ctx);
    const body = new URLSearchParams({ grant_type: JWT_BEARER_GRANT });
    body.append('assertion', await workloadAssertion(ctx));
    body.append('assertion', await workloadAssertion(ctx));
    if (ctx.target.resource) body.set('resource', ctx.target.resource);
    const reply = await rawTokenRequest(ctx, await ctx.oauth.machineClient('workload'), body);
    return expect.tokenError(
      reply,
      ['invalid_request', 'invalid_grant'],
      'the request carried two assertions; the AS must not pick one of them silently',
    );
  },
});

export const malformedRefused = check({
  id: 'grants.jwt-bearer-malformed-assertion',
  title: 'An assertion that is not a JWT is refused with a JSON invalid_grant error',
  description: 'RFC 7523 §3.1: an assertion that is not a valid JWT is `invalid_grant` (never a server error).',
  requirements: ['R7523-ERRORS', 'OA21-TOKEN-ERRORS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    await requireWorkingGrant(ctx);
    const observed: string[] = [];
    for (const garbage of ['not-a-jwt', 'a.b.c', `${'e'.repeat(4000)}.${'e'.repeat(4000)}.x`]) {
      const reply = await redeemAssertion(ctx, garbage);
      observed.push(expect.tokenError(reply, ['invalid_grant'], `the assertion "${garbage.slice(0, 20)}…" is no JWT`));
    }
    return observed.join('; ');
  },
});

export const jwtBearerChecks: Check[] = [
  workloadTokenIssued,
  workloadTokenWorksAtMcp,
  noRefreshToken,
  untrustedIssuerRefused,
  issuerTrustPerClient,
  badSignatureRefused,
  unsignedRefused,
  expiredRefused,
  wrongAudienceRefused,
  missingClaimsRefused,
  notYetValidRefused,
  replayRefused,
  userinfoSubjectChecked,
  errorResponse,
  twoAssertionsRefused,
  malformedRefused,
];

export const jwtBearerNegatives: Record<string, NegativeCase> = {
  'grants.jwt-bearer-token': { defect: 'jwt-bearer-audience-unbound' },
  'grants.jwt-bearer-token-at-mcp': { defect: 'audience-not-bound' },
  'grants.jwt-bearer-no-refresh-token': { defect: 'jwt-bearer-refresh-token-issued' },
  'grants.jwt-bearer-untrusted-issuer': { defect: 'jwt-bearer-untrusted-issuer' },
  'grants.jwt-bearer-issuer-trust-per-client': { defect: 'jwt-bearer-issuer-trust-shared' },
  'grants.jwt-bearer-bad-signature': { defect: 'jwt-bearer-signature-unchecked' },
  'grants.jwt-bearer-alg-none': { defect: 'jwt-bearer-alg-none-accepted' },
  'grants.jwt-bearer-expired': { defect: 'jwt-bearer-expiry-unchecked' },
  'grants.jwt-bearer-wrong-audience': { defect: 'jwt-bearer-audience-unchecked' },
  'grants.jwt-bearer-missing-claims': { defect: 'jwt-bearer-required-claims-optional' },
  'grants.jwt-bearer-not-yet-valid': { defect: 'jwt-bearer-nbf-ignored' },
  'grants.jwt-bearer-replay': { defect: 'jwt-bearer-jti-replay' },
  'grants.jwt-bearer-userinfo-subject': { defect: 'jwt-bearer-userinfo-sub-unchecked' },
  'grants.jwt-bearer-error-response': { defect: 'jwt-bearer-wrong-error-code' },
  'grants.jwt-bearer-two-assertions': { defect: 'jwt-bearer-assertion-count-unchecked' },
  'grants.jwt-bearer-malformed-assertion': { defect: 'jwt-bearer-malformed-assertion-500' },
};
