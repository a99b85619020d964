/**
 * Seed 004 (Clients hub): the operations on clients that the admin API and the console share. Deleting a client is
 * immediate and ends its client id; revoking consent keeps the client and ends every grant users gave it. Both
 * withdraw the consents users gave it, so they are asked again.
 */
import { epochSeconds } from '../../harness/clock.ts';
import { recordActivity } from '../authorization-server/activity.ts';
import type { IssuerContext } from '../authorization-server/context.ts';
import { OAuthError } from '../authorization-server/errors.ts';
import { CIBA_GRANT } from '../authorization-server/grants/ciba.ts';
import { revokeRefreshTokenFamily } from '../authorization-server/grants/refresh-token.ts';
import { randomToken } from '../authorization-server/http.ts';
import type { ClientRecord } from '../store/index.ts';
import { applyFilters, type ClientFilter, createdAtMs } from './client-filters.ts';
import {
  ANNOTATION_FIELDS,
  AUTHORIZATION_CODE_GRANT,
  applicationTypeFor,
  type ClientSettings,
  isPlainObject,
  normalizedTags,
  type RawSettings,
  settingsOf,
  validateSettings,
} from './client-settings.ts';
import { clientType } from './client-view.ts';

export const MAX_BULK_CLIENTS = 500;

/** A saved client and, when one was just generated, its secret (shown once, never again). */
export interface SavedClient {
  client: ClientRecord;
  clientSecret?: string;
}

export interface TagChange {
  add: readonly string[];
  remove: readonly string[];
}

function notFound(clientId: string): OAuthError {
  return new OAuthError('not_found', `no client with client_id "${clientId}"`, 404);
}

export async function findClient(ctx: IssuerContext, clientId: string): Promise<ClientRecord> {
  const client = await ctx.store.clients.get(clientId);
  if (!client) throw notFound(clientId);
  return client;
}

/** Every client passing all filters, newest first. */
export async function listClients(ctx: IssuerContext, filters: readonly ClientFilter[]): Promise<ClientRecord[]> {
  const clients = applyFilters(await ctx.store.clients.list(), filters);
  return clients.sort((a, b) => createdAtMs(b) - createdAtMs(a) || a.client_id.localeCompare(b.client_id));
}

function needsSharedSecret(client: Pick<ClientRecord, 'token_endpoint_auth_method'>): boolean {
  return (
    client.token_endpoint_auth_method === 'client_secret_basic' ||
    client.token_endpoint_auth_method === 'client_secret_post'
  );
}

/** The settings applied to a record; the secret is generated when a shared-secret method first needs one. */
function withSettings(base: ClientRecord, settings: ClientSettings, raw: RawSettings, now: number): SavedClient {
  const {
    description: _description,
    logo_uri: _logo,
    ciba_link_expiry_seconds: _ciba,
    backchannel_token_delivery_mode: _mode,
    session_management: _session,
    client_secret: existingSecret,
    client_secret_expires_at: _expiry,
    ...kept
  } = base;
  const secret = needsSharedSecret(settings) ? (existingSecret ?? randomToken(32)) : undefined;
  const client: ClientRecord = {
    ...kept,
    ...settings,
    ...(secret ? { client_secret: secret, client_secret_expires_at: base.client_secret_expires_at ?? 0 } : {}),
    response_types: settings.grant_types.includes(AUTHORIZATION_CODE_GRANT) ? ['code'] : [],
    application_type: applicationTypeFor(raw, { hasKeys: false, applicationType: base.application_type }),
    // CIBA Core §5: poll is the one delivery mode offered.
    ...(settings.grant_types.includes(CIBA_GRANT) ? { backchannel_token_delivery_mode: 'poll' as const } : {}),
    updated_at: now,
  };
  return { client, ...(secret && secret !== existingSecret ? { clientSecret: secret } : {}) };
}

function requireObject(body: unknown): RawSettings {
  if (!isPlainObject(body)) throw new OAuthError('invalid_request', 'the body must be a JSON object');
  return body;
}

/** Seed 004 (Creating a Client): a manual client with a generated client_id (and secret, unless public). */
export async function createManualClient(ctx: IssuerContext, body: unknown): Promise<SavedClient> {
  const raw = requireObject(body);
  const settings = validateSettings(raw, { hasKeys: false, applicationType: 'web' });
  const now = ctx.clock.now();
  const base: ClientRecord = {
    client_id: crypto.randomUUID(),
    client_id_issued_at: epochSeconds(ctx.clock),
    redirect_uris: [],
    token_endpoint_auth_method: settings.token_endpoint_auth_method,
    grant_types: [],
    response_types: [],
    application_type: 'web',
    registeredBy: 'admin',
  };
  const saved = withSettings(base, settings, raw, now);
  await ctx.store.clients.save(saved.client);
  return saved;
}

/**
 * Seed 004 (Managing Clients): a JSON merge of the given fields into the client's settings (null resets one), validated
 * as a whole. A CIMD client's metadata document is authoritative, so only its annotations (tags, description) change.
 */
export async function updateClient(ctx: IssuerContext, clientId: string, body: unknown): Promise<SavedClient> {
  const patch = requireObject(body);
  const client = await findClient(ctx, clientId);
  if (clientType(client) === 'cimd') {
    const locked = Object.keys(patch).filter((field) => !ANNOTATION_FIELDS.some((allowed) => allowed === field));
    if (locked.length > 0) {
      throw new OAuthError(
        'invalid_client_metadata',
        `${locked.join(', ')}: a CIMD client's metadata comes from its document; only tags and description can change`,
      );
    }
  }
  const raw = { ...settingsOf(client), ...patch };
  const settings = validateSettings(raw, {
    hasKeys: Boolean(client.jwks?.keys.length || client.jwks_uri),
    applicationType: client.application_type,
  });
  const saved = withSettings(client, settings, raw, ctx.clock.now());
  await ctx.store.clients.save(saved.client);
  return saved;
}

async function findAll(ctx: IssuerContext, clientIds: readonly string[]): Promise<ClientRecord[]> {
  if (clientIds.length === 0) throw new OAuthError('invalid_request', 'select at least one client');
  if (clientIds.length > MAX_BULK_CLIENTS) {
    throw new OAuthError('invalid_request', `at most ${MAX_BULK_CLIENTS} clients at once`);
  }
  const clients = await Promise.all([...new Set(clientIds)].map((id) => ctx.store.clients.get(id)));
  const missing = [...new Set(clientIds)].filter((_, index) => !clients[index]);
  if (missing.length > 0) throw new OAuthError('invalid_request', `unknown client_ids: ${missing.join(', ')}`);
  return clients.filter((client): client is ClientRecord => client !== undefined);
}

/** Seed 004 (Managing Tags): adds and removes tags on several clients at once; all or none. */
export async function retagClients(
  ctx: IssuerContext,
  clientIds: readonly string[],
  change: TagChange,
): Promise<ClientRecord[]> {
  const add = normalizedTags(change.add, 'add_tags');
  const remove = new Set(normalizedTags(change.remove, 'remove_tags'));
  if (add.length === 0 && remove.size === 0) throw new OAuthError('invalid_request', 'name tags to add or remove');
  const clients = await findAll(ctx, clientIds);
  const now = ctx.clock.now();
  const updated = clients.map((client) => {
    const tags = [...new Set([...(client.tags ?? []), ...add])].filter((tag) => !remove.has(tag));
    return { ...client, tags, updated_at: now };
  });
  for (const client of updated) await ctx.store.clients.save(client);
  return updated;
}

/**
 * Seed 004 (Revoking access): the client stays; every grant users gave it ends, with its refresh token family and
 * access tokens (OAuth 2.1 §4.3, RFC 7009 §2.1), and remembered consents are withdrawn. Answers how many live grants
 * were revoked.
 */
export async function revokeConsent(ctx: IssuerContext, clientId: string): Promise<number> {
  const client = await findClient(ctx, clientId);
  return endClientAccess(ctx, client.client_id, 'consent-revoked');
}

/**
 * Ends what users gave a client: every grant with its refresh token family and access tokens, and the remembered
 * consents (so users are asked again); the audit log records it. Answers how many live grants were revoked.
 */
export async function endClientAccess(
  ctx: IssuerContext,
  clientId: string,
  reason: 'consent-revoked' | 'client-deleted',
): Promise<number> {
  let revoked = 0;
  for (const grant of await ctx.store.grants.listByClient(clientId)) {
    if (grant.revokedAt === undefined) revoked++;
    await revokeRefreshTokenFamily(ctx, grant.id);
  }
  const withdrawn = await ctx.store.consents.deleteByClient(clientId);
  const action = reason === 'client-deleted' ? 'client deleted' : 'consent revoked';
  await recordActivity(ctx, {
    kind: 'token-revoked',
    clientId,
    summary: `${action}: ${revoked} ${revoked === 1 ? 'grant' : 'grants'} of ${clientId} ended with their tokens`,
    details: { reason, grants_revoked: revoked, consents_withdrawn: withdrawn },
  });
  return revoked;
}

/** Seed 004 (Deleting Clients): immediate; the client id stops working and what it was granted ends with it. */
export async function deleteClient(ctx: IssuerContext, clientId: string): Promise<void> {
  const client = await findClient(ctx, clientId);
  await endClientAccess(ctx, client.client_id, 'client-deleted');
  await ctx.store.clients.delete(client.client_id);
}

/** Deletes several clients, all of which must exist. */
export async function deleteClients(ctx: IssuerContext, clientIds: readonly string[]): Promise<string[]> {
  const clients = await findAll(ctx, clientIds);
  for (const client of clients) await deleteClient(ctx, client.client_id);
  return clients.map((client) => client.client_id);
}
