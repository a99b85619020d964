/**
 * Seed 000 "Collecting User Credentials": a screen takes the credentials, an HTTP connector validates them at the
 * identity system, the response is mapped into the flow context and Generate JWT issues tokens for that user. The
 * tokens describe the user the identity system answered with, and wrong credentials never lead anywhere.
 */
import { type Check, check } from '../../harness/check.ts';
import { expect } from '../../harness/expect.ts';
import type { NegativeCase } from '../suite.ts';
import {
  expectCleanFailure,
  freshUser,
  issuedClaims,
  signInThrough,
  subjectThrough,
  tokensThrough,
} from './journeys.ts';

const NEEDS = ['authorization-server'] as const;

export const emailFromConnector = check({
  id: 'byoa.email-from-connector',
  title: "The token's email is the one the identity system answered with, not what the user typed",
  requirements: ['BYOA-CONNECTOR-CLAIMS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = freshUser(ctx);
    const typed = user.email.split('@')[0]!;
    const claims = issuedClaims(ctx, await tokensThrough(ctx, 'signUpOrIn', user, { login: typed }));
    expect.that(
      claims.email === user.email,
      `signed in with the username "${typed}", the identity system answered email ${user.email}, but the token ` +
        `says email=${JSON.stringify(claims.email)}. Map the connector's response (user.email) into form.email; ` +
        'the typed login is not a verified address',
    );
    return `email ${user.email} from the connector response (the user typed "${typed}")`;
  },
});

export const customClaimsFromConnector = check({
  id: 'byoa.custom-claims-from-connector',
  title: "The flow's custom claims (roles) carry the connector's response into the token",
  requirements: ['BYOA-CONNECTOR-CLAIMS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = freshUser(ctx);
    const claims = issuedClaims(ctx, await tokensThrough(ctx, 'signUpOrIn', user));
    const roles = Array.isArray(claims.roles) ? claims.roles : [];
    const missing = (user.roles ?? []).filter((role) => !roles.includes(role));
    expect.that(
      missing.length === 0,
      `the identity system answered roles ${JSON.stringify(user.roles)}, the token carries roles=` +
        `${JSON.stringify(claims.roles)}. Template the custom claim from the connector response ` +
        '(connectors.<name>.body.user.roles) so the MCP server can authorize by role',
    );
    return `roles ${JSON.stringify(roles)} from the connector response`;
  },
});

export const subjectPerUser = check({
  id: 'byoa.sub-per-user',
  title: 'sub is stable for the same identity-system user and distinct between users',
  requirements: ['BYOA-SUB-PER-USER'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const first = freshUser(ctx);
    const second = freshUser(ctx);
    const firstSub = await subjectThrough(ctx, 'signUpOrIn', first);
    const again = await subjectThrough(ctx, 'signUpOrIn', first);
    const secondSub = await subjectThrough(ctx, 'signUpOrIn', second);
    expect.that(
      firstSub === again,
      `the same user signed in twice and got sub ${firstSub}, then ${again}; a user's sub must not change between ` +
        'logins, or every MCP server sees a stranger. Match the user by form.email or form.externalId',
    );
    expect.that(
      firstSub !== secondSub,
      `two different users of the identity system both got sub ${firstSub}; each must get their own account. ` +
        'Generate JWT must resolve the user from the login ID the connector returned',
    );
    return `one user kept sub ${firstSub}; another got ${secondSub}`;
  },
});

export const invalidCredentialsRefused = check({
  id: 'byoa.invalid-credentials-no-code',
  title: 'Wrong credentials (the identity system answers 401) lead to no authorization code',
  requirements: ['BYOA-CREDENTIALS-REFUSED'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = freshUser(ctx);
    const journey = await signInThrough(ctx, 'signUpOrIn', { ...user, password: `${user.password}-wrong` });
    await journey.approveIfAsked();
    expect.that(
      journey.code === undefined,
      `the identity system refused the password (401), yet the flow issued a code (${journey.describe()}). ` +
        "Branch on the connector's status: only a 2xx answer may reach Generate JWT",
    );
    return `no code after wrong credentials: ${journey.describe()}`;
  },
});

export const invalidCredentialsAlert = check({
  id: 'byoa.invalid-credentials-alert',
  title: 'After wrong credentials the user sees an error (role="alert")',
  requirements: ['BYOA-LOGIN-ERROR-VISIBLE'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = freshUser(ctx);
    const journey = await signInThrough(ctx, 'signUpOrIn', { ...user, password: `${user.password}-wrong` });
    return expectCleanFailure(
      journey,
      'the identity system refused the password',
      'Render the credentials screen again with the reason in an element with role="alert"',
    );
  },
});

export const passwordNotEchoed = check({
  id: 'byoa.password-not-echoed',
  title: 'The page after a failed login does not carry the typed password back',
  requirements: ['BYOA-NO-PASSWORD-ECHO'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = freshUser(ctx);
    const typed = `${user.password}-wrong-${crypto.randomUUID().slice(0, 8)}`;
    const journey = await signInThrough(ctx, 'signUpOrIn', { ...user, password: typed });
    const stop = journey.stop;
    const carried =
      (stop.kind === 'page' && stop.body.includes(typed)) ||
      stop.hops.some((hop) => hop.url.includes(encodeURIComponent(typed)) || hop.location?.includes(typed));
    expect.that(
      !carried,
      'the typed password came back in the answer to the failed login (page body or redirect URL); it then sits in ' +
        'the page source, caches and history. Never render the password field with a value',
    );
    return 'the typed password appears nowhere in the answer to the failed login';
  },
});

export const credentialsChecks: Check[] = [
  emailFromConnector,
  customClaimsFromConnector,
  subjectPerUser,
  invalidCredentialsRefused,
  invalidCredentialsAlert,
  passwordNotEchoed,
];

export const credentialsNegatives: Record<string, NegativeCase> = {
  'byoa.email-from-connector': { defect: 'flow-email-from-form' },
  'byoa.custom-claims-from-connector': { defect: 'flow-custom-claims-dropped' },
  'byoa.sub-per-user': { defect: 'generate-jwt-single-user' },
  'byoa.invalid-credentials-no-code': { defect: 'invalid-credentials-accepted' },
  'byoa.invalid-credentials-alert': { defect: 'login-error-hidden' },
  'byoa.password-not-echoed': { defect: 'password-echoed' },
};
