import { endClientAccess } from '../../console/clients-service.ts';
import type { ClientRecord } from '../../store/index.ts';
import type { IssuerContext } from '../context.ts';
import { asOAuthError, errorResponse, jsonResponse, NO_STORE, OAuthError } from '../errors.ts';
import { secretDigest } from '../grants/ciba.ts';
import { constantTimeEqual } from '../http.ts';
import type { RouteSpec } from '../routes.ts';
import {
  clientInformation,
  clientSecretFor,
  type ManagementCredentials,
  REGISTERED_FIELDS,
  readClientMetadata,
  registrationClientUri,
  registrationPolicy,
  validateClientMetadata,
} from './register.ts';

/** RFC 7592: the client configuration endpoint (read, update, delete with the registration access token). */
export function clientManagementRoutes(ctx: IssuerContext): RouteSpec[] {
  const managed = (operation: Operation) => (request: Request) => manage(ctx, request, operation);
  return [
    {
      path: `${ctx.path}/register/:client_id`,
      handlers: { GET: managed(readClient), PUT: managed(updateClient), DELETE: managed(deleteClient) },
      crossOrigin: true,
    },
  ];
}

interface Managed {
  client: ClientRecord;
  credentials: ManagementCredentials;
}

type Operation = (ctx: IssuerContext, request: Request, managed: Managed) => Promise<Response>;

// RFC 7592 §2: every call carries the registration access token (RFC 6750); errors are JSON and never cached.
async function manage(ctx: IssuerContext, request: Request, operation: Operation): Promise<Response> {
  try {
    if (!registrationPolicy(ctx).management) {
      throw new OAuthError('not_found', 'client configuration (RFC 7592) is not offered by this server', 404);
    }
    return await operation(ctx, request, await authorizedClient(ctx, request));
  } catch (thrown) {
    return errorResponse(asOAuthError(thrown));
  }
}

function clientIdOf(ctx: IssuerContext, request: Request): string {
  const encoded = new URL(request.url).pathname.slice(`${ctx.path}/register/`.length);
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

function presentedToken(request: Request): string | undefined {
  return /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(request.headers.get('authorization') ?? '')?.[1];
}

/** RFC 6750 §3.1: no token gets a bare challenge; a wrong one error="invalid_token". */
function invalidToken(ctx: IssuerContext, presented: boolean, description: string): OAuthError {
  const realm = `Bearer realm="${ctx.issuer}/register"`;
  return new OAuthError('invalid_token', description, 401, {
    'WWW-Authenticate': presented ? `${realm}, error="invalid_token"` : realm,
  });
}

/**
 * RFC 7592 §2.1-§2.3: the token must be the one issued for this very client; an unknown client or a wrong token is
 * 401 alike, so the endpoint does not reveal which client_ids exist.
 */
async function authorizedClient(ctx: IssuerContext, request: Request): Promise<Managed> {
  const clientId = clientIdOf(ctx, request);
  const token = presentedToken(request);
  const client = await ctx.store.clients.get(clientId);
  const credentials = (presented: string): Managed | undefined =>
    client && {
      client,
      credentials: {
        registration_access_token: presented,
        registration_client_uri: registrationClientUri(ctx, clientId),
      },
    };
  if (ctx.defects.has('dcr-management-unauthenticated') && client) return credentials(token ?? '')!;
  if (!token) throw invalidToken(ctx, false, 'send the registration access token as a Bearer credential');
  const digest = await secretDigest(token);
  if (client?.registration_access_token_digest && constantTimeEqual(digest, client.registration_access_token_digest)) {
    return credentials(token)!;
  }
  if (client && ctx.defects.has('dcr-management-token-not-bound') && (await issuedToAnyClient(ctx, digest))) {
    return credentials(token)!;
  }
  throw invalidToken(ctx, true, 'the registration access token is not valid for this client');
}

async function issuedToAnyClient(ctx: IssuerContext, digest: string): Promise<boolean> {
  return (await ctx.store.clients.list()).some((other) => other.registration_access_token_digest === digest);
}

function clientResponse(ctx: IssuerContext, body: Record<string, unknown>): Response {
  return jsonResponse(body, 200, ctx.defects.has('dcr-management-cacheable') ? {} : { ...NO_STORE });
}

/** RFC 7592 §2.1: read returns the current client information, as at registration. */
async function readClient(ctx: IssuerContext, _request: Request, { client, credentials }: Managed): Promise<Response> {
  if (ctx.defects.has('dcr-management-read-omits-metadata')) {
    return clientResponse(ctx, { client_id: client.client_id, ...credentials });
  }
  return clientResponse(ctx, clientInformation(ctx, client, credentials));
}

/**
 * RFC 7592 §2.2: the request replaces all metadata, validated as at registration; it names the same client_id and, if
 * it sends client_secret, the current one (a client never picks its own secret). This server issues a new secret on
 * every update of a secret-using client, so the old one stops working once the client has read the response.
 */
async function updateClient(ctx: IssuerContext, request: Request, { client, credentials }: Managed): Promise<Response> {
  const { defects } = ctx;
  const requested = await readClientMetadata(ctx, request);
  if (requested.client_id !== client.client_id && !defects.has('dcr-management-update-client-id-unchecked')) {
    throw new OAuthError('invalid_client_metadata', 'client_id in the request must be the client being updated');
  }
  const sentSecret = requested.client_secret;
  const secretMatches =
    typeof sentSecret === 'string' &&
    client.client_secret !== undefined &&
    constantTimeEqual(sentSecret, client.client_secret);
  if (sentSecret !== undefined && !secretMatches && !defects.has('dcr-client-chosen-secret')) {
    throw new OAuthError('invalid_client_metadata', 'client_secret in the request must be the current client secret');
  }
  const values = defects.has('dcr-management-update-unvalidated')
    ? unvalidatedValues(client, requested)
    : validateClientMetadata(ctx, requested);
  const updated: ClientRecord = {
    ...withoutRegisteredFields(client),
    ...values,
    ...clientSecretFor(ctx, values.token_endpoint_auth_method),
    updated_at: ctx.clock.now(),
  };
  if (defects.has('dcr-client-chosen-secret') && typeof sentSecret === 'string') updated.client_secret = sentSecret;
  const stored = defects.has('dcr-rotated-secret-still-valid')
    ? { ...updated, client_secret: client.client_secret }
    : updated;
  if (!defects.has('dcr-management-update-not-persisted')) await ctx.store.clients.save(stored);
  return clientResponse(ctx, clientInformation(ctx, updated, credentials));
}

/** The requested values taken as they come (the planted defect `dcr-management-update-unvalidated`). */
function unvalidatedValues(
  client: ClientRecord,
  requested: Record<string, unknown>,
): Partial<ClientRecord> & Pick<ClientRecord, 'token_endpoint_auth_method'> {
  const values: Record<string, unknown> = { token_endpoint_auth_method: client.token_endpoint_auth_method };
  for (const field of REGISTERED_FIELDS) if (requested[field] !== undefined) values[field] = requested[field];
  return values as Partial<ClientRecord> & Pick<ClientRecord, 'token_endpoint_auth_method'>;
}

function withoutRegisteredFields(client: ClientRecord): ClientRecord {
  const kept: Record<string, unknown> = { ...client };
  for (const field of REGISTERED_FIELDS) delete kept[field];
  return kept as unknown as ClientRecord;
}

/**
 * RFC 7592 §2.3: delete answers 204, and the client_id, its secret and its registration access token stop working
 * at once; every grant the client holds is revoked with its access and refresh tokens (codes die with the client),
 * and the consents users gave it are withdrawn.
 */
async function deleteClient(ctx: IssuerContext, _request: Request, { client }: Managed): Promise<Response> {
  const { defects } = ctx;
  if (defects.has('dcr-management-delete-noop')) return noContent();
  if (defects.has('dcr-deleted-client-usable')) {
    await ctx.store.clients.save(withoutManagementToken(client));
    return noContent();
  }
  if (defects.has('dcr-deleted-client-codes-redeemable')) {
    await ctx.store.clients.save({ ...withoutManagementToken(client), redirect_uris: [] });
    return noContent();
  }
  await ctx.store.clients.delete(client.client_id);
  await endClientAccess(ctx, client.client_id, 'client-deleted');
  return noContent();
}

function withoutManagementToken(client: ClientRecord): ClientRecord {
  const { registration_access_token_digest: _, ...rest } = client;
  return rest;
}

function noContent(): Response {
  return new Response(null, { status: 204, headers: { ...NO_STORE } });
}
