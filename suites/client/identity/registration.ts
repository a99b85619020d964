import type { ClientRequest } from '../../../harness/client-mode/recorder.ts';
import { type ClientCheck, notJudged, observed, violated } from '../../../harness/client-mode/scenario.ts';
import { CIMD_CLIENT_METADATA_URL } from './servers.ts';

/** Registration requests at any issuer of the AS (root `/register`, tenants `/t/<name>/register`). */
const registrations = (requests: readonly ClientRequest[]) =>
  requests.filter(
    (request) => request.server === 'as' && request.method === 'POST' && endpointOf(request) === 'register',
  );

const authorizations = (requests: readonly ClientRequest[]) =>
  requests.filter((request) => request.server === 'as' && endpointOf(request) === 'authorize');

/** The AS endpoint a request is for: the last path segment (`/t/two/token` → `token`). */
function endpointOf(request: ClientRequest): string {
  return request.url.pathname.split('/').at(-1) ?? '';
}

/** Registration allowed this many requests per AS before the client must stop (one try and two retries). */
export const REGISTRATION_ATTEMPT_LIMIT = 3;

export const usesClientIdMetadataDocument: ClientCheck = {
  id: 'client.cimd-client-id-used',
  title: 'When the AS supports Client ID Metadata Documents, the client uses its document URL as client_id, not DCR',
  requirements: ['CL-REG-PRIORITY', 'CL-CIMD-SUPPORT', 'CL-CIMD-CHECK-AS'],
  level: 'SHOULD',
  judge(traffic) {
    const authorization = authorizations(traffic.requests)[0];
    const registered = registrations(traffic.requests);
    if (!authorization) return notJudged('the client made no authorization request');
    const clientId = authorization.url.searchParams.get('client_id');
    if (clientId !== CIMD_CLIENT_METADATA_URL || registered.length > 0) {
      return violated(
        `the AS metadata advertises client_id_metadata_document_supported, yet the client ${registered.length > 0 ? `registered dynamically (${registered.length} request(s)) and ` : ''}` +
          `authorized as ${JSON.stringify(clientId)}; MCP "Client Registration Approaches" puts CIMD before DCR: use the ` +
          `https URL of the client's metadata document (here ${CIMD_CLIENT_METADATA_URL}) as client_id`,
        [...registered, authorization],
      );
    }
    const accepted = authorization.responseHeaders?.get('location')?.includes('code=') ?? false;
    return accepted
      ? observed(`client_id=${clientId} without registering; the AS fetched the document and issued a code`, [
          authorization,
        ])
      : violated(`client_id=${clientId} was used but the AS did not issue a code (status ${authorization.status})`, [
          authorization,
        ]);
  },
};

export const noAuthorizationWithoutRegistration: ClientCheck = {
  id: 'client.no-authorize-without-registration',
  title: 'When registration fails, the client does not start authorizing with a client_id the AS never issued',
  requirements: ['CL-REG-OBTAIN', 'CL-DCR-FAILURE'],
  level: 'MUST',
  judge(traffic) {
    const failed = registrations(traffic.requests).filter((request) => (request.status ?? 0) >= 400);
    if (failed.length === 0) return notJudged('no registration request was refused');
    const authorization = authorizations(traffic.requests).find((request) => request.index > (failed[0]?.index ?? 0));
    return authorization
      ? violated(
          `registration was refused (status ${failed[0]?.status}) but the client went to /authorize as ` +
            `${JSON.stringify(authorization.url.searchParams.get('client_id'))}; without a client_id issued by this AS ` +
            'there is nothing to authorize — stop and report the registration error (MCP "Client Registration")',
          [...failed, authorization],
        )
      : observed(`registration was refused (status ${failed[0]?.status}); the client never went to /authorize`, failed);
  },
};

export const registrationRetriesBounded: ClientCheck = {
  id: 'client.registration-retries-bounded',
  title: `After a registration error, the client retries at most ${REGISTRATION_ATTEMPT_LIMIT - 1} times, then stops`,
  requirements: ['CL-DCR-RETRY-BOUNDED', 'CL-DCR-FAILURE'],
  level: 'SHOULD',
  judge(traffic) {
    const attempts = registrations(traffic.requests);
    if (!attempts.some((request) => (request.status ?? 0) >= 400))
      return notJudged('no registration request was refused');
    return attempts.length <= REGISTRATION_ATTEMPT_LIMIT
      ? observed(`${attempts.length} registration request(s), then the client stopped`, attempts)
      : violated(
          `${attempts.length} registration requests for one refused registration; an RFC 7591 §3.2.2 error will not go ` +
            `away by repeating the request: retry at most ${REGISTRATION_ATTEMPT_LIMIT - 1} times (with adjusted metadata), ` +
            'then stop with the error',
          attempts,
        );
  },
};

export const reportsRegistrationError: ClientCheck = {
  id: 'client.reports-registration-error',
  title: 'When registration fails, the client reports the error code the AS returned',
  requirements: ['CL-DCR-FAILURE'],
  level: 'SHOULD',
  judge(traffic) {
    const refused = registrations(traffic.requests).find((request) => (request.status ?? 0) >= 400);
    if (!refused) return notJudged('no registration request was refused');
    const error = errorCode(refused.responseBody);
    if (!error) return notJudged('the refused registration carried no error code');
    const output = `${traffic.process.stdout.text}\n${traffic.process.stderr.text}`;
    return output.includes(error)
      ? observed(`the client's output names ${error}`, [refused])
      : violated(
          `the AS refused the registration with ${error}, but the client's output never says so; surface a meaningful ` +
            'error to the user or developer (MCP "Client Registration", RFC 7591 §3.2.2)',
          [refused],
        );
  },
};

function errorCode(body: string | undefined): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body ?? '');
    const error = typeof parsed === 'object' && parsed !== null ? (parsed as { error?: unknown }).error : undefined;
    return typeof error === 'string' ? error : undefined;
  } catch {
    return undefined;
  }
}

/** The requests the client made to one issuer's endpoints (its path prefix; the root issuer has none). */
function atIssuer(requests: readonly ClientRequest[], issuer: string, allIssuers: readonly string[]): ClientRequest[] {
  const prefixOf = (candidate: string) => new URL(candidate).pathname.replace(/\/$/, '');
  const prefix = prefixOf(issuer);
  const longer = allIssuers.map(prefixOf).filter((other) => other.length > prefix.length && other.startsWith(prefix));
  return requests.filter(
    (request) =>
      request.server === 'as' &&
      !request.url.pathname.startsWith('/.well-known/') &&
      request.url.pathname.startsWith(`${prefix}/`) &&
      !longer.some((other) => request.url.pathname.startsWith(`${other}/`)),
  );
}

/** What one AS gave the client: the client_id it registered and the tokens it issued. */
function grantedBy(requests: readonly ClientRequest[]): { clientIds: string[]; tokens: string[] } {
  const clientIds = requests.flatMap((request) =>
    endpointOf(request) === 'register' && request.status === 201
      ? jsonStrings(request.responseBody, ['client_id'])
      : [],
  );
  const tokens = requests.flatMap((request) =>
    endpointOf(request) === 'token' && request.status === 200
      ? jsonStrings(request.responseBody, ['access_token', 'refresh_token'])
      : [],
  );
  return { clientIds, tokens };
}

function jsonStrings(body: string | undefined, names: string[]): string[] {
  try {
    const parsed: unknown = JSON.parse(body ?? '');
    if (typeof parsed !== 'object' || parsed === null) return [];
    return names
      .map((name) => (parsed as Record<string, unknown>)[name])
      .filter((value): value is string => typeof value === 'string');
  } catch {
    return [];
  }
}

/** True when `secret` appears anywhere the request could carry it: URL, headers (Basic decoded), body. */
function carries(request: ClientRequest, secret: string): boolean {
  const basic = /^Basic\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
  const decodedBasic = basic ? Buffer.from(basic, 'base64').toString('utf8') : '';
  const headers = [...request.headers.values()].join('\n');
  const query = [...request.url.searchParams.values()].join('\n');
  const form = [...(request.form?.values() ?? [])].join('\n');
  return [request.url.href, query, headers, decodedBasic, request.body, form].some((text) => text.includes(secret));
}

/** The two issuers of a migration: the one the client starts with and the one the MCP server moves to. */
export interface Migration {
  from: string;
  to: string;
}

/** MCP 2026-07-28 "Authorization Server Binding": the client registers anew with the AS the MCP server moved to. */
export function reregistersWithNewAuthorizationServer(migration: (issuer: string) => Migration): ClientCheck {
  return {
    id: 'client.reregisters-with-new-as',
    title: 'When the protected resource metadata names a new authorization server, the client registers there anew',
    requirements: ['CL-AS-BINDING-NO-REUSE', 'CL-AS-BINDING-KEY'],
    level: 'MUST',
    judge(traffic) {
      const { from, to } = migration(traffic.issuer);
      const issuers = [from, to];
      const first = atIssuer(traffic.requests, from, issuers);
      const second = atIssuer(traffic.requests, to, issuers);
      if (grantedBy(first).tokens.length === 0) return notJudged(`the client obtained no token from ${from}`);
      const registered = second.find((request) => endpointOf(request) === 'register' && request.status === 201);
      const authorized = second.find((request) => endpointOf(request) === 'authorize');
      if (!registered || (authorized && authorized.index < registered.index)) {
        return violated(
          `the MCP server moved to ${to}, but the client ${authorized ? 'authorized there' : 'went on'} without registering ` +
            'with it; credentials are bound to the AS that issued them, so a new AS means a new registration',
          authorized ? [authorized] : second,
        );
      }
      return observed(`registered with ${to} after the MCP server moved there`, [registered]);
    },
  };
}

/** SEP-2352, MCP "Authorization Server Location": nothing one AS issued is ever presented to another. */
export function noCredentialReuseAcrossAuthorizationServers(migration: (issuer: string) => Migration): ClientCheck {
  return {
    id: 'client.no-credential-reuse-across-as',
    title: 'The client never presents one authorization server’s client_id or tokens to another',
    requirements: ['CL-AS-BINDING-NO-REUSE', 'CL-AS-SEPARATE-STATE'],
    level: 'MUST',
    judge(traffic) {
      const { from, to } = migration(traffic.issuer);
      const issuers = [from, to];
      const granted = grantedBy(atIssuer(traffic.requests, from, issuers));
      const second = atIssuer(traffic.requests, to, issuers);
      if (granted.clientIds.length === 0) return notJudged(`the client registered no client with ${from}`);
      if (second.length === 0) return notJudged(`the client never called ${to}`);
      const secrets = [...granted.clientIds, ...granted.tokens];
      const reused = second.filter((request) => secrets.some((secret) => carries(request, secret)));
      return reused.length > 0
        ? violated(
            `${reused.length} request(s) to ${to} carry the client_id or a token ${from} issued ` +
              `(${reused.map((request) => request.url.pathname).join(', ')}); credentials are keyed by issuer and must ` +
              'never be presented to another AS (MCP "Authorization Server Binding")',
            reused,
          )
        : observed(`${second.length} request(s) to ${to}, none with what ${from} issued`, second);
    },
  };
}
