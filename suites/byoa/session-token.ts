/**
 * Seed 000 "Using an Existing Session Token": the flow reads the identity system's session cookie, validates it there
 * (GET /userinfo or POST /introspect) and issues tokens without asking for credentials. A session the identity system
 * no longer honours signs nobody in.
 */
import { BlockedError, type Check, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { FlowJourney } from '../../harness/flows/journey.ts';
import type { HomegrownUser } from '../../mocks/idps/homegrown-auth/index.ts';
import type { NegativeCase } from '../suite.ts';
import { flowClient, freshUser, issuedClaims, tokensThrough } from './journeys.ts';

const NEEDS = ['authorization-server'] as const;

/** A user the AS already knows (the session-token flow's Generate JWT is sign-in: existing users only). */
async function knownUser(ctx: CheckContext): Promise<HomegrownUser> {
  const user = freshUser(ctx);
  await tokensThrough(ctx, 'signUpOrIn', user);
  return user;
}

/** A browser that already holds `user`'s session cookie of the identity system, starting the session-token flow. */
async function startWithSession(ctx: CheckContext, sessionToken: string): Promise<FlowJourney> {
  const cookie = ctx.target.byoa?.sessionCookie ?? 'corp_session';
  return FlowJourney.start(ctx, flowClient(ctx, 'sessionToken'), { cookies: { [cookie]: sessionToken } });
}

export const sessionCookieSkipsCredentials = check({
  id: 'byoa.session-cookie-signs-in',
  title: 'An existing session cookie of the identity system leads to a code without a credentials screen',
  requirements: ['BYOA-SESSION-TOKEN'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = await knownUser(ctx);
    const journey = await startWithSession(ctx, ctx.homegrown().issueSession(user.id));
    expect.that(
      !journey.onCredentialsScreen,
      'the browser holds a live session of the identity system, yet the flow asked for credentials. Read the ' +
        'session cookie in the flow and validate it with GET /userinfo or POST /introspect',
    );
    await journey.approveIfAsked();
    const claims = issuedClaims(ctx, await journey.redeem());
    expect.that(
      claims.email === user.email,
      `the session belongs to ${user.email}, the token says email=${JSON.stringify(claims.email)}; map the ` +
        "identity system's answer about the session into the flow context",
    );
    return `signed in as ${user.email} from the session cookie alone`;
  },
});

export const revokedSessionRefused = check({
  id: 'byoa.revoked-session-refused',
  title: 'A session the identity system has revoked since its last use signs nobody in',
  requirements: ['BYOA-SESSION-VALIDATED'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = await knownUser(ctx);
    const homegrown = ctx.homegrown();
    const token = homegrown.issueSession(user.id);
    const before = await startWithSession(ctx, token);
    await before.approveIfAsked();
    if (before.code === undefined) {
      throw new BlockedError('session sign-in', `the live session signed nobody in: ${before.describe()}`);
    }
    homegrown.revokeSessionsOf(user.id);
    const journey = await startWithSession(ctx, token);
    await journey.approveIfAsked();
    expect.that(
      journey.code === undefined,
      `the identity system revoked the session after it had signed the user in once, yet the flow issued a code ` +
        `for its cookie again (${journey.describe()}). Validate the token at the identity system on every use; ` +
        'a cookie that once was good proves nothing now',
    );
    return `revoked session: ${journey.onCredentialsScreen ? 'the credentials screen was shown' : journey.describe()}`;
  },
});

export const sessionTokenChecks: Check[] = [sessionCookieSkipsCredentials, revokedSessionRefused];

export const sessionTokenNegatives: Record<string, NegativeCase> = {
  'byoa.session-cookie-signs-in': { defect: 'session-token-ignored' },
  'byoa.revoked-session-refused': { defect: 'session-token-not-validated' },
};
