import type { ClientRequest } from '../../harness/client-mode/recorder.ts';
import {
  type ClientCheck,
  notJudged,
  observed,
  type PreRegisteredCredentials,
  type SecretAuthMethod,
  violated,
} from '../../harness/client-mode/scenario.ts';
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

const AUTH_METHOD_CHECK_NAMES: Record<SecretAuthMethod, string> = {
  client_secret_basic: 'basic',
  client_secret_post: 'post',
};

/**
 * OAuth 2.1 §2.4.1: a client registered with `method` authenticates that way at the token endpoint, and with one method
 * only: the HTTP Basic header (client_secret_basic) or client_id and client_secret in the body (client_secret_post).
 */
export function secretAuthentication(client: PreRegisteredCredentials): ClientCheck {
  const method = client.token_endpoint_auth_method;
  return {
    id: `client.token-auth-${AUTH_METHOD_CHECK_NAMES[method]}`,
    title: `A client registered with token_endpoint_auth_method "${method}" authenticates with it, and only with it`,
    requirements: ['CL-TOKEN-AUTH-METHOD'],
    level: 'MUST',
    judge(traffic) {
      const redemption = codeTokenRequests(traffic)[0];
      if (!redemption) return notJudged('the client redeemed no authorization code');
      const used = presentedMethods(redemption);
      if (used.length > 1) {
        return violated(
          `the token request carries both an Authorization header and client_secret in the body; a client uses exactly one ` +
            `authentication method (OAuth 2.1 §2.4.1), here ${method}`,
          [redemption],
        );
      }
      if (used[0] !== method) {
        return violated(
          `the client authenticated with ${used[0] ?? 'nothing'} but was registered with ${method}; ` +
            `${method === 'client_secret_basic' ? 'send Authorization: Basic base64(client_id:client_secret)' : 'send client_id and client_secret in the form body'}`,
          [redemption],
        );
      }
      const presentedId =
        method === 'client_secret_basic' ? basicClientId(redemption) : redemption.form?.get('client_id');
      if (presentedId !== client.client_id) {
        return violated(
          `the client presented client_id ${String(presentedId)}, not the registered ${client.client_id}`,
          [redemption],
        );
      }
      return redemption.status === 200
        ? observed(`${method} with client_id ${client.client_id}; the AS accepted it`, [redemption])
        : violated(`${method} was used but the AS refused the credentials (status ${redemption.status})`, [redemption]);
    },
  };
}

/** The methods a token request shows: a Basic (or any) Authorization header, client_secret in the body. */
function presentedMethods(request: ClientRequest): string[] {
  const header = request.headers.get('authorization');
  return [
    ...(header !== null
      ? [/^Basic\s/i.test(header) ? 'client_secret_basic' : `Authorization: ${header.split(' ')[0]}`]
      : []),
    ...(request.form?.has('client_secret') ? ['client_secret_post'] : []),
  ];
}

/** RFC 6749 §2.3.1: Basic credentials are the form-urlencoded client_id and secret, joined by a colon. */
export function basicClientId(request: ClientRequest): string | undefined {
  const encoded = /^Basic\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : formDecoded(decoded.slice(0, colon));
}

function formDecoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
