/** The console's pages (seed 004, Clients hub): plain forms, a table with a caption, no scripts. */
import { JWT_BEARER_GRANT } from '../authorization-server/grants/assertion.ts';
import { CIBA_GRANT } from '../authorization-server/grants/ciba.ts';
import { CLIENT_CREDENTIALS_GRANT } from '../authorization-server/grants/client-credentials.ts';
import type { ClientRecord, TrustedIssuerConfig } from '../store/index.ts';
import { FILTER_FIELDS, FILTER_OPERATORS } from './client-filters.ts';
import {
  AUTHORIZATION_CODE_GRANT,
  GRANT_TYPE_LABELS,
  type RawSettings,
  SETTABLE_AUTH_METHODS,
  TOKEN_FORMATS,
} from './client-settings.ts';
import { CLIENT_TYPE_LABELS, type ClientView, clientView } from './client-view.ts';
import { html, type PageChrome, page, type SafeHtml } from './html.ts';

/** The console's addresses, all under `<issuer>/console`. */
export interface ConsoleUrls {
  signIn: string;
  signOut: string;
  clients: string;
  create: string;
  bulk: string;
  client(clientId: string): string;
  edit(clientId: string): string;
  revokeConsent(clientId: string): string;
  remove(clientId: string): string;
  users: string;
  audit: string;
}

export interface Signed {
  urls: ConsoleUrls;
  csrfToken: string;
}

export function chrome(title: string, signed?: Signed): PageChrome {
  if (!signed) return { title };
  const { urls } = signed;
  return {
    title,
    signOut: { action: urls.signOut, csrfToken: signed.csrfToken },
    nav: { clients: urls.clients, create: urls.create, users: urls.users, audit: urls.audit },
  };
}

function csrfInput(signed: Signed): SafeHtml {
  return html`<input type="hidden" name="csrf_token" value="${signed.csrfToken}">`;
}

export function messages(notice?: string, error?: string): SafeHtml {
  return html`${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}${
    error ? html`<p class="error" role="alert">${error}</p>` : ''
  }`;
}

function grantLabel(grant: string): string {
  return GRANT_TYPE_LABELS[grant] ?? grant;
}

export function dateTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

// ── Sign in ─────────────────────────────────────────────────────────────────────────────────────────────────────

export function signInPage(action: string, csrfToken: string, cookie: string, error?: string): Response {
  const body = html`${messages(undefined, error)}
<p>Sign in with the deployment's admin token (the same bearer token the admin API takes).</p>
<form method="post" action="${action}" class="stack">
<input type="hidden" name="csrf_token" value="${csrfToken}">
<label for="admin_token">Admin token</label>
<input type="password" id="admin_token" name="admin_token" autocomplete="off" required>
<p><button type="submit">Sign in</button></p>
</form>`;
  return page(chrome('Sign in'), body, error ? 401 : 200, { 'Set-Cookie': cookie });
}

export function refusedPage(explanation: string, status: number, signed?: Signed): Response {
  return page(chrome('Request refused', signed), html`<p class="error" role="alert">${explanation}</p>`, status);
}

// ── Clients list ────────────────────────────────────────────────────────────────────────────────────────────────

export interface FilterRow {
  field: string;
  operator: string;
  value: string;
}

export interface ClientsPageView {
  clients: readonly ClientRecord[];
  filters: readonly FilterRow[];
  notice?: string;
  error?: string;
}

export function options(
  values: readonly string[],
  selected: string,
  label: (value: string) => string = (v) => v,
): SafeHtml {
  return html`${values.map((value) => html`<option value="${value}"${value === selected ? html` selected` : ''}>${label(value)}</option>`)}`;
}

function filterRow(row: FilterRow, index: number): SafeHtml {
  return html`<div class="row">
<label for="filter-field-${index}">Field<select id="filter-field-${index}" name="field">${options(FILTER_FIELDS, row.field)}</select></label>
<label for="filter-op-${index}">Operator<select id="filter-op-${index}" name="op">${options(FILTER_OPERATORS, row.operator)}</select></label>
<label for="filter-value-${index}">Value<input type="text" id="filter-value-${index}" name="value" value="${row.value}"></label>
</div>`;
}

function filterForm(urls: ConsoleUrls, filters: readonly FilterRow[]): SafeHtml {
  const rows = [...filters, { field: 'name', operator: 'contains', value: '' }];
  return html`<form method="get" action="${urls.clients}" aria-labelledby="filters-heading">
<fieldset><legend id="filters-heading">Filter clients</legend>
<p class="muted">All rows must match. Operators: contains, equals, in (comma list), matches (regular expression); before and
after compare the created or updated timestamp (2026-01-31 or 2026-01-31T12:00:00Z). Leave a value empty to drop its row.</p>
${rows.map(filterRow)}
<p><button type="submit">Apply filters</button> <a href="${urls.clients}">Clear filters</a></p>
</fieldset></form>`;
}

export function badges(values: readonly string[], label: (value: string) => string = (v) => v): SafeHtml {
  return html`${values.map((value) => html`<span class="badge">${label(value)}</span>`)}`;
}

function clientRow(urls: ConsoleUrls, client: ClientView, index: number): SafeHtml {
  return html`<tr>
<td><input type="checkbox" id="select-${index}" name="client_id" value="${client.client_id}"><label for="select-${index}" class="visually-hidden">Select ${client.client_name ?? client.client_id}</label></td>
<td><a href="${urls.client(client.client_id)}">${client.client_name ?? client.client_id}</a></td>
<td><code>${client.client_id}</code></td>
<td><span class="badge type-${client.type}">${CLIENT_TYPE_LABELS[client.type]}</span></td>
<td>${badges(client.grant_types, grantLabel)}</td>
<td>${badges(client.tags)}</td>
<td>${dateTime(client.created_at)}</td>
</tr>`;
}

function bulkControls(): SafeHtml {
  return html`<fieldset><legend>With the selected clients</legend>
<div class="row">
<label for="bulk-tags">Tags (comma-separated)<input type="text" id="bulk-tags" name="tags"></label>
<button type="submit" name="action" value="add-tags">Add tags</button>
<button type="submit" name="action" value="remove-tags" class="secondary">Remove tags</button>
</div>
<div class="row">
<label for="bulk-confirm"><span>Type <strong>delete</strong> to delete the selected clients</span><input type="text" id="bulk-confirm" name="confirm" autocomplete="off"></label>
<button type="submit" name="action" value="delete" class="danger">Delete selected</button>
</div></fieldset>`;
}

export function clientsPage(signed: Signed, view: ClientsPageView, status = 200): Response {
  const { urls } = signed;
  const clients = view.clients.map(clientView);
  const rows = clients.length
    ? html`${clients.map((client, index) => clientRow(urls, client, index))}`
    : html`<tr><td colspan="7">No clients match.</td></tr>`;
  const body = html`${messages(view.notice, view.error)}
<p><a href="${urls.create}">+ Client</a> — register a client manually (autonomous agents, pre-registered MCP clients).
Clients registered through DCR or CIMD appear here on their own.</p>
${filterForm(urls, view.filters)}
<form method="post" action="${urls.bulk}">
${csrfInput(signed)}
${bulkControls()}
<table>
<caption>${clients.length} ${clients.length === 1 ? 'client' : 'clients'}${view.filters.length ? ' matching the filters' : ''}</caption>
<thead><tr><th scope="col">Select</th><th scope="col">Name</th><th scope="col">Client ID</th><th scope="col">Type</th><th scope="col">Grant types</th><th scope="col">Tags</th><th scope="col">Created</th></tr></thead>
<tbody>${rows}</tbody>
</table>
</form>`;
  return page(chrome('Clients', signed), body, status);
}

// ── Create and edit ─────────────────────────────────────────────────────────────────────────────────────────────

export interface ClientFormView {
  action: string;
  title: string;
  values: RawSettings;
  /** A CIMD client: its document decides everything but the annotations. */
  annotationsOnly?: boolean;
  error?: string;
}

function text(values: RawSettings, field: string): string {
  const value = values[field];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

function list(values: RawSettings, field: string): string[] {
  const value = values[field];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function checked(on: boolean): SafeHtml | string {
  return on ? html` checked` : '';
}

function detailsSection(values: RawSettings, annotationsOnly: boolean): SafeHtml {
  const nameAndLogo = annotationsOnly
    ? ''
    : html`<label for="client_name">Name (required)</label>
<input type="text" id="client_name" name="client_name" value="${text(values, 'client_name')}" required maxlength="200">
<label for="logo_uri">Logo URL</label>
<input type="url" id="logo_uri" name="logo_uri" value="${text(values, 'logo_uri')}">`;
  return html`<fieldset class="stack"><legend>Client details</legend>
${nameAndLogo}
<label for="description">Description</label>
<textarea id="description" name="description" maxlength="2000">${text(values, 'description')}</textarea>
<label for="tags">Tags (comma-separated)</label>
<input type="text" id="tags" name="tags" value="${list(values, 'tags').join(', ')}">
</fieldset>`;
}

function trustedIssuerRow(issuer: Partial<TrustedIssuerConfig>, index: number): SafeHtml {
  const id = (field: string) => `ti-${field}-${index}`;
  return html`<fieldset class="row"><legend>Trusted issuer ${index + 1}</legend>
<label for="${id('issuer')}">Issuer URL<input type="url" id="${id('issuer')}" name="ti_issuer" value="${issuer.issuer ?? ''}"></label>
<label for="${id('jwks')}">JWKs URL<input type="url" id="${id('jwks')}" name="ti_jwks_uri" value="${issuer.jwks_uri ?? ''}"></label>
<label for="${id('algs')}">Sign algorithms<input type="text" id="${id('algs')}" name="ti_algorithms" value="${(issuer.algorithms ?? []).join(', ')}"></label>
<label for="${id('userinfo')}">User information endpoint URL<input type="url" id="${id('userinfo')}" name="ti_userinfo_endpoint" value="${issuer.userinfo_endpoint ?? ''}"></label>
<label for="${id('login')}">User information login ID field<input type="text" id="${id('login')}" name="ti_login_id_field" value="${issuer.login_id_field ?? ''}"></label>
</fieldset>`;
}

function trustedIssuersOf(values: RawSettings): Partial<TrustedIssuerConfig>[] {
  const value = values.trusted_issuers;
  return Array.isArray(value) ? (value as Partial<TrustedIssuerConfig>[]) : [];
}

function grantCheckbox(grants: readonly string[], grant: string): SafeHtml {
  const id = `grant-${grant.replace(/[^a-z0-9]+/gi, '-')}`;
  return html`<p><input type="checkbox" id="${id}" name="grant_types" value="${grant}"${checked(grants.includes(grant))}> <label for="${id}">${grantLabel(grant)}</label> <code class="muted">${grant}</code></p>`;
}

function grantsSection(values: RawSettings): SafeHtml {
  const grants = list(values, 'grant_types');
  const issuers = [...trustedIssuersOf(values), {}];
  const method = text(values, 'token_endpoint_auth_method') || 'client_secret_basic';
  return html`<fieldset class="stack"><legend>Grant types</legend>
<p class="muted">Enable only the grant types the client uses; unused ones widen the attack surface.</p>
${Object.keys(GRANT_TYPE_LABELS).map((grant) => grantCheckbox(grants, grant))}
<fieldset class="stack"><legend>Authorization Code: approved redirect URLs</legend>
<label for="redirect_uris">Redirect URLs (one per line; https, or http on 127.0.0.1 / localhost)</label>
<textarea id="redirect_uris" name="redirect_uris">${list(values, 'redirect_uris').join('\n')}</textarea>
</fieldset>
<fieldset class="stack"><legend>Client Credentials: allowed tenants</legend>
<label for="allowed_tenants">Allowed tenants (comma-separated; empty: every tenant)</label>
<input type="text" id="allowed_tenants" name="allowed_tenants" value="${list(values, 'allowed_tenants').join(', ')}">
</fieldset>
<fieldset><legend>JWT Bearer: trusted issuers</legend>
<p class="muted">Rows without an issuer URL are ignored; save to get another empty row.</p>
${issuers.map(trustedIssuerRow)}
</fieldset>
<fieldset class="stack"><legend>CIBA: email approval link</legend>
<label for="ciba_link_expiry_seconds">Link expiration in seconds (default 180)</label>
<input type="number" id="ciba_link_expiry_seconds" name="ciba_link_expiry_seconds" min="30" max="86400" value="${text(values, 'ciba_link_expiry_seconds')}">
</fieldset>
<label for="token_endpoint_auth_method">Client authentication at the token endpoint</label>
<select id="token_endpoint_auth_method" name="token_endpoint_auth_method">${options(
    method === 'private_key_jwt' ? [...SETTABLE_AUTH_METHODS, 'private_key_jwt'] : SETTABLE_AUTH_METHODS,
    method,
  )}</select>
</fieldset>`;
}

function sessionSection(values: RawSettings): SafeHtml {
  const session = values.session_management as Record<string, unknown> | null | undefined;
  const custom = Boolean(session);
  const number = (field: string) => (typeof session?.[field] === 'number' ? String(session[field]) : '');
  const ttl = (field: string, label: string) =>
    html`<label for="${field}">${label}</label><input type="number" id="${field}" name="${field}" min="1" value="${number(field)}">`;
  return html`<fieldset class="stack"><legend>Flows</legend>
<p><input type="checkbox" id="skip_consent" name="skip_consent" value="on"${checked(values.skip_consent === true)}> <label for="skip_consent">Skip consent screen (trusted first-party clients only)</label></p>
</fieldset>
<fieldset class="stack"><legend>Session management</legend>
<p><input type="radio" id="session-system" name="session_mode" value="system"${checked(!custom)}> <label for="session-system">According to system settings</label></p>
<p><input type="radio" id="session-custom" name="session_mode" value="custom"${checked(custom)}> <label for="session-custom">Custom</label></p>
<label for="token_format">Token format</label>
<select id="token_format" name="token_format"><option value="">(not set)</option>${options(
    TOKEN_FORMATS,
    typeof session?.token_format === 'string' ? session.token_format : '',
    (format) => (format === 'user-jwt' ? 'User JWT' : 'Access Key JWT'),
  )}</select>
${ttl('refresh_token_ttl_seconds', 'Refresh token timeout (seconds)')}
${ttl('session_token_ttl_seconds', 'Session token timeout (seconds)')}
${ttl('access_key_ttl_seconds', 'Access key session token timeout (seconds)')}
</fieldset>`;
}

export function clientFormPage(signed: Signed, view: ClientFormView, status = 200): Response {
  const annotationsOnly = view.annotationsOnly ?? false;
  const rest = annotationsOnly
    ? html`<p class="muted">This client registered through a Client ID Metadata Document; its document decides its name,
grant types and redirect URLs. Only the description and tags are set here.</p>`
    : html`${grantsSection(view.values)}${sessionSection(view.values)}`;
  const body = html`${messages(undefined, view.error)}
<form method="post" action="${view.action}">
${csrfInput(signed)}
${detailsSection(view.values, annotationsOnly)}
${rest}
<p><button type="submit">Save client</button> <a href="${signed.urls.clients}">Cancel</a></p>
</form>`;
  return page(chrome(view.title, signed), body, status);
}

// ── Detail ──────────────────────────────────────────────────────────────────────────────────────────────────────

export interface ClientDetailView {
  client: ClientRecord;
  /** Just generated: shown this once. */
  clientSecret?: string;
  notice?: string;
  error?: string;
}

function grantSettings(client: ClientView): SafeHtml {
  const has = (grant: string) => client.grant_types.includes(grant);
  const issuer = (trusted: TrustedIssuerConfig) =>
    html`<li><code>${trusted.issuer}</code>${trusted.jwks_uri ? html` · JWKs <code>${trusted.jwks_uri}</code>` : ''}${
      trusted.algorithms ? html` · ${trusted.algorithms.join(', ')}` : ''
    }${trusted.userinfo_endpoint ? html` · userinfo <code>${trusted.userinfo_endpoint}</code>` : ''}${
      trusted.login_id_field ? html` · login ID <code>${trusted.login_id_field}</code>` : ''
    }</li>`;
  return html`${
    has(AUTHORIZATION_CODE_GRANT)
      ? html`<dt>Redirect URLs</dt><dd><ul>${client.redirect_uris.map((uri) => html`<li><code>${uri}</code></li>`)}</ul></dd>`
      : ''
  }${
    has(CLIENT_CREDENTIALS_GRANT)
      ? html`<dt>Allowed tenants</dt><dd>${client.allowed_tenants.length ? client.allowed_tenants.join(', ') : 'every tenant'}</dd>`
      : ''
  }${
    has(JWT_BEARER_GRANT)
      ? html`<dt>Trusted issuers</dt><dd>${client.trusted_issuers.length ? html`<ul>${client.trusted_issuers.map(issuer)}</ul>` : 'none'}</dd>`
      : ''
  }${has(CIBA_GRANT) ? html`<dt>CIBA link expiry</dt><dd>${client.ciba_link_expiry_seconds ?? 180} seconds</dd>` : ''}`;
}

function sessionSummary(client: ClientView): string {
  const session = client.session_management;
  if (!session) return 'According to system settings';
  const parts = [
    session.token_format ? `format ${session.token_format}` : undefined,
    session.refresh_token_ttl_seconds ? `refresh ${session.refresh_token_ttl_seconds} s` : undefined,
    session.session_token_ttl_seconds ? `session ${session.session_token_ttl_seconds} s` : undefined,
    session.access_key_ttl_seconds ? `access key ${session.access_key_ttl_seconds} s` : undefined,
  ].filter(Boolean);
  return `Custom: ${parts.join(', ') || 'no overrides'}`;
}

function dangerForms(signed: Signed, client: ClientView): SafeHtml {
  const { urls } = signed;
  return html`<h2>Revoke consent or delete</h2>
<p>Revoking consent ends every grant users gave this client (their refresh and access tokens stop working); the client
and its client ID stay. Deleting removes the client at once: its client ID stops working and cannot be restored.</p>
<form method="post" action="${urls.revokeConsent(client.client_id)}" class="row">
${csrfInput(signed)}
<label for="confirm-revoke"><span>Type <strong>revoke</strong> to confirm</span><input type="text" id="confirm-revoke" name="confirm" autocomplete="off"></label>
<button type="submit" class="secondary">Revoke consent</button>
</form>
<form method="post" action="${urls.remove(client.client_id)}" class="row">
${csrfInput(signed)}
<label for="confirm-delete"><span>Type <strong>delete</strong> to confirm</span><input type="text" id="confirm-delete" name="confirm" autocomplete="off"></label>
<button type="submit" class="danger">Delete client</button>
</form>`;
}

export function clientDetailPage(signed: Signed, view: ClientDetailView, status = 200): Response {
  const client = clientView(view.client);
  const secret = view.clientSecret
    ? html`<div class="notice" role="status"><p><strong>Client secret</strong> (shown once; copy it now):</p>
<p class="secret" id="client-secret">${view.clientSecret}</p></div>`
    : '';
  const body = html`${messages(view.notice, view.error)}${secret}
<dl>
<dt>Client ID</dt><dd><code id="client-id">${client.client_id}</code></dd>
<dt>Type</dt><dd><span class="badge type-${client.type}">${CLIENT_TYPE_LABELS[client.type]}</span></dd>
<dt>Description</dt><dd>${client.description ?? '—'}</dd>
<dt>Logo URL</dt><dd>${client.logo_uri ? html`<code>${client.logo_uri}</code>` : '—'}</dd>
<dt>Tags</dt><dd>${client.tags.length ? badges(client.tags) : '—'}</dd>
<dt>Grant types</dt><dd>${badges(client.grant_types, grantLabel)}</dd>
${grantSettings(client)}
<dt>Client authentication</dt><dd><code>${client.token_endpoint_auth_method}</code></dd>
<dt>Skip consent</dt><dd>${client.skip_consent ? 'Yes' : 'No'}</dd>
<dt>Session management</dt><dd>${sessionSummary(client)}</dd>
<dt>Created</dt><dd>${dateTime(client.created_at)}</dd>
<dt>Updated</dt><dd>${dateTime(client.updated_at)}</dd>
</dl>
<p><a href="${signed.urls.edit(client.client_id)}">Edit client</a></p>
${dangerForms(signed, client)}`;
  return page(chrome(client.client_name ?? client.client_id, signed), body, status);
}
