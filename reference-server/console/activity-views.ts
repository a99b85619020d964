/** The console's read-only pages (seeds 001/004): the users directory and the audit log. */
import { AUDIT_EVENT_KINDS, AUDIT_EVENT_LABELS } from '../authorization-server/activity.ts';
import type { UserView } from '../authorization-server/endpoints/admin-users.ts';
import type { AuditEvent, AuditEventKind } from '../store/index.ts';
import { html, page, type SafeHtml } from './html.ts';
import { badges, chrome, dateTime, messages, options, type Signed } from './views.ts';

// ── Users ───────────────────────────────────────────────────────────────────────────────────────────────────────

export interface UsersPageView {
  users: readonly UserView[];
  /** The login ID or email searched for, if any. */
  loginId: string;
}

function userRow(user: UserView): SafeHtml {
  return html`<tr>
<td><code>${user.id}</code></td>
<td>${user.email ?? '—'}</td>
<td>${user.login_ids.length ? badges(user.login_ids) : '—'}</td>
<td>${user.external_ids.length ? html`${user.external_ids.map((id) => html`<code>${id}</code><br>`)}` : '—'}</td>
<td>${user.tenant || '(root)'}</td>
<td>${user.mfa_enrolled ? 'Yes' : 'No'}</td>
<td>${dateTime(user.created_at)}</td>
</tr>`;
}

export function usersPage(signed: Signed, view: UsersPageView): Response {
  const { urls } = signed;
  const rows = view.users.length
    ? html`${view.users.map(userRow)}`
    : html`<tr><td colspan="7">No users${view.loginId ? ' match' : ' yet: flows and federation create them'}.</td></tr>`;
  const body = html`<p>People this server knows: created by consent flows (Generate JWT) and federation, with the login IDs
and external IDs (upstream user IDs, OIDC <code>iss|sub</code>, SAML NameIDs) they are matched by.</p>
<form method="get" action="${urls.users}" class="row" aria-label="Find users">
<label for="users-login-id">Login ID or email<input type="text" id="users-login-id" name="login_id" value="${view.loginId}"></label>
<button type="submit">Find</button> <a href="${urls.users}">Show all</a>
</form>
<table>
<caption>${view.users.length} ${view.users.length === 1 ? 'user' : 'users'}</caption>
<thead><tr><th scope="col">ID</th><th scope="col">Email</th><th scope="col">Login IDs</th><th scope="col">External IDs</th><th scope="col">Tenant</th><th scope="col">MFA enrolled</th><th scope="col">Created</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
  return page(chrome('Users', signed), body);
}

// ── Audit log ───────────────────────────────────────────────────────────────────────────────────────────────────

export interface AuditPageView {
  /** Newest first, as people read a log. */
  events: readonly AuditEvent[];
  kind: AuditEventKind | '';
  user: string;
  /** Set when more events matched than are shown. */
  truncatedAt?: number;
  error?: string;
}

/** One line for any event; token exchanges carry their chain instead of a summary. */
export function eventSummary(event: AuditEvent): string {
  if (event.kind !== 'token-exchange') return event.summary;
  const acting = event.impersonation ? 'impersonating' : `acting as ${event.actors.join(' ← ')} for`;
  return `${event.clientId} exchanged a token of ${event.subjectAudience} for one of ${event.audience}, ${acting} ${event.sub}`;
}

function eventRow(event: AuditEvent): SafeHtml {
  return html`<tr>
<td>${dateTime(new Date(event.at).toISOString())}</td>
<td><span class="badge">${AUDIT_EVENT_LABELS[event.kind]}</span></td>
<td>${event.sub ? html`<code>${event.sub}</code>` : '—'}</td>
<td>${event.clientId ? html`<code>${event.clientId}</code>` : '—'}</td>
<td>${eventSummary(event)}</td>
</tr>`;
}

function auditFilterForm(signed: Signed, view: AuditPageView): SafeHtml {
  const kinds = ['', ...AUDIT_EVENT_KINDS];
  const label = (kind: string) => (kind === '' ? 'Any kind' : AUDIT_EVENT_LABELS[kind as AuditEventKind]);
  return html`<form method="get" action="${signed.urls.audit}" class="row" aria-label="Filter the audit log">
<label for="audit-kind">Kind<select id="audit-kind" name="kind">${options(kinds, view.kind, label)}</select></label>
<label for="audit-user">User (ID, login ID or email)<input type="text" id="audit-user" name="user" value="${view.user}"></label>
<button type="submit">Filter</button> <a href="${signed.urls.audit}">Clear</a>
</form>`;
}

export function auditPage(signed: Signed, view: AuditPageView, status = 200): Response {
  const rows = view.events.length
    ? html`${view.events.map(eventRow)}`
    : html`<tr><td colspan="5">No events match.</td></tr>`;
  const shown = view.truncatedAt ? `the newest ${view.truncatedAt} events` : `${view.events.length} events`;
  const body = html`${messages(undefined, view.error)}
<p>What happened at this issuer: sign-ins, consents, tokens issued, exchanged and revoked, users created. Tokens
themselves are never logged, only their IDs (<code>jti</code>).</p>
${auditFilterForm(signed, view)}
<table>
<caption>${shown}, newest first</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Kind</th><th scope="col">User</th><th scope="col">Client</th><th scope="col">Summary</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
  return page(chrome('Audit log', signed), body, status);
}
