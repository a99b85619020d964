/**
 * MFA step-up in a flow: TOTP (RFC 6238: 6 digits, SHA-1, 30 s) demanded for the elevated scope, a wrong or reused
 * code refused, and the tokens saying how the user authenticated (RFC 8176 amr, OIDC Core §2 acr).
 */
import { BlockedError, type Check, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import type { FlowJourney } from '../../harness/flows/journey.ts';
import type { HomegrownUser } from '../../mocks/idps/homegrown-auth/index.ts';
import type { NegativeCase } from '../suite.ts';
import {
  currentCode,
  elevatedScope,
  enrolledAuthenticator,
  freshUser,
  issuedClaims,
  signInThrough,
  wrongCode,
} from './journeys.ts';

const NEEDS = ['authorization-server'] as const;

/** Signs a fresh user in through the MFA flow asking for the elevated scope; stops at the step after credentials. */
async function elevatedSignIn(ctx: CheckContext, user: HomegrownUser = freshUser(ctx)): Promise<FlowJourney> {
  return signInThrough(ctx, 'mfa', user, { scope: elevatedScope(ctx) });
}

/** The MFA screen after credentials; anything else blocks the check (MFA being asked is another check). */
function onMfaScreen(journey: FlowJourney): FlowJourney {
  if (!journey.onMfaScreen)
    throw new BlockedError('MFA screen', `the flow asked for no one-time code: ${journey.describe()}`);
  return journey;
}

export const mfaRequiredForElevated = check({
  id: 'byoa.mfa-required-for-elevated',
  title: 'The elevated scope is granted only after a TOTP step, not after the password alone',
  requirements: ['BYOA-MFA-ELEVATED'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const journey = await elevatedSignIn(ctx);
    expect.that(
      journey.code === undefined && journey.onMfaScreen,
      `after the password alone the flow ended with ${journey.describe()}; the elevated scope must first ask for a ` +
        `one-time code (input "${journey.fields.otp}"). Put the MFA step before the end of the flow`,
    );
    return 'the elevated scope asked for a one-time code after the password';
  },
});

export const mfaNotForBasic = check({
  id: 'byoa.mfa-not-for-basic',
  title: 'The basic scope is granted after the password, without MFA',
  requirements: ['BYOA-MFA-BASIC'],
  level: 'SHOULD',
  needs: NEEDS,
  async run(ctx) {
    const journey = await signInThrough(ctx, 'mfa', freshUser(ctx));
    await journey.approveIfAsked();
    expect.that(
      !journey.onMfaScreen && journey.code !== undefined,
      `the basic scope ended with ${journey.describe()}; step-up should be demanded only for the elevated scope, ` +
        'so everyday use is not slowed by a code',
    );
    return 'the basic scope needed the password only';
  },
});

export const mfaWrongCodeRefused = check({
  id: 'byoa.mfa-wrong-code-refused',
  title: 'A wrong TOTP code is refused',
  requirements: ['BYOA-TOTP-VERIFY'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const journey = onMfaScreen(await elevatedSignIn(ctx));
    const authenticator = enrolledAuthenticator(journey);
    await journey.enterOtp(wrongCode(ctx, authenticator));
    await journey.approveIfAsked();
    expect.that(
      journey.code === undefined,
      "a code that is not the authenticator's current one passed the MFA step. Verify it per RFC 6238 §5.2 " +
        '(HMAC-SHA-1 of the time step, at most one step of drift)',
    );
    return `wrong code refused: ${journey.describe()}`;
  },
});

export const mfaTokensSayHow = check({
  id: 'byoa.mfa-amr-acr',
  title: 'Tokens issued after MFA carry amr "otp" and an acr',
  requirements: ['BYOA-MFA-AMR'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const journey = onMfaScreen(await elevatedSignIn(ctx));
    await journey.enterOtp(currentCode(ctx, enrolledAuthenticator(journey)));
    await journey.approveIfAsked();
    const claims = issuedClaims(ctx, await journey.redeem());
    const amr = Array.isArray(claims.amr) ? claims.amr : [];
    expect.that(
      amr.includes('otp'),
      `after password and TOTP the token says amr=${JSON.stringify(claims.amr)}; RFC 8176 §2 names a one-time ` +
        'code "otp" — the MCP server cannot tell a step-up happened without it',
    );
    expect.that(
      typeof claims.acr === 'string' && claims.acr !== '',
      'the token after MFA carries no acr; state the assurance level reached (OIDC Core §2) so resource servers ' +
        'can demand it',
    );
    return `amr ${JSON.stringify(amr)}, acr ${claims.acr}`;
  },
});

export const totpSingleUse = check({
  id: 'byoa.totp-single-use',
  title: 'A TOTP code that has been accepted once is refused the second time',
  requirements: ['BYOA-TOTP-ONCE'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = freshUser(ctx);
    const first = onMfaScreen(await elevatedSignIn(ctx, user));
    const code = currentCode(ctx, enrolledAuthenticator(first));
    await first.enterOtp(code);
    await first.approveIfAsked();
    if (first.code === undefined) throw new BlockedError('first TOTP login', `it ended with ${first.describe()}`);
    const second = onMfaScreen(await elevatedSignIn(ctx, user));
    await second.enterOtp(code);
    await second.approveIfAsked();
    expect.that(
      second.code === undefined,
      'the same TOTP code passed a second authorization; RFC 6238 §5.2: the verifier MUST NOT accept an OTP ' +
        'again after it validated it once. Remember the last accepted time step per user',
    );
    return `the reused code was refused: ${second.describe()}`;
  },
});

export const mfaChecks: Check[] = [
  mfaRequiredForElevated,
  mfaNotForBasic,
  mfaWrongCodeRefused,
  mfaTokensSayHow,
  totpSingleUse,
];

export const mfaNegatives: Record<string, NegativeCase> = {
  'byoa.mfa-required-for-elevated': { defect: 'mfa-not-enforced' },
  'byoa.mfa-not-for-basic': { defect: 'mfa-always' },
  'byoa.mfa-wrong-code-refused': { defect: 'mfa-any-code-accepted' },
  'byoa.mfa-amr-acr': { defect: 'mfa-amr-missing' },
  'byoa.totp-single-use': { defect: 'totp-replay-accepted' },
};
