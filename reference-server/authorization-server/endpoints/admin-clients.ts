import { parseFilters } from '../../console/client-filters.ts';
import { type ClientView, clientView } from '../../console/client-view.ts';
import {
  createManualClient,
  deleteClient,
  deleteClients,
  findClient,
  listClients,
  retagClients,
  revokeConsent,
  type SavedClient,
  updateClient,
} from '../../console/clients-service.ts';
import { requireAdmin } from '../admin-auth.ts';
import type { IssuerContext } from '../context.ts';
import { asOAuthError, errorResponse, jsonResponse, NO_STORE, OAuthError } from '../errors.ts';
import { mediaType, readBodyText } from '../http.ts';
import type { RouteSpec } from '../routes.ts';

export type AdminHandler = (request: Request) => Promise<Response>;

/** RFC 6750 §3.1: the admin token is required (401 otherwise); errors are JSON, never cached, never a 500 page. */
export function adminEndpoint(ctx: IssuerContext, handle: AdminHandler): AdminHandler {
  return async (request) => {
    try {
      requireAdmin(ctx, request);
      return await handle(request);
    } catch (thrown) {
      return errorResponse(asOAuthError(thrown));
    }
  };
}

function answer(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return jsonResponse(body, status, { ...NO_STORE, ...headers });
}

async function readJson(request: Request): Promise<unknown> {
  if (mediaType(request) !== 'application/json') {
    throw new OAuthError('invalid_request', 'send the body as application/json');
  }
  const text = await readBodyText(request);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new OAuthError('invalid_request', 'the body is not valid JSON');
  }
}

/** The client_id path segment (percent-encoded, so URL-shaped CIMD client ids fit in one segment). */
function clientIdFrom(ctx: IssuerContext, request: Request): string {
  const prefix = `${ctx.path}/admin/clients/`;
  const segment = new URL(request.url).pathname.slice(prefix.length).split('/')[0] ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new OAuthError('invalid_request', 'the client_id in the path is not valid percent-encoding');
  }
}

/** The client, and its secret when this request generated one (the only time it is shown). */
function savedBody(saved: SavedClient): ClientView & { client_secret?: string } {
  return { ...clientView(saved.client), ...(saved.clientSecret ? { client_secret: saved.clientSecret } : {}) };
}

function stringArray(body: Record<string, unknown>, field: string): string[] {
  const value = body[field];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw new OAuthError('invalid_request', `${field} must be an array of strings`);
  }
  return value;
}

function bulkBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'the body must be a JSON object');
  }
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).filter(
    (key) => !['client_ids', 'add_tags', 'remove_tags', 'delete'].includes(key),
  );
  if (unknown.length > 0) throw new OAuthError('invalid_request', `unknown fields: ${unknown.join(', ')}`);
  if (record.delete !== undefined && record.delete !== true) {
    throw new OAuthError('invalid_request', 'delete, when present, must be true');
  }
  if (record.delete === true && (record.add_tags !== undefined || record.remove_tags !== undefined)) {
    throw new OAuthError('invalid_request', 'either delete or change tags, not both in one request');
  }
  return record;
}

/** Seed 004 (Clients hub): the admin API for clients (JSON, admin token required). */
export function adminClientRoutes(ctx: IssuerContext): RouteSpec[] {
  const base = `${ctx.path}/admin/clients`;
  const endpoint = (handle: AdminHandler) => adminEndpoint(ctx, handle);
  return [
    {
      path: base,
      handlers: {
        // Seed 004 (Filtering Clients): repeated `filter=field:operator:value`, all of which must hold.
        GET: endpoint(async (request) => {
          const filters = parseFilters(new URL(request.url).searchParams.getAll('filter'));
          const clients = await listClients(ctx, filters);
          return answer({ clients: clients.map(clientView) });
        }),
        // Seed 004 (Creating a Client); RFC 7591 §3.2.1: the secret is returned in this response (201) only.
        POST: endpoint(async (request) => {
          const saved = await createManualClient(ctx, await readJson(request));
          const location = `${ctx.issuer}/admin/clients/${encodeURIComponent(saved.client.client_id)}`;
          return answer(savedBody(saved), 201, { Location: location });
        }),
      },
    },
    {
      path: `${base}/bulk`,
      handlers: {
        // Seed 004 (Selecting Clients): {client_ids, add_tags?, remove_tags?} or {client_ids, delete: true}.
        POST: endpoint(async (request) => {
          const body = bulkBody(await readJson(request));
          const clientIds = stringArray(body, 'client_ids');
          if (body.delete === true) return answer({ deleted: await deleteClients(ctx, clientIds) });
          const change = { add: stringArray(body, 'add_tags'), remove: stringArray(body, 'remove_tags') };
          const clients = await retagClients(ctx, clientIds, change);
          return answer({ clients: clients.map(clientView) });
        }),
      },
    },
    {
      path: `${base}/:client_id`,
      handlers: {
        GET: endpoint(async (request) => answer(clientView(await findClient(ctx, clientIdFrom(ctx, request))))),
        // Seed 004 (Managing Clients): a JSON merge of the given settings; null resets a field.
        PATCH: endpoint(async (request) => {
          const clientId = clientIdFrom(ctx, request);
          return answer(savedBody(await updateClient(ctx, clientId, await readJson(request))));
        }),
        // Seed 004 (Deleting Clients): immediate, with every grant and remembered consent of the client; 204.
        DELETE: endpoint(async (request) => {
          await deleteClient(ctx, clientIdFrom(ctx, request));
          return new Response(null, { status: 204, headers: { ...NO_STORE } });
        }),
      },
    },
    {
      path: `${base}/:client_id/revoke-consent`,
      handlers: {
        // Seed 004 (Revoking access): the client stays; its grants, refresh and access tokens end.
        POST: endpoint(async (request) => {
          const clientId = clientIdFrom(ctx, request);
          return answer({ client_id: clientId, revoked_grants: await revokeConsent(ctx, clientId) });
        }),
      },
    },
  ];
}
