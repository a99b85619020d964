/**
 * Federation to an upstream OpenID provider (seed 004 "custom OAuth provider"): the target AS is a relying party of
 * the provider the harness serves (mocks/idps/oidc). Its flow client's users sign in there; the AS must validate
 * the answer as OIDC Core §3.1.3.7 demands and link the upstream subject to one local user.
 */
import { BlockedError, type Check, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { FlowJourney } from '../../harness/flows/journey.ts';
import type { FlowClient } from '../../harness/target.ts';
import type { UpstreamFault, UpstreamOidc, UpstreamUser } from '../../mocks/idps/oidc/index.ts';
import type { NegativeCase } from '../suite.ts';
import { describeStop, expectRefused, isEndpoint, requireReached, signedInClaims, subjectOf } from './outcome.ts';

const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

interface OidcFederation {
  upstream: UpstreamOidc;
  flow: FlowClient;
  /** The AS's callback, registered at the upstream as its redirect URI. */
  callback: string;
}

function oidcFederation(ctx: CheckContext): OidcFederation {
  const declared = ctx.target.federation?.oidc;
  if (!declared) return ctx.skip('the target declares no "federation.oidc"');
  return { upstream: ctx.upstreamOidc(), flow: declared.flow, callback: declared.redirectUri };
}

function upstreamUser(federation: OidcFederation, index: number): UpstreamUser {
  const user = federation.upstream.users[index];
  if (!user) throw new BlockedError('upstream users', `the upstream provider has no user #${index + 1}`);
  return user;
}

/** Rewrites the upstream's answer on its way back to the AS's callback (what an attacker in the browser can do). */
type CallbackRewrite = (callback: URL) => URL;

interface OidcSignIn {
  journey: FlowJourney;
  /** The authorization request the AS sent the browser to at the upstream. */
  upstreamRequest: URL | undefined;
  /** The callback URL as the upstream sent it back (before any rewrite). */
  callback: URL | undefined;
}

/** One authorization through the OIDC flow client, the browser passing through the upstream provider. */
async function signInUpstream(
  ctx: CheckContext,
  federation: OidcFederation,
  options: { user?: UpstreamUser; rewrite?: CallbackRewrite } = {},
): Promise<OidcSignIn> {
  const seen: Omit<OidcSignIn, 'journey'> = { upstreamRequest: undefined, callback: undefined };
  if (options.user) federation.upstream.setNextUser(options.user.sub);
  const journey = await FlowJourney.start(ctx, federation.flow, {
    onRedirect(url) {
      if (isEndpoint(url, federation.upstream.endpoints.authorization)) seen.upstreamRequest = url;
      if (!isEndpoint(url, federation.callback)) return url;
      seen.callback = url;
      return options.rewrite ? options.rewrite(new URL(url)) : url;
    },
  });
  return { journey, ...seen };
}

/** The upstream's authorization request; its absence blocks the check. */
function upstreamRequestOf(signIn: OidcSignIn): URL {
  if (signIn.upstreamRequest) return signIn.upstreamRequest;
  throw new BlockedError(
    'upstream authorization request',
    `the AS never sent the browser to the upstream provider; the flow ended with ${describeStop(signIn.journey.stop)}`,
  );
}

/** Runs `run` with the upstream misbehaving, and restores it whatever happens. */
async function withFault<T>(upstream: UpstreamOidc, fault: UpstreamFault, run: () => Promise<T>): Promise<T> {
  upstream.fault(fault);
  try {
    return await run();
  } finally {
    upstream.fault('none');
  }
}

/** A refused sign-in: the upstream answered (the callback was reached) and the flow ended in an error. */
async function expectSignInRefused(
  ctx: CheckContext,
  options: { fault?: UpstreamFault; rewrite?: CallbackRewrite },
  why: string,
): Promise<string> {
  const federation = oidcFederation(ctx);
  const signIn = await withFault(federation.upstream, options.fault ?? 'none', () =>
    signInUpstream(ctx, federation, options.rewrite ? { rewrite: options.rewrite } : {}),
  );
  requireReached(signIn.journey.stop, federation.callback, 'upstream callback');
  return expectRefused(signIn.journey.stop, why);
}

// ── Checks: a federated sign-in and the upstream request ──────────────────────────────────────────────────────

export const oidcMapsUpstreamEmail = check({
  id: 'federation.oidc-maps-upstream-email',
  title: "A sign-in through the upstream OpenID provider issues tokens carrying the upstream user's email",
  requirements: ['FED-OIDC-CLAIMS'],
  level: 'MUST',
  async run(ctx) {
    const federation = oidcFederation(ctx);
    const user = upstreamUser(federation, 0);
    const { journey } = await signInUpstream(ctx, federation, { user });
    const claims = await signedInClaims(ctx, journey);
    expect.that(
      claims.email === user.email,
      `the token's email is ${JSON.stringify(claims.email)}; the upstream ID token said ${user.email}. Map the ` +
        "upstream ID token's email claim into the user and the tokens, or the token describes someone else",
    );
    return `signed in upstream as ${user.sub}; the token carries email ${user.email} (sub ${String(claims.sub)})`;
  },
});

export const oidcUpstreamPkce = check({
  id: 'federation.oidc-upstream-pkce',
  title: 'The authorization request to the upstream provider carries PKCE with S256',
  requirements: ['FED-OIDC-PKCE'],
  level: 'MUST',
  async run(ctx) {
    const request = upstreamRequestOf(await signInUpstream(ctx, oidcFederation(ctx)));
    const challenge = request.searchParams.get('code_challenge');
    const method = request.searchParams.get('code_challenge_method');
    expect.that(
      challenge !== null && S256_CHALLENGE.test(challenge) && method === 'S256',
      `the upstream authorization request carried code_challenge=${JSON.stringify(challenge)} and ` +
        `code_challenge_method=${JSON.stringify(method)}; send a fresh S256 challenge (43 base64url characters) per ` +
        'request and its verifier at the token endpoint, so a stolen upstream code cannot be redeemed',
    );
    return 'the upstream authorization request carried an S256 code_challenge';
  },
});

export const oidcUpstreamNonce = check({
  id: 'federation.oidc-upstream-nonce',
  title: 'The authorization request to the upstream provider carries a nonce',
  requirements: ['FED-OIDC-NONCE'],
  level: 'SHOULD',
  async run(ctx) {
    const request = upstreamRequestOf(await signInUpstream(ctx, oidcFederation(ctx)));
    const nonce = request.searchParams.get('nonce');
    expect.that(
      nonce !== null && nonce.length >= 16,
      `the upstream authorization request carried nonce=${JSON.stringify(nonce)}; send an unguessable nonce bound to ` +
        'the browser session and compare it with the ID token, so an ID token cannot be replayed into another login',
    );
    return 'the upstream authorization request carried a nonce';
  },
});

// ── Checks: the callback ──────────────────────────────────────────────────────────────────────────────────────

export const oidcStateTampered = check({
  id: 'federation.oidc-state-tampered',
  title: 'The AS refuses an upstream callback whose state is not the one it sent',
  requirements: ['FED-OIDC-STATE'],
  level: 'MUST',
  run: (ctx) =>
    expectSignInRefused(
      ctx,
      {
        rewrite(callback) {
          callback.searchParams.set('state', `forged-${crypto.randomUUID()}`);
          return callback;
        },
      },
      'state binds the upstream answer to the browser that asked; without the check an attacker injects their own ' +
        'upstream login (login CSRF)',
    ),
});

export const oidcStateMissing = check({
  id: 'federation.oidc-state-missing',
  title: 'The AS refuses an upstream callback without state',
  requirements: ['FED-OIDC-STATE'],
  level: 'MUST',
  run: (ctx) =>
    expectSignInRefused(
      ctx,
      {
        rewrite(callback) {
          callback.searchParams.delete('state');
          return callback;
        },
      },
      'a callback without state cannot be tied to the request this browser made; refuse it',
    ),
});

export const oidcIdTokenSignature = check({
  id: 'federation.oidc-id-token-signature',
  title: 'The AS refuses an upstream ID token whose signature does not verify',
  requirements: ['FED-OIDC-IDT-SIGNATURE'],
  level: 'MUST',
  run: (ctx) =>
    expectSignInRefused(
      ctx,
      { fault: 'bad-id-token-signature' },
      "verify the ID token with the key from the provider's jwks_uri (OIDC Core §3.1.3.7 item 6)",
    ),
});

export const oidcIdTokenAudience = check({
  id: 'federation.oidc-id-token-audience',
  title: 'The AS refuses an upstream ID token issued to another client',
  requirements: ['FED-OIDC-IDT-AUDIENCE'],
  level: 'MUST',
  run: (ctx) =>
    expectSignInRefused(
      ctx,
      { fault: 'wrong-audience' },
      "the ID token's aud must contain the AS's client ID at the provider (OIDC Core §3.1.3.7 item 3)",
    ),
});

export const oidcIdTokenIssuer = check({
  id: 'federation.oidc-id-token-issuer',
  title: 'The AS refuses an upstream ID token from another issuer',
  requirements: ['FED-OIDC-IDT-ISSUER'],
  level: 'MUST',
  run: (ctx) =>
    expectSignInRefused(
      ctx,
      { fault: 'wrong-issuer' },
      "the ID token's iss must equal the configured provider's issuer (OIDC Core §3.1.3.7 item 2)",
    ),
});

export const oidcIdTokenExpiry = check({
  id: 'federation.oidc-id-token-expiry',
  title: 'The AS refuses an expired upstream ID token',
  requirements: ['FED-OIDC-IDT-EXPIRY'],
  level: 'MUST',
  run: (ctx) =>
    expectSignInRefused(
      ctx,
      { fault: 'expired-id-token' },
      'an ID token whose exp has passed is refused (OIDC Core §3.1.3.7 item 9)',
    ),
});

export const oidcNonceCompared = check({
  id: 'federation.oidc-nonce-compared',
  title: 'The AS refuses an upstream ID token whose nonce is not the one it sent',
  requirements: ['FED-OIDC-IDT-NONCE'],
  level: 'MUST',
  run: (ctx) =>
    expectSignInRefused(
      ctx,
      { fault: 'nonce-replayed' },
      'the ID token carried the nonce of an earlier login: compare it with the one this request sent ' +
        '(OIDC Core §3.1.3.7 item 11)',
    ),
});

export const oidcNonceRequired = check({
  id: 'federation.oidc-nonce-required',
  title: 'The AS refuses an upstream ID token without the nonce it sent',
  requirements: ['FED-OIDC-IDT-NONCE'],
  level: 'MUST',
  run: (ctx) =>
    expectSignInRefused(
      ctx,
      { fault: 'missing-nonce' },
      'a nonce was sent, so the ID token must carry it (OIDC Core §3.1.3.7 item 11)',
    ),
});

export const oidcUpstreamErrorPassedOn = check({
  id: 'federation.oidc-upstream-error-passed-on',
  title: 'An upstream error=access_denied reaches the client as error=access_denied',
  requirements: ['FED-OIDC-ERROR'],
  level: 'MUST',
  async run(ctx) {
    const federation = oidcFederation(ctx);
    const { journey } = await signInUpstream(ctx, federation, {
      rewrite(callback) {
        const denied = new URL(federation.callback);
        denied.searchParams.set('error', 'access_denied');
        denied.searchParams.set('error_description', 'the user declined at the upstream provider');
        for (const kept of ['state', 'iss']) {
          const value = callback.searchParams.get(kept);
          if (value !== null) denied.searchParams.set(kept, value);
        }
        return denied;
      },
    });
    requireReached(journey.stop, federation.callback, 'upstream callback');
    const stop = journey.stop;
    expect.that(
      stop.kind === 'redirect' && !stop.params.has('code') && stop.params.get('error') === 'access_denied',
      `after the upstream answered error=access_denied the flow ended with ${describeStop(stop)}; expected a ` +
        'redirect to the client with error=access_denied (OAuth 2.1 §4.1.2.1), so the client learns the user declined',
    );
    return 'the client received error=access_denied';
  },
});

export const oidcUpstreamFailure = check({
  id: 'federation.oidc-upstream-failure',
  title: 'A failing upstream token endpoint ends the flow with an error page or an error redirect',
  requirements: ['FED-UPSTREAM-FAILURE'],
  level: 'MUST',
  run: (ctx) =>
    expectSignInRefused(
      ctx,
      { fault: 'token-endpoint-500' },
      'the upstream token endpoint answered 500: show an error page (role="alert") or redirect to the client with ' +
        'error=server_error or temporarily_unavailable, never a bare 500 with exception text',
    ),
});

export const oidcCallbackSingleUse = check({
  id: 'federation.oidc-callback-single-use',
  title: 'An upstream callback replayed after a completed sign-in signs nobody in',
  requirements: ['FED-OIDC-CALLBACK-ONCE'],
  level: 'MUST',
  async run(ctx) {
    const federation = oidcFederation(ctx);
    const signIn = await signInUpstream(ctx, federation);
    await signIn.journey.approveIfAsked();
    if (!signIn.journey.code || !signIn.callback) {
      throw new BlockedError('federated sign-in', `it ended with ${describeStop(signIn.journey.stop)}`);
    }
    const replay = await signIn.journey.agent.open(signIn.callback);
    return expectRefused(
      replay,
      'the same upstream code and state were accepted twice; consume the login transaction at its first callback',
    );
  },
});

// ── Checks: linking upstream subjects to local users ─────────────────────────────────────────────────────────

async function localSubject(ctx: CheckContext, federation: OidcFederation, user: UpstreamUser, step: string) {
  const { journey } = await signInUpstream(ctx, federation, { user });
  return subjectOf(await signedInClaims(ctx, journey), step);
}

export const oidcLinksUpstreamSubject = check({
  id: 'federation.oidc-links-upstream-subject',
  title: 'The same upstream user signs in as the same local user every time',
  requirements: ['FED-OIDC-LINK'],
  level: 'MUST',
  async run(ctx) {
    const federation = oidcFederation(ctx);
    const user = upstreamUser(federation, 0);
    const first = await localSubject(ctx, federation, user, 'first federated sign-in');
    const second = await localSubject(ctx, federation, user, 'second federated sign-in');
    expect.that(
      first === second,
      `upstream user ${user.sub} got sub ${first}, then ${second}; link the upstream (iss, sub) to one local ` +
        'user, or every login creates a new account and consents and roles are lost',
    );
    return `upstream user ${user.sub} signed in twice as ${first}`;
  },
});

export const oidcDistinctUpstreamUsers = check({
  id: 'federation.oidc-distinct-upstream-users',
  title: 'Two upstream users sign in as two different local users',
  requirements: ['FED-OIDC-LINK'],
  level: 'MUST',
  async run(ctx) {
    const federation = oidcFederation(ctx);
    const [one, other] = [upstreamUser(federation, 0), upstreamUser(federation, 1)];
    const first = await localSubject(ctx, federation, one, 'federated sign-in of the first user');
    const second = await localSubject(ctx, federation, other, 'federated sign-in of the second user');
    expect.that(
      first !== second,
      `upstream users ${one.sub} and ${other.sub} both got sub ${first}; resolve the local user from the upstream ` +
        '(iss, sub), or one person signs in as another',
    );
    return `${one.sub} → ${first}, ${other.sub} → ${second}`;
  },
});

export const OIDC_CHECKS: Check[] = [
  oidcMapsUpstreamEmail,
  oidcUpstreamPkce,
  oidcUpstreamNonce,
  oidcStateTampered,
  oidcStateMissing,
  oidcIdTokenSignature,
  oidcIdTokenAudience,
  oidcIdTokenIssuer,
  oidcIdTokenExpiry,
  oidcNonceCompared,
  oidcNonceRequired,
  oidcUpstreamErrorPassedOn,
  oidcUpstreamFailure,
  oidcCallbackSingleUse,
  oidcLinksUpstreamSubject,
  oidcDistinctUpstreamUsers,
];

export const OIDC_NEGATIVES: Record<string, NegativeCase> = {
  [oidcMapsUpstreamEmail.id]: { defect: 'oidc-claims-not-mapped' },
  [oidcUpstreamPkce.id]: { defect: 'oidc-upstream-no-pkce' },
  [oidcUpstreamNonce.id]: { defect: 'oidc-upstream-no-nonce' },
  [oidcStateTampered.id]: { defect: 'oidc-state-unchecked' },
  [oidcStateMissing.id]: { defect: 'oidc-state-unchecked' },
  [oidcIdTokenSignature.id]: { defect: 'oidc-id-token-signature-unchecked' },
  [oidcIdTokenAudience.id]: { defect: 'oidc-id-token-audience-unchecked' },
  [oidcIdTokenIssuer.id]: { defect: 'oidc-id-token-issuer-unchecked' },
  [oidcIdTokenExpiry.id]: { defect: 'oidc-id-token-expiry-unchecked' },
  [oidcNonceCompared.id]: { defect: 'oidc-nonce-unchecked' },
  [oidcNonceRequired.id]: { defect: 'oidc-missing-nonce-accepted' },
  [oidcUpstreamErrorPassedOn.id]: { defect: 'oidc-upstream-error-ignored' },
  [oidcUpstreamFailure.id]: { defect: 'upstream-error-unhandled' },
  [oidcCallbackSingleUse.id]: { defect: 'oidc-callback-replayable' },
  [oidcLinksUpstreamSubject.id]: { defect: 'oidc-user-not-linked' },
  [oidcDistinctUpstreamUsers.id]: { defect: 'generate-jwt-single-user' },
};
