import type { ClientRequest } from '../../../harness/client-mode/recorder.ts';
import {
  type ClientCheck,
  type ClientVerdict,
  notJudged,
  observed,
  type ScenarioTraffic,
  violated,
} from '../../../harness/client-mode/scenario.ts';
import { authorizationRequests, bearerToken, mcpRequests } from '../traffic.ts';
import { challengeParameter, operationOf, refusedWithToken, scopeItems } from './lifecycle-traffic.ts';

/** MCP "Step-Up Authorization Flow": re-authorizations after the first refusal that still count as "a few". */
const MAX_STEP_UPS = 2;

/** A 403 insufficient_scope the client received, and the scopes it named. */
interface ScopeRefusal {
  refusal: ClientRequest;
  challenged: string[];
}

function firstScopeRefusal(traffic: ScenarioTraffic): ScopeRefusal | undefined {
  const refusal = refusedWithToken(traffic, 403, 'insufficient_scope')[0];
  return refusal && { refusal, challenged: scopeItems(challengeParameter(refusal, 'scope')) };
}

/** Judges the first 403 insufficient_scope, or reports that the client met none. */
function onScopeRefusal(traffic: ScenarioTraffic, judge: (refused: ScopeRefusal) => ClientVerdict): ClientVerdict {
  const refused = firstScopeRefusal(traffic);
  return refused ? judge(refused) : notJudged('the MCP server refused no request with 403 insufficient_scope');
}

const requestedScope = (authorization: ClientRequest) => scopeItems(authorization.url.searchParams.get('scope'));

export const stepsUpOnInsufficientScope: ClientCheck = {
  id: 'client.step-up-on-insufficient-scope',
  title: 'After 403 insufficient_scope, the client re-authorizes for the challenged scope and retries the request',
  requirements: ['CL-STEPUP', 'CL-STEPUP-USER'],
  level: 'SHOULD',
  judge: (traffic) =>
    onScopeRefusal(traffic, ({ refusal, challenged }) => {
      const reauthorization = authorizationRequests(traffic).find(
        (request) =>
          request.index > refusal.index && challenged.every((scope) => requestedScope(request).includes(scope)),
      );
      if (!reauthorization) {
        return violated(
          `the request was refused with 403 insufficient_scope (scope="${challenged.join(' ')}") and the client never ` +
            'asked for that scope; MCP "Step-Up Authorization Flow": a client acting for a user requests a new token ' +
            'with the challenged scopes, then retries the request',
          [refusal],
        );
      }
      const refusedToken = bearerToken(refusal);
      const retry = mcpRequests(traffic).find(
        (request) =>
          request.index > reauthorization.index &&
          operationOf(request) === operationOf(refusal) &&
          bearerToken(request) !== refusedToken &&
          (request.status ?? 500) < 300,
      );
      return retry
        ? observed(
            `403 (scope="${challenged.join(' ')}") → /authorize with scope="${reauthorization.url.searchParams.get('scope')}" → ` +
              `${operationOf(retry)} retried with the new token and served`,
            [refusal, reauthorization, retry],
          )
        : violated(
            `the client re-authorized for scope="${challenged.join(' ')}" but never retried ${operationOf(refusal)} ` +
              'successfully with the new token (MCP "Step-Up Authorization Flow", step 4)',
            [refusal, reauthorization],
          );
    }),
};

export const stepUpKeepsScopes: ClientCheck = {
  id: 'client.step-up-keeps-scopes',
  title: 'A step-up authorization asks for the scopes held before together with the challenged ones',
  requirements: ['CL-STEPUP-UNION', 'CL-SCOPE-REAUTH-KEEP'],
  level: 'SHOULD',
  judge: (traffic) =>
    onScopeRefusal(traffic, ({ refusal, challenged }) => {
      const authorizations = authorizationRequests(traffic);
      const before = authorizations.filter((request) => request.index < refusal.index).at(-1);
      const after = authorizations.find((request) => request.index > refusal.index);
      if (!before || !after) return notJudged('the client did not authorize both before and after the refusal');
      const wanted = [...new Set([...requestedScope(before), ...challenged])];
      const dropped = wanted.filter((scope) => !requestedScope(after).includes(scope));
      return dropped.length === 0
        ? observed(`step-up scope="${after.url.searchParams.get('scope')}" keeps ${requestedScope(before).join(' ')}`, [
            before,
            refusal,
            after,
          ])
        : violated(
            `before the refusal the client asked for scope="${requestedScope(before).join(' ')}", the challenge named ` +
              `"${challenged.join(' ')}", but the step-up asked for scope="${requestedScope(after).join(' ')}" (dropping ` +
              `${dropped.join(' ')}); re-authorize for the union so earlier permissions are not lost (MCP "Scope ` +
              'Selection Strategy", SEP-2350)',
            [before, refusal, after],
          );
    }),
};

export const stepUpBounded: ClientCheck = {
  id: 'client.step-up-bounded',
  title: 'When 403 insufficient_scope keeps coming, the client stops re-authorizing after a few attempts',
  requirements: ['CL-STEPUP-RETRY-LIMIT'],
  level: 'SHOULD',
  judge: (traffic) =>
    onScopeRefusal(traffic, ({ refusal }) => {
      const reauthorizations = authorizationRequests(traffic).filter((request) => request.index > refusal.index);
      const refusals = refusedWithToken(traffic, 403, 'insufficient_scope');
      const evidence = [refusal, ...reauthorizations];
      return reauthorizations.length <= MAX_STEP_UPS
        ? observed(
            `${refusals.length} refusal(s), ${reauthorizations.length} step-up authorization(s), then the client stopped`,
            evidence,
          )
        : violated(
            `${reauthorizations.length} step-up authorizations after ${refusals.length} refusals (at most ${MAX_STEP_UPS} ` +
              'expected); MCP "Step-Up Authorization Flow": retry no more than a few times, then treat it as a ' +
              'permanent authorization failure instead of sending the user through consent in a loop',
            evidence,
          );
    }),
};
