/**
 * Seed 001 "Generate JWT" in its three forms: sign-in provisions only users that already exist, sign-up always creates
 * one, sign-up-or-in matches an existing user by email or external ID and creates one otherwise. Each needs form.email
 * or form.externalId set before it runs.
 */
import { type Check, check } from '../../harness/check.ts';
import { expect } from '../../harness/expect.ts';
import { FlowJourney } from '../../harness/flows/journey.ts';
import type { NegativeCase } from '../suite.ts';
import { expectCleanFailure, flowClient, freshUser, issuedClaims, signInThrough, subjectThrough } from './journeys.ts';

const NEEDS = ['authorization-server'] as const;

export const signInUnknownUserRefused = check({
  id: 'byoa.sign-in-unknown-user-refused',
  title: 'Generate JWT (sign-in) refuses a user the AS does not know, even with valid credentials',
  requirements: ['BYOA-SIGN-IN-EXISTING-ONLY'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = freshUser(ctx);
    const journey = await signInThrough(ctx, 'signIn', user);
    await journey.approveIfAsked();
    return expectCleanFailure(
      journey,
      'a user the AS has never seen signed in through the sign-in-only flow',
      'Generate JWT (sign-in) must refuse when no user matches the login ID; creating one is what sign-up is for',
    );
  },
});

export const signInExistingUser = check({
  id: 'byoa.sign-in-existing-user',
  title: 'Generate JWT (sign-in) signs in a user who already exists, as that same user',
  requirements: ['BYOA-SIGN-IN-EXISTING-ONLY'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    flowClient(ctx, 'signIn');
    const user = freshUser(ctx);
    const created = await subjectThrough(ctx, 'signUpOrIn', user);
    const journey = await signInThrough(ctx, 'signIn', user);
    await journey.approveIfAsked();
    expect.that(
      journey.code !== undefined,
      `a user created by sign-up-or-in was refused by the sign-in-only flow (${journey.describe()}). Generate JWT ` +
        '(sign-in) must find existing users by their login ID',
    );
    const signedIn = issuedClaims(ctx, await journey.redeem()).sub;
    expect.that(
      signedIn === created,
      `sign-in gave sub ${signedIn}, but the user was created as ${created}; it must be the same account`,
    );
    return `the existing user signed in as ${created}`;
  },
});

export const signUpCreatesEachTime = check({
  id: 'byoa.sign-up-new-user-each-time',
  title: 'Generate JWT (sign-up) creates a new user every time',
  requirements: ['BYOA-SIGN-UP-NEW'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = freshUser(ctx);
    const first = await subjectThrough(ctx, 'signUp', user);
    const second = await subjectThrough(ctx, 'signUp', user);
    expect.that(
      first !== second,
      `two sign-ups of the same identity-system user both resolved to sub ${first}; seed 001 defines sign-up as ` +
        'always creating a new user. Do not look the login ID up in the sign-up action',
    );
    return `two sign-ups created ${first} and ${second}`;
  },
});

export const signUpOrInMatchesEmail = check({
  id: 'byoa.sign-up-or-in-matches-email',
  title: 'Generate JWT (sign-up-or-in) finds the user that sign-up created, by email',
  requirements: ['BYOA-SIGN-UP-OR-IN-MATCH'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    flowClient(ctx, 'signUpOrIn');
    const user = freshUser(ctx);
    const other = freshUser(ctx);
    const created = await subjectThrough(ctx, 'signUp', user);
    const matched = await subjectThrough(ctx, 'signUpOrIn', user);
    const control = await subjectThrough(ctx, 'signUpOrIn', other);
    expect.that(
      matched === created,
      `sign-up created ${created}, then sign-up-or-in with the same email resolved to ${matched}; it must match ` +
        'the existing user by email before creating one',
    );
    expect.that(
      control !== created,
      `another user also resolved to ${created}: the match is not by the login ID. Look the user up by form.email`,
    );
    return `sign-up-or-in matched ${created} by email; another user got ${control}`;
  },
});

export const signUpOrInMatchesExternalId = check({
  id: 'byoa.sign-up-or-in-matches-external-id',
  title: 'Generate JWT (sign-up-or-in) matches by external ID after the email changed at the identity system',
  requirements: ['BYOA-SIGN-UP-OR-IN-MATCH'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = freshUser(ctx);
    const before = await subjectThrough(ctx, 'signUpOrIn', user);
    const changed = ctx.homegrown().updateUser(user.id, { email: `renamed.${user.email}` });
    const after = await subjectThrough(ctx, 'signUpOrIn', changed);
    expect.that(
      after === before,
      `the user's email changed at the identity system (same ID there); sign-up-or-in then resolved to ${after} ` +
        `instead of ${before}. Match by form.externalId as well as form.email, so an email change keeps the account`,
    );
    return `after an email change the user kept ${before} (matched by external ID)`;
  },
});

export const missingLoginIdIsFlowError = check({
  id: 'byoa.missing-login-id-flow-error',
  title: 'Generate JWT without form.email or form.externalId set before it ends the flow in an error',
  requirements: ['BYOA-LOGIN-ID-REQUIRED'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = freshUser(ctx);
    const journey = await FlowJourney.start(ctx, flowClient(ctx, 'missingLoginId'));
    // The misconfiguration may be caught when the flow starts (no screen at all) or when Generate JWT runs.
    if (journey.onCredentialsScreen) await journey.signIn(user.email, user.password);
    await journey.approveIfAsked();
    return expectCleanFailure(
      journey,
      'the flow reached Generate JWT with neither form.email nor form.externalId set',
      'Seed 001: one of them must be set before Generate JWT; without it fail the flow instead of signing in someone',
    );
  },
});

export const generateJwtChecks: Check[] = [
  signInUnknownUserRefused,
  signInExistingUser,
  signUpCreatesEachTime,
  signUpOrInMatchesEmail,
  signUpOrInMatchesExternalId,
  missingLoginIdIsFlowError,
];

export const generateJwtNegatives: Record<string, NegativeCase> = {
  'byoa.sign-in-unknown-user-refused': { defect: 'sign-in-creates-user' },
  'byoa.sign-in-existing-user': { defect: 'sign-in-refuses-existing-user' },
  'byoa.sign-up-new-user-each-time': { defect: 'sign-up-reuses-user' },
  'byoa.sign-up-or-in-matches-email': { defect: 'generate-jwt-single-user' },
  'byoa.sign-up-or-in-matches-external-id': { defect: 'sign-up-or-in-email-only' },
  'byoa.missing-login-id-flow-error': { defect: 'generate-jwt-without-login-id' },
};
