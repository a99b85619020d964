/**
 * The consent step of a flow (seed 004 Flows; OAuth 2.1 §4.1.1 leaves how the AS obtains the user's decision to it):
 * asked with the scopes listed, remembered per user and client, asked again for a scope not yet granted, refusable
 * (access_denied), and skipped for clients configured to skip consent.
 */
import { BlockedError, type Check, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import type { FlowJourney } from '../../harness/flows/journey.ts';
import type { HomegrownUser } from '../../mocks/idps/homegrown-auth/index.ts';
import type { NegativeCase } from '../suite.ts';
import { elevatedScope, type FlowName, freshUser, signInThrough } from './journeys.ts';

const NEEDS = ['authorization-server'] as const;

/** Signs in through a consent flow in a new browser; stops at whatever comes after the credentials. */
function signInToConsentFlow(
  ctx: CheckContext,
  user: HomegrownUser,
  name: FlowName = 'consent',
  scope?: string,
): Promise<FlowJourney> {
  return signInThrough(ctx, name, user, scope ? { scope } : {});
}

/** A user who has approved the basic scope for the consent client once (a prerequisite). */
async function userWhoConsented(ctx: CheckContext): Promise<HomegrownUser> {
  const user = freshUser(ctx);
  const journey = await signInToConsentFlow(ctx, user);
  if (!journey.onConsentScreen) {
    throw new BlockedError('first consent', `a first-time user was not asked for consent: ${journey.describe()}`);
  }
  await journey.decide(true);
  await journey.redeem();
  return user;
}

function askedAgainMessage(journey: FlowJourney, situation: string, fix: string): string {
  return `${situation}, yet the flow did not ask for consent (${journey.describe()}). ${fix}`;
}

export const consentAsked = check({
  id: 'byoa.consent-asked',
  title: 'The consent step asks the user, listing each requested scope',
  requirements: ['BYOA-CONSENT-ASKED'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const scope = ctx.target.scopes?.basic ?? '';
    const journey = await signInToConsentFlow(ctx, freshUser(ctx));
    expect.that(
      journey.onConsentScreen,
      askedAgainMessage(
        journey,
        'a first-time user signed in through a flow with a consent step',
        'Show a consent page with decision=approve / decision=deny buttons before issuing a code',
      ),
    );
    const text = journey.page('consent screen').text;
    const unlisted = scope.split(' ').filter((item) => item && !text.includes(item));
    expect.that(
      unlisted.length === 0,
      `the consent page does not name the requested scope(s) ${unlisted.join(', ')}; the user must see what they grant`,
    );
    return `consent asked, listing ${scope}`;
  },
});

export const consentRemembered = check({
  id: 'byoa.consent-remembered',
  title: 'Consent is remembered: the same user and client in a new browser get no consent screen',
  requirements: ['BYOA-CONSENT-REMEMBERED'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = await userWhoConsented(ctx);
    const journey = await signInToConsentFlow(ctx, user);
    expect.that(
      !journey.onConsentScreen && journey.code !== undefined,
      `the user already approved these scopes for this client, yet the next authorization ended with ` +
        `${journey.describe()}; expected a code without a consent screen. Store consent per user and client`,
    );
    return 'the second authorization went straight back to the client with a code';
  },
});

export const consentPerClient = check({
  id: 'byoa.consent-per-client',
  title: "A user's consent to one client is not taken as consent for another",
  requirements: ['BYOA-CONSENT-PER-CLIENT'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = await userWhoConsented(ctx);
    const journey = await signInToConsentFlow(ctx, user, 'consentOther');
    expect.that(
      journey.onConsentScreen,
      askedAgainMessage(
        journey,
        'the user consented to one client and then authorized another',
        'Key remembered consent by user AND client: each client needs its own decision',
      ),
    );
    return 'the other client got its own consent screen';
  },
});

export const consentForNewScope = check({
  id: 'byoa.consent-new-scope',
  title: 'A scope the user has not granted yet is asked for, although other scopes were',
  requirements: ['BYOA-CONSENT-REMEMBERED'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const elevated = elevatedScope(ctx);
    const user = await userWhoConsented(ctx);
    const scope = [ctx.target.scopes?.basic, elevated].filter(Boolean).join(' ');
    const journey = await signInToConsentFlow(ctx, user, 'consent', scope);
    expect.that(
      journey.onConsentScreen,
      askedAgainMessage(
        journey,
        `the user granted only the basic scope and now the client asks for ${elevated}`,
        'A remembered consent covers only the scopes granted; ask again for the new ones',
      ),
    );
    return `consent asked again for ${elevated}`;
  },
});

export const consentDenied = check({
  id: 'byoa.consent-deny',
  title: 'Declining consent redirects with error=access_denied and no code',
  requirements: ['BYOA-CONSENT-DENY'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const journey = await signInToConsentFlow(ctx, freshUser(ctx));
    if (!journey.onConsentScreen)
      ctx.skip(`the flow asked for no consent (${journey.describe()}), so none can be denied`);
    await journey.decide(false);
    expect.that(
      journey.code === undefined,
      'the user declined consent, yet the client received an authorization code; a refusal must issue nothing',
    );
    expect.that(
      journey.error === 'access_denied',
      `after the user declined, the flow ended with ${journey.describe()}; OAuth 2.1 §4.1.2.1 answers ` +
        'error=access_denied to the client',
    );
    return 'declined: error=access_denied, no code';
  },
});

export const skipConsentHonoured = check({
  id: 'byoa.skip-consent',
  title: 'A client set to skip consent gets a code without a consent screen',
  requirements: ['BYOA-SKIP-CONSENT'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const journey = await signInToConsentFlow(ctx, freshUser(ctx), 'skipConsent');
    expect.that(
      !journey.onConsentScreen && journey.code !== undefined,
      `the client is configured to skip consent, yet the flow ended with ${journey.describe()}; expected a code ` +
        'without a consent screen. Honour the per-client skip-consent setting in the consent step',
    );
    return 'no consent screen for the skip-consent client';
  },
});

export const consentChecks: Check[] = [
  consentAsked,
  consentRemembered,
  consentPerClient,
  consentForNewScope,
  consentDenied,
  skipConsentHonoured,
];

export const consentNegatives: Record<string, NegativeCase> = {
  'byoa.consent-asked': { defect: 'flow-consent-skipped' },
  'byoa.consent-remembered': { defect: 'consent-not-remembered' },
  'byoa.consent-per-client': { defect: 'consent-remembered-per-user-only' },
  'byoa.consent-new-scope': { defect: 'consent-remembered-any-scope' },
  'byoa.consent-deny': { defect: 'consent-deny-issues-code' },
  'byoa.skip-consent': { defect: 'skip-consent-ignored' },
};
