import { randomUUID } from 'node:crypto';
import { expect } from '../../harness/expect.ts';
import { describeReply, type HttpReply, member } from '../../harness/http.ts';

export type ClientMetadata = Record<string, unknown>;

/** A client name no other registration of this (or any earlier) run uses. */
function freshClientName(): string {
  return `mcp-auth-conformance ${randomUUID().slice(0, 8)}`;
}

/**
 * What a typical MCP client registers (RFC 7591 §2): a native public client of the authorization code grant, without a
 * secret. `changes` replace members; a member set to `undefined` is left out.
 */
export function publicClientMetadata(redirectUri: string, changes: ClientMetadata = {}): ClientMetadata {
  const metadata: ClientMetadata = {
    client_name: freshClientName(),
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    ...changes,
  };
  for (const [name, value] of Object.entries(metadata)) if (value === undefined) delete metadata[name];
  return metadata;
}

/** The client_id of a successful registration (2xx with a string client_id), else undefined. */
export function registeredClientId(reply: HttpReply): string | undefined {
  const clientId = member(reply, 'client_id');
  return reply.status >= 200 && reply.status < 300 && typeof clientId === 'string' ? clientId : undefined;
}

/** A successful registration, or a failure naming what the AS answered instead. */
export function expectRegistered(reply: HttpReply, why: string): string {
  const clientId = registeredClientId(reply);
  expect.that(clientId, `the registration was refused: ${describeReply(reply)}. ${why}`);
  return clientId;
}

/** RFC 7591 §3.2.2: a refused registration is HTTP 400 with one of the listed error codes. */
export function expectRegistrationError(reply: HttpReply, errors: readonly string[], why: string): string {
  const clientId = registeredClientId(reply);
  expect.that(
    clientId === undefined,
    `the AS registered the client (HTTP ${reply.status}, client_id ${clientId}); expected HTTP 400 ` +
      `error=${errors.join('|')}. ${why}`,
  );
  const error = member(reply, 'error');
  expect.that(
    reply.status === 400 && typeof error === 'string',
    `expected HTTP 400 {"error": "${errors.join('|')}"}, got ${describeReply(reply)}. ${why}`,
  );
  expect.that(
    errors.includes(error),
    `the AS refused with error=${error}; RFC 7591 §3.2.2 defines ${errors.join(' or ')} for this case. ${why}`,
  );
  return `refused with HTTP 400 error=${error}`;
}
