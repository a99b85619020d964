import type { UserRecord } from '../../store/index.ts';
import type { IssuerContext } from '../context.ts';
import { jsonResponse, NO_STORE, OAuthError } from '../errors.ts';
import { userTenant } from '../flow-users.ts';
import type { RouteSpec } from '../routes.ts';
import { adminEndpoint } from './admin-clients.ts';

/** A user as administrators see them: never the TOTP secret, only whether one is enrolled. */
export interface UserView {
  id: string;
  /** The issuer path the user belongs to: '' for the root issuer, `/t/<tenant>` for a tenant issuer. */
  tenant: string;
  email: string | null;
  login_ids: string[];
  external_ids: string[];
  attributes: Record<string, string>;
  mfa_enrolled: boolean;
  /** ISO 8601. */
  created_at: string;
  updated_at: string;
}

export function userView(user: UserRecord): UserView {
  return {
    id: user.id,
    tenant: user.tenant,
    email: user.email ?? null,
    login_ids: [...user.loginIds],
    external_ids: [...user.externalIds],
    attributes: { ...user.attributes },
    mfa_enrolled: user.totpSecret !== undefined,
    created_at: new Date(user.createdAt).toISOString(),
    updated_at: new Date(user.updatedAt).toISOString(),
  };
}

/** Which users to list: every criterion given must hold. */
export interface UserQuery {
  /** '' for the root issuer's users; `acme` or `/t/acme` for a tenant's. */
  tenant?: string;
  /** A login ID or email, compared without regard to case. */
  loginId?: string;
  /** Compared exactly. */
  externalId?: string;
}

/** The root issuer's administrators see every tenant's users; a tenant issuer's only its own. */
function ownTenantOf(ctx: IssuerContext): string | undefined {
  const tenant = userTenant(ctx);
  return tenant === '' ? undefined : tenant;
}

/** A `tenant` filter as users are stored: '' (the root issuer), `acme` or `/t/acme` both mean `/t/acme`. */
function storedTenant(value: string): string {
  return value === '' || value.startsWith('/') ? value : `/t/${value}`;
}

function sameLoginId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function matches(user: UserRecord, query: UserQuery): boolean {
  const { loginId, externalId } = query;
  return (
    (loginId === undefined ||
      (user.email !== undefined && sameLoginId(user.email, loginId)) ||
      user.loginIds.some((candidate) => sameLoginId(candidate, loginId))) &&
    (externalId === undefined || user.externalIds.includes(externalId))
  );
}

/**
 * The users an issuer's administrators see, oldest first: a tenant issuer only its tenant's, the root issuer every
 * tenant's (or one, by `tenant`).
 */
export async function listUsers(ctx: IssuerContext, query: UserQuery = {}): Promise<UserRecord[]> {
  const ownTenant = ownTenantOf(ctx);
  const wanted = query.tenant === undefined ? undefined : storedTenant(query.tenant);
  if (ownTenant !== undefined && wanted !== undefined && wanted !== ownTenant) return [];
  const users = await ctx.store.users.list(ownTenant ?? wanted);
  return users.filter((user) => matches(user, query));
}

/** One user of this issuer's reach (a tenant issuer sees only its tenant's), or undefined. */
export async function findUser(ctx: IssuerContext, id: string): Promise<UserRecord | undefined> {
  const user = await ctx.store.users.get(id);
  const ownTenant = ownTenantOf(ctx);
  return user && (ownTenant === undefined || user.tenant === ownTenant) ? user : undefined;
}

function queryParam(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw new OAuthError('invalid_request', `${name} must be given at most once`);
  return values[0] === '' ? undefined : values[0];
}

/** `login_id` and `email` are one filter (an email is a login ID); give one of them. */
export function parseUserQuery(params: URLSearchParams): UserQuery {
  const loginId = queryParam(params, 'login_id');
  const email = queryParam(params, 'email');
  if (loginId !== undefined && email !== undefined && !sameLoginId(loginId, email)) {
    throw new OAuthError('invalid_request', 'give login_id or email, not two different values');
  }
  const tenant = queryParam(params, 'tenant');
  const externalId = queryParam(params, 'external_id');
  const anyLoginId = loginId ?? email;
  return {
    ...(tenant !== undefined ? { tenant } : {}),
    ...(anyLoginId !== undefined ? { loginId: anyLoginId } : {}),
    ...(externalId !== undefined ? { externalId } : {}),
  };
}

function userIdFrom(ctx: IssuerContext, request: Request): string {
  const segment = new URL(request.url).pathname.slice(`${ctx.path}/admin/users/`.length).split('/')[0] ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new OAuthError('invalid_request', 'the user id in the path is not valid percent-encoding');
  }
}

/** Seed 001/004: the users directory for administrators (JSON, admin token required). */
export function adminUserRoutes(ctx: IssuerContext): RouteSpec[] {
  const base = `${ctx.path}/admin/users`;
  return [
    {
      path: base,
      handlers: {
        // Filters `tenant`, `login_id` (or `email`), `external_id`; `{ "users": [UserView…] }`, oldest first.
        GET: adminEndpoint(ctx, async (request) => {
          const users = await listUsers(ctx, parseUserQuery(new URL(request.url).searchParams));
          return jsonResponse({ users: users.map(userView) }, 200, { ...NO_STORE });
        }),
      },
    },
    {
      path: `${base}/:user_id`,
      handlers: {
        GET: adminEndpoint(ctx, async (request) => {
          const id = userIdFrom(ctx, request);
          const user = await findUser(ctx, id);
          if (!user) throw new OAuthError('not_found', `no user ${id} at this issuer`, 404);
          return jsonResponse(userView(user), 200, { ...NO_STORE });
        }),
      },
    },
  ];
}
