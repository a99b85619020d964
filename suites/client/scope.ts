import { type ClientCheck, notJudged, observed, violated } from '../../harness/client-mode/scenario.ts';
import { authorizationRequests, challengedScope } from './traffic.ts';

export const scopeFromChallenge: ClientCheck = {
  id: 'client.scope-from-challenge',
  title: 'The first authorization asks for the scope the 401 challenge named',
  requirements: ['CL-SCOPE-PRIORITY', 'CL-SCOPE-CHALLENGE-AUTHORITATIVE'],
  level: 'SHOULD',
  judge(traffic) {
    const wanted = challengedScope(traffic);
    const authorization = authorizationRequests(traffic)[0];
    if (wanted === undefined) return notJudged('the 401 challenge named no scope');
    if (!authorization) return notJudged('the client made no authorization request');
    const requested = authorization.url.searchParams.get('scope');
    return sameScopes(requested ?? '', wanted)
      ? observed(`scope="${requested}" as challenged`, [authorization])
      : violated(
          `the challenge asked for scope="${wanted}" but the client requested ${requested === null ? 'no scope' : `scope="${requested}"`}; ` +
            'the challenged scope comes first, before scopes_supported (least privilege)',
          [authorization],
        );
  },
};

function sameScopes(a: string, b: string): boolean {
  const set = (text: string) => [...new Set(text.split(' ').filter(Boolean))].sort().join(' ');
  return set(a) === set(b);
}
