import { type ClientCheck, notJudged, observed, violated } from '../../harness/client-mode/scenario.ts';
import { codeTokenRequests, registrationRequests } from './traffic.ts';

export const publicClientAuthentication: ClientCheck = {
  id: 'client.token-auth-none',
  title: 'A client registered with token_endpoint_auth_method "none" sends client_id and no credentials',
  requirements: ['CL-TOKEN-AUTH-METHOD'],
  level: 'MUST',
  judge(traffic) {
    const registration = registrationRequests(traffic).find((request) => request.status === 201);
    const redemption = codeTokenRequests(traffic)[0];
    if (!registration || !redemption) return notJudged('the client did not both register and redeem a code');
    const method = (registration.json as { token_endpoint_auth_method?: unknown } | undefined)
      ?.token_endpoint_auth_method;
    if (method !== 'none') return notJudged(`the client registered with token_endpoint_auth_method=${String(method)}`);
    const credentials = redemption.headers.has('authorization') || redemption.form?.has('client_secret');
    return redemption.form?.get('client_id') && !credentials
      ? observed('client_id in the body, no Authorization header, no client_secret', [registration, redemption])
      : violated(
          'registered as a public client ("none"), the client must identify itself with client_id in the body and send no ' +
            'credentials it was never issued (OAuth 2.1 §2.4.1, RFC 7591 §2)',
          [registration, redemption],
        );
  },
};
