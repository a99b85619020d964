/**
 * The HTTP connector of seeds 000/001 when the identity system misbehaves: no answer in time, a 5xx, a body that is
 * not JSON, a body labelled as something else. Each ends the flow in an error the user sees (or an error redirect),
 * never in a code, and creates no user.
 */
import { type Check, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import type { HomegrownFault } from '../../mocks/idps/homegrown-auth/index.ts';
import type { NegativeCase } from '../suite.ts';
import { expectCleanFailure, freshUser, signInThrough, withFault } from './journeys.ts';

const NEEDS = ['authorization-server'] as const;

interface FaultCase {
  name: string;
  fault: HomegrownFault;
  title: string;
  observed: string;
  fix: string;
}

/** The credentials journey while the identity API's login route has `fault`; the verdict is a clean failure. */
async function failsCleanly(ctx: CheckContext, { fault, observed, fix }: FaultCase): Promise<string> {
  const user = freshUser(ctx);
  const journey = await withFault(ctx, '/login', fault, async () => {
    const started = await signInThrough(ctx, 'signUpOrIn', user);
    await started.approveIfAsked();
    return started;
  });
  return expectCleanFailure(journey, `the identity system ${observed}`, fix);
}

function connectorFaultCheck(faultCase: FaultCase): Check {
  return check({
    id: `byoa.${faultCase.name}`,
    title: faultCase.title,
    requirements: ['BYOA-CONNECTOR-FAILURE'],
    level: 'MUST',
    needs: NEEDS,
    run: (ctx) => failsCleanly(ctx, faultCase),
  });
}

export const connectorTimeout = connectorFaultCheck({
  name: 'connector-timeout',
  fault: 'timeout',
  title: 'A connector that gets no answer in time ends the flow in a clean error',
  observed: 'never answered the credentials check (the connector timed out)',
  fix: 'Give the connector a timeout and treat it as a failure: an unanswered check proves nothing about the user',
});

export const connector5xx = connectorFaultCheck({
  name: 'connector-5xx',
  fault: 'status-500',
  title: 'A connector answered 500 ends the flow in a clean error',
  observed: 'answered the credentials check with HTTP 500',
  fix: "Only a 2xx answer is a successful check; branch on the connector's status before Generate JWT",
});

export const connectorMalformedJson = connectorFaultCheck({
  name: 'connector-malformed-json',
  fault: 'malformed-json',
  title: 'A connector answer that is not valid JSON ends the flow in a clean error',
  observed: 'answered the credentials check with a truncated JSON body',
  fix: 'A body that does not parse is a failed call, not an empty object; stop the flow with an error',
});

export const connectorWrongContentType = connectorFaultCheck({
  name: 'connector-wrong-content-type',
  fault: 'wrong-content-type',
  title: 'A connector answer labelled text/html ends the flow in a clean error',
  observed: 'answered the credentials check labelled text/html (an error page of a proxy looks like this)',
  fix: 'Parse the connector body as JSON only when its Content-Type is application/json (or +json)',
});

export const connectorFailureCreatesNoUser = check({
  id: 'byoa.connector-failure-no-user',
  title: 'A failed connector call creates no user (the sign-in-only flow still does not know them)',
  requirements: ['BYOA-CONNECTOR-NO-USER'],
  level: 'MUST',
  needs: NEEDS,
  async run(ctx) {
    const user = freshUser(ctx);
    const failed = await withFault(ctx, '/login', 'status-500', async () => {
      const journey = await signInThrough(ctx, 'signUpOrIn', user);
      await journey.approveIfAsked();
      return journey;
    });
    expect.that(failed.code === undefined, `the flow issued a code although the connector answered 500`);
    const later = await signInThrough(ctx, 'signIn', user);
    await later.approveIfAsked();
    expect.that(
      later.code === undefined,
      'after a sign-up-or-in whose connector answered 500, the sign-in-only flow (existing users only) signed the ' +
        `same user in (${later.describe()}): the failed attempt created a user. Run Generate JWT only after the ` +
        'connector succeeded, and create nothing before',
    );
    return `the failed attempt left no user: sign-in-only then ended with ${later.describe()}`;
  },
});

export const connectorChecks: Check[] = [
  connectorTimeout,
  connector5xx,
  connectorMalformedJson,
  connectorWrongContentType,
  connectorFailureCreatesNoUser,
];

export const connectorNegatives: Record<string, NegativeCase> = {
  'byoa.connector-timeout': { defect: 'connector-timeout-ignored' },
  'byoa.connector-5xx': { defect: 'connector-5xx-treated-as-success' },
  'byoa.connector-malformed-json': { defect: 'connector-malformed-json-accepted' },
  'byoa.connector-wrong-content-type': { defect: 'connector-content-type-unchecked' },
  'byoa.connector-failure-no-user': { defect: 'connector-failure-creates-user' },
};
