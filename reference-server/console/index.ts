import { AUDIT_DEFAULT_LIMIT, AUDIT_EVENT_KINDS, readAuditLog } from '../authorization-server/activity.ts';
import type { IssuerContext } from '../authorization-server/context.ts';
import { listUsers, userView } from '../authorization-server/endpoints/admin-users.ts';
import { OAuthError } from '../authorization-server/errors.ts';
import { userTenant } from '../authorization-server/flow-users.ts';
import { readForm, redirectResponse } from '../authorization-server/http.ts';
import type { RouteSpec } from '../authorization-server/routes.ts';
import type { AuditEventKind, SessionRecord } from '../store/index.ts';
import { type AuditPageView, auditPage, usersPage } from './activity-views.ts';
import { type ClientFilter, clientFilter } from './client-filters.ts';
import { settingsOf } from './client-settings.ts';
import { clientType } from './client-view.ts';
import {
  createManualClient,
  deleteClient,
  deleteClients,
  findClient,
  listClients,
  retagClients,
  revokeConsent,
  updateClient,
} from './clients-service.ts';
import { annotationsFromForm, filterRows, settingsFromForm, tagsFromForm } from './forms.ts';
import {
  closeSession,
  consolePath,
  consoleSession,
  csrfMatches,
  isAdminToken,
  openSession,
  signInToken,
  signInTokenMatches,
} from './session.ts';
import {
  type ConsoleUrls,
  clientDetailPage,
  clientFormPage,
  clientsPage,
  refusedPage,
  type Signed,
  signInPage,
} from './views.ts';

/** What a finished action reports on the page it redirects to (codes, so no text travels in URLs). */
const NOTICES: Readonly<Record<string, string>> = {
  updated: 'Client saved.',
  revoked: 'Consent revoked: the grants of this client ended; the client stays.',
  deleted: 'Client deleted: its client ID no longer works.',
  tagged: 'Tags updated on the selected clients.',
  'bulk-deleted': 'The selected clients were deleted.',
};

function consoleUrls(ctx: IssuerContext): ConsoleUrls {
  const base = `${ctx.issuer}/console`;
  const client = (clientId: string) => `${base}/clients/${encodeURIComponent(clientId)}`;
  return {
    signIn: `${base}/sign-in`,
    signOut: `${base}/sign-out`,
    clients: `${base}/clients`,
    create: `${base}/clients/new`,
    bulk: `${base}/clients/bulk`,
    client,
    edit: (clientId) => `${client(clientId)}/edit`,
    revokeConsent: (clientId) => `${client(clientId)}/revoke-consent`,
    remove: (clientId) => `${client(clientId)}/delete`,
    users: `${base}/users`,
    audit: `${base}/audit`,
  };
}

function noticeOf(request: Request): string | undefined {
  return NOTICES[new URL(request.url).searchParams.get('done') ?? ''];
}

function clientIdFrom(ctx: IssuerContext, request: Request): string {
  const segment = new URL(request.url).pathname.slice(`${consolePath(ctx)}/clients/`.length).split('/')[0] ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new OAuthError('invalid_request', 'the client ID in the address is not valid percent-encoding');
  }
}

function confirmed(form: URLSearchParams, word: string): boolean {
  return (form.get('confirm') ?? '').trim().toLowerCase() === word;
}

type PageHandler = (request: Request, signed: Signed) => Promise<Response>;
type FormHandler = (
  request: Request,
  signed: Signed,
  form: URLSearchParams,
  session: SessionRecord,
) => Promise<Response>;

/** Seed 004: the Clients hub console, server-rendered pages under `<issuer>/console`. */
export function consoleRoutes(ctx: IssuerContext): RouteSpec[] {
  const urls = consoleUrls(ctx);
  const base = consolePath(ctx);
  const toSignIn = () => redirectResponse(urls.signIn, 303);

  /** Pages need a console session; any error becomes a page that says what went wrong, never a stack trace. */
  const signedPage =
    (handle: PageHandler) =>
    async (request: Request): Promise<Response> => {
      const session = await consoleSession(ctx, request);
      if (!session) return toSignIn();
      const signed = { urls, csrfToken: session.csrfToken };
      return handle(request, signed).catch((thrown: unknown) => failurePage(thrown, signed));
    };

  /** RFC 9700 §4.11 (CSRF): every form post echoes the session's token. */
  const signedForm =
    (handle: FormHandler) =>
    async (request: Request): Promise<Response> => {
      const session = await consoleSession(ctx, request);
      if (!session) return toSignIn();
      const signed = { urls, csrfToken: session.csrfToken };
      try {
        const form = await readForm(request);
        if (!csrfMatches(session, form.get('csrf_token'))) {
          return refusedPage('The form was not submitted from this console (CSRF token mismatch).', 403, signed);
        }
        return await handle(request, signed, form, session);
      } catch (thrown) {
        return failurePage(thrown, signed);
      }
    };

  const listPage = async (
    signed: Signed,
    rows: ReturnType<typeof filterRows>,
    extra: { notice?: string; error?: string } = {},
  ) => {
    let filters: ClientFilter[] = [];
    let error = extra.error;
    try {
      filters = rows.map((row) => clientFilter(row.field, row.operator, row.value));
    } catch (thrown) {
      if (!(thrown instanceof OAuthError)) throw thrown;
      error = `${thrown.description} (showing every client)`;
    }
    const clients = await listClients(ctx, filters);
    const view = {
      clients,
      filters: rows,
      ...(extra.notice ? { notice: extra.notice } : {}),
      ...(error ? { error } : {}),
    };
    return clientsPage(signed, view, error ? 400 : 200);
  };

  return [
    { path: base, handlers: { GET: async () => redirectResponse(urls.clients, 302) } },
    {
      path: `${base}/sign-in`,
      handlers: {
        // The admin token is typed into a form, never put in a URL; the sign-in form carries a double-submit token.
        GET: async () => {
          const { token, cookie } = signInToken(ctx);
          return signInPage(urls.signIn, token, cookie);
        },
        POST: async (request) => {
          const form = await readForm(request).catch(() => new URLSearchParams());
          const retry = (error: string) => {
            const { token, cookie } = signInToken(ctx);
            return signInPage(urls.signIn, token, cookie, error);
          };
          if (!signInTokenMatches(request, form.get('csrf_token'))) {
            return retry('The sign-in form expired or was not sent from this console; try again.');
          }
          if (!isAdminToken(ctx, form.get('admin_token') ?? '')) return retry('That is not the admin token.');
          const cookies = await openSession(ctx);
          const headers = new Headers({ Location: urls.clients, 'Cache-Control': 'no-store' });
          for (const cookie of cookies) headers.append('Set-Cookie', cookie);
          return new Response(null, { status: 303, headers });
        },
      },
    },
    {
      path: `${base}/sign-out`,
      handlers: {
        POST: signedForm(async (_request, _signed, _form, session) =>
          redirectResponse(urls.signIn, 303, { 'Set-Cookie': await closeSession(ctx, session) }),
        ),
      },
    },
    {
      path: `${base}/clients`,
      handlers: {
        // Seed 004 (Viewing and Filtering Clients): every client, DCR, CIMD and manual, filtered by the form's rows.
        GET: signedPage(async (request, signed) => {
          const notice = noticeOf(request);
          return listPage(signed, filterRows(new URL(request.url).searchParams), notice ? { notice } : {});
        }),
      },
    },
    {
      path: `${base}/users`,
      handlers: {
        // Seeds 001/004: the users flows and federation created, found by login ID or email.
        GET: signedPage(async (request, signed) => {
          const loginId = (new URL(request.url).searchParams.get('login_id') ?? '').trim();
          const users = await listUsers(ctx, loginId ? { loginId } : {});
          return usersPage(signed, { users: users.map(userView), loginId });
        }),
      },
    },
    {
      path: `${base}/audit`,
      handlers: {
        // Seed 004: the audit log, newest first, filtered by kind and user.
        GET: signedPage(async (request, signed) => {
          const view = await auditView(ctx, new URL(request.url).searchParams);
          return auditPage(signed, view, view.error ? 400 : 200);
        }),
      },
    },
    {
      path: `${base}/clients/new`,
      handlers: {
        GET: signedPage(async (_request, signed) =>
          clientFormPage(signed, {
            action: urls.create,
            title: 'New client',
            values: { grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_basic' },
          }),
        ),
        // Seed 004 (Creating a Client): the secret is shown on the answer to this post, and never again.
        POST: signedForm(async (_request, signed, form) => {
          const values = settingsFromForm(form);
          try {
            const saved = await createManualClient(ctx, values);
            const secret = saved.clientSecret ? { clientSecret: saved.clientSecret } : {};
            return clientDetailPage(signed, { client: saved.client, ...secret, notice: 'Client created.' }, 201);
          } catch (thrown) {
            if (!(thrown instanceof OAuthError)) throw thrown;
            const view = { action: urls.create, title: 'New client', values, error: thrown.description };
            return clientFormPage(signed, view, 400);
          }
        }),
      },
    },
    {
      path: `${base}/clients/bulk`,
      handlers: {
        // Seed 004 (Selecting Clients): add or remove tags on, or delete, the checked clients.
        POST: signedForm(async (_request, signed, form) => {
          const clientIds = form.getAll('client_id');
          const action = form.get('action');
          const refuse = (error: string) => listPage(signed, [], { error });
          try {
            if (action === 'delete') {
              if (!confirmed(form, 'delete'))
                return await refuse('Type delete to confirm deleting the selected clients.');
              await deleteClients(ctx, clientIds);
              return redirectResponse(`${urls.clients}?done=bulk-deleted`, 303);
            }
            if (action !== 'add-tags' && action !== 'remove-tags') return await refuse('Choose a bulk action.');
            const tags = tagsFromForm(form);
            await retagClients(
              ctx,
              clientIds,
              action === 'add-tags' ? { add: tags, remove: [] } : { add: [], remove: tags },
            );
            return redirectResponse(`${urls.clients}?done=tagged`, 303);
          } catch (thrown) {
            if (!(thrown instanceof OAuthError)) throw thrown;
            return refuse(thrown.description);
          }
        }),
      },
    },
    {
      path: `${base}/clients/:client_id`,
      handlers: {
        GET: signedPage(async (request, signed) => {
          const client = await findClient(ctx, clientIdFrom(ctx, request));
          const notice = noticeOf(request);
          return clientDetailPage(signed, { client, ...(notice ? { notice } : {}) });
        }),
      },
    },
    {
      path: `${base}/clients/:client_id/edit`,
      handlers: {
        GET: signedPage(async (request, signed) => {
          const client = await findClient(ctx, clientIdFrom(ctx, request));
          return clientFormPage(
            signed,
            editView(urls, client.client_id, settingsOf(client), clientType(client) === 'cimd'),
          );
        }),
        // Seed 004 (Managing Clients): the whole form replaces the client's settings, validated as on create.
        POST: signedForm(async (request, signed, form) => {
          const client = await findClient(ctx, clientIdFrom(ctx, request));
          const annotationsOnly = clientType(client) === 'cimd';
          const values = annotationsOnly ? annotationsFromForm(form) : settingsFromForm(form);
          try {
            const saved = await updateClient(ctx, client.client_id, values);
            if (saved.clientSecret) {
              const notice = 'Client saved; it now authenticates with this new secret.';
              return clientDetailPage(signed, { client: saved.client, clientSecret: saved.clientSecret, notice });
            }
            return redirectResponse(`${urls.client(client.client_id)}?done=updated`, 303);
          } catch (thrown) {
            if (!(thrown instanceof OAuthError)) throw thrown;
            const view = { ...editView(urls, client.client_id, { ...settingsOf(client), ...values }, annotationsOnly) };
            return clientFormPage(signed, { ...view, error: thrown.description }, 400);
          }
        }),
      },
    },
    {
      path: `${base}/clients/:client_id/revoke-consent`,
      handlers: {
        // Seed 004 (Revoking access): the client stays; users' grants and their tokens end.
        POST: signedForm(async (request, signed, form) => {
          const client = await findClient(ctx, clientIdFrom(ctx, request));
          if (!confirmed(form, 'revoke')) {
            return clientDetailPage(signed, { client, error: 'Type revoke to confirm revoking consent.' }, 400);
          }
          await revokeConsent(ctx, client.client_id);
          return redirectResponse(`${urls.client(client.client_id)}?done=revoked`, 303);
        }),
      },
    },
    {
      path: `${base}/clients/:client_id/delete`,
      handlers: {
        // Seed 004 (Deleting Clients): immediate and final; the client ID stops working.
        POST: signedForm(async (request, signed, form) => {
          const client = await findClient(ctx, clientIdFrom(ctx, request));
          if (!confirmed(form, 'delete')) {
            return clientDetailPage(signed, { client, error: 'Type delete to confirm deleting this client.' }, 400);
          }
          await deleteClient(ctx, client.client_id);
          return redirectResponse(`${urls.clients}?done=deleted`, 303);
        }),
      },
    },
  ];
}

function isEventKind(value: string): value is AuditEventKind {
  return (AUDIT_EVENT_KINDS as string[]).includes(value);
}

/** The `sub` a person typed: a user's ID as is, or the ID of the user with that login ID or email. */
async function subjectOf(ctx: IssuerContext, typed: string): Promise<string> {
  const user = await ctx.store.users.findByLoginId(userTenant(ctx), typed);
  return user?.id ?? typed;
}

/** Seed 004 (audit log): the newest events first, by kind and user, at most AUDIT_DEFAULT_LIMIT of them. */
async function auditView(ctx: IssuerContext, params: URLSearchParams): Promise<AuditPageView> {
  const typedKind = params.get('kind') ?? '';
  const user = (params.get('user') ?? '').trim();
  const kind = isEventKind(typedKind) ? typedKind : '';
  const sub = user ? await subjectOf(ctx, user) : undefined;
  const query = { kinds: kind ? [kind] : [], limit: AUDIT_DEFAULT_LIMIT + 1, ...(sub ? { sub } : {}) };
  const events = (await readAuditLog(ctx, query)).reverse();
  const truncated = events.length > AUDIT_DEFAULT_LIMIT;
  return {
    events: truncated ? events.slice(0, AUDIT_DEFAULT_LIMIT) : events,
    kind,
    user,
    ...(truncated ? { truncatedAt: AUDIT_DEFAULT_LIMIT } : {}),
    ...(typedKind !== kind ? { error: `Unknown kind "${typedKind}": showing every kind.` } : {}),
  };
}

function editView(urls: ConsoleUrls, clientId: string, values: Record<string, unknown>, annotationsOnly: boolean) {
  return { action: urls.edit(clientId), title: 'Edit client', values, annotationsOnly };
}

function failurePage(thrown: unknown, signed: Signed): Response {
  if (thrown instanceof OAuthError) return refusedPage(thrown.description, thrown.status, signed);
  return refusedPage('The console hit an unexpected condition.', 500, signed);
}
