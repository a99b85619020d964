import {
  type ClientCheck,
  notJudged,
  observed,
  type PreRegisteredCredentials,
  violated,
} from '../../harness/client-mode/scenario.ts';
import { authorizationRequests, registrationRequests } from './traffic.ts';

export const registersBeforeAuthorizing: ClientCheck = {
  id: 'client.dcr-before-authorize',
  title: 'Without other credentials, the client registers dynamically before it starts authorizing',
  requirements: ['CL-REG-OBTAIN', 'CL-DCR'],
  level: 'MUST',
  judge(traffic) {
    const attempts = registrationRequests(traffic);
    const registration = attempts.find((request) => request.status === 201);
    const authorization = authorizationRequests(traffic)[0];
    if (!registration && !authorization && attempts.length === 0) {
      return notJudged('the client went neither to the registration endpoint nor to the authorization endpoint');
    }
    if (!registration) {
      return violated(
        attempts.length > 0
          ? `the registration was refused (${attempts.map((request) => request.status).join(', ')}) and the client has no client_id to use`
          : 'the client opened /authorize without registering, although dynamic registration is the only way to a client_id here',
        authorization ? [...attempts, authorization] : attempts,
      );
    }
    if (authorization && authorization.index < registration.index) {
      return violated('the client opened /authorize before its registration finished', [authorization, registration]);
    }
    return observed(`POST /register → 201`, [registration]);
  },
};

export const redirectUrisLoopbackOrHttps: ClientCheck = {
  id: 'client.redirect-uri-loopback-or-https',
  title: 'Registered redirect URIs are loopback (localhost) or https',
  requirements: ['CL-REDIRECT-LOCALHOST-HTTPS'],
  level: 'MUST',
  judge(traffic) {
    const registration = registrationRequests(traffic)[0];
    if (!registration) return notJudged('the client made no registration request');
    const uris = redirectUris(registration.json);
    const unsafe = uris.filter((uri) => !isLoopbackOrHttps(uri));
    if (uris.length === 0 || unsafe.length > 0) {
      return violated(
        `redirect_uris ${JSON.stringify(uris)}: every redirect URI must use https or a loopback host, so the code cannot be read on the network`,
        [registration],
      );
    }
    return observed(`redirect_uris ${JSON.stringify(uris)}`, [registration]);
  },
};

function redirectUris(metadata: unknown): string[] {
  const uris =
    typeof metadata === 'object' && metadata !== null
      ? (metadata as { redirect_uris?: unknown }).redirect_uris
      : undefined;
  return Array.isArray(uris) ? uris.filter((uri): uri is string => typeof uri === 'string') : [];
}

function isLoopbackOrHttps(uri: string): boolean {
  if (!URL.canParse(uri)) return false;
  const url = new URL(uri);
  return url.protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/**
 * MCP authorization "Client Registration Approaches": a client given credentials for this AS uses them, before CIMD
 * or dynamic registration.
 */
export function usesPreRegisteredClient(client: PreRegisteredCredentials): ClientCheck {
  return {
    id: 'client.uses-pre-registered-client',
    title: 'Given pre-registered credentials, the client uses them and does not register dynamically',
    requirements: ['CL-PREREG', 'CL-REG-PRIORITY'],
    level: 'SHOULD',
    judge(traffic) {
      const registrations = registrationRequests(traffic);
      if (registrations.length > 0) {
        return violated(
          `the client called the registration endpoint ${registrations.length} time(s) although it was given the ` +
            `pre-registered client_id ${client.client_id}; pre-registered credentials come first, registration is a fallback`,
          registrations,
        );
      }
      const authorization = authorizationRequests(traffic)[0];
      if (!authorization) return violated('the client never started authorizing with its pre-registered client_id');
      const clientId = authorization.url.searchParams.get('client_id');
      return clientId === client.client_id
        ? observed(`authorized as ${clientId} without registering`, [authorization])
        : violated(`the client authorized as ${String(clientId)}, not the pre-registered ${client.client_id}`, [
            authorization,
          ]);
    },
  };
}
