/**
 * The flow's pages as a web application: its form posts need the CSRF token, the credentials post is not answered
 * with a 307 (which would re-send the password), a flow belongs to the browser that started it, and it ends with an
 * authorization response carrying state and, where the AS supports RFC 9207, iss.
 */
import { BlockedError, type Check, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { FlowJourney } from '../../harness/flows/journey.ts';
import type { PageStop } from '../../harness/flows/user-agent.ts';
import type { HomegrownUser } from '../../mocks/idps/homegrown-auth/index.ts';
import type { NegativeCase } from '../suite.ts';
import { flowClient, freshUser, signInThrough } from './journeys.ts';

const NEEDS = ['authorization-server'] as const;
const CSRF_FIELD = 'csrf_token';

/** A new journey of the sign-up-or-in flow standing on its credentials screen (a prerequisite). */
async function onCredentialsScreen(ctx: CheckContext): Promise<FlowJourney> {
  const journey = await FlowJourney.start(ctx, flowClient(ctx, 'signUpOrIn'));
  if (!journey.onCredentialsScreen) {
    throw new BlockedError('credentials screen', `the flow did not show one: ${journey.describe()}`);
  }
  return journey;
}

function credentials(journey: FlowJourney, user: HomegrownUser): Record<string, string> {
  return { [journey.fields.username]: user.email, [journey.fields.password]: user.password };
}

/** Posts the credentials form with the CSRF token left out or replaced; returns where that led. */
async function postWithCsrf(ctx: CheckContext, user: HomegrownUser, token: 'omitted' | 'forged'): Promise<FlowJourney> {
  const journey = await onCredentialsScreen(ctx);
  const page = journey.page('credentials screen');
  expect.that(
    page.forms.some((form) => CSRF_FIELD in form.values),
    `the credentials form has no hidden "${CSRF_FIELD}" input; flow pages protect their posts with a CSRF token ` +
      'bound to the browser (page conventions, README)',
  );
  const fill = credentials(journey, user);
  journey.stop =
    token === 'omitted'
      ? await journey.agent.submit(page, fill, { omit: [CSRF_FIELD] })
      : await journey.agent.submit(page, { ...fill, [CSRF_FIELD]: `forged-${crypto.randomUUID()}` });
  await journey.approveIfAsked();
  return journey;
}

export const csrfRequired = check({
  id: 'byoa.csrf-required',
  title: 'Flow form posts without the right CSRF token are refused',
  requirements: ['BYOA-FLOW-CSRF'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = freshUser(ctx);
    for (const token of ['omitted', 'forged'] as const) {
      const journey = await postWithCsrf(ctx, user, token);
      expect.that(
        journey.code === undefined,
        `a credentials post with the CSRF token ${token} went through to a code (${journey.describe()}); a ` +
          'cross-site page could sign the browser in as the attacker. Refuse posts whose csrf_token is not the ' +
          "one issued to this browser's flow",
      );
    }
    return 'posts with the CSRF token omitted or forged were refused';
  },
});

export const credentialsPostNot307 = check({
  id: 'byoa.credentials-post-303',
  title: 'The credentials post is answered with a redirect that is not 307/308 (which would re-send the password)',
  requirements: ['OA21-NO-307'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const journey = await signInThrough(ctx, 'signUpOrIn', freshUser(ctx));
    const post = journey.stop.hops[0];
    if (post?.method !== 'POST') throw new BlockedError('credentials post', 'the agent recorded no POST');
    expect.that(
      post.status !== 307 && post.status !== 308,
      `the credentials post was answered HTTP ${post.status} to ${post.location ?? '(no Location)'}; the browser ` +
        'repeats the POST with the password to that URL (OAuth 2.1 §7.5). Answer 303 See Other',
    );
    return `the credentials post was answered HTTP ${post.status}`;
  },
});

export const flowBoundToBrowser = check({
  id: 'byoa.flow-bound-to-browser',
  title: 'A flow cannot be continued from another browser',
  requirements: ['BYOA-FLOW-BOUND'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = freshUser(ctx);
    const journey = await onCredentialsScreen(ctx);
    const page: PageStop = journey.page('credentials screen');
    const elsewhere = await journey.agent.another().submit(page, credentials(journey, user));
    const code = elsewhere.kind === 'redirect' ? elsewhere.params.get('code') : null;
    expect.that(
      code === null,
      "another browser (without the first one's cookies) posted the first browser's flow page, with its txn and " +
        'CSRF token, and the flow went on to a code. Bind the transaction to a cookie of the browser that started it',
    );
    return elsewhere.kind === 'page'
      ? `the other browser got HTTP ${elsewhere.status}`
      : `the other browser was redirected without a code`;
  },
});

export const redirectCarriesStateAndIss = check({
  id: 'byoa.redirect-state-iss',
  title: 'The redirect that ends a flow carries the client state (and iss when RFC 9207 is advertised)',
  requirements: ['OA21-STATE-ECHO', 'R9207-AS-ISS'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const journey = await signInThrough(ctx, 'signUpOrIn', freshUser(ctx));
    await journey.approveIfAsked();
    if (journey.stop.kind !== 'redirect' || journey.code === undefined) {
      throw new BlockedError('successful flow', `it ended with ${journey.describe()}`);
    }
    const params = journey.stop.params;
    expect.that(
      params.get('state') === journey.state,
      `the flow's redirect carried state=${JSON.stringify(params.get('state'))}, not the state the client sent; ` +
        'OAuth 2.1 §4.1.2: return state exactly as received, or the client must discard the response',
    );
    const { metadata } = await ctx.discovery.authorizationServerMetadata();
    if (metadata.authorization_response_iss_parameter_supported !== true) return 'state returned as sent';
    expect.that(
      params.get('iss') === metadata.issuer,
      `the flow's redirect carried iss=${JSON.stringify(params.get('iss'))}, expected ${metadata.issuer}; the AS ` +
        'advertises RFC 9207, so every authorization response must name it',
    );
    return `state returned as sent; iss ${metadata.issuer}`;
  },
});

export const flowSecurityChecks: Check[] = [
  csrfRequired,
  credentialsPostNot307,
  flowBoundToBrowser,
  redirectCarriesStateAndIss,
];

export const flowSecurityNegatives: Record<string, NegativeCase> = {
  'byoa.csrf-required': { defect: 'flow-csrf-unchecked' },
  'byoa.credentials-post-303': { defect: 'flow-307-after-credentials' },
  'byoa.flow-bound-to-browser': { defect: 'flow-transaction-unbound' },
  'byoa.redirect-state-iss': { defect: 'flow-drops-state' },
};
