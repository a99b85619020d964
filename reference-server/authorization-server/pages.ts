/** The authorization server's own pages: plain HTML, no scripts, no external assets. */

const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  // RFC 9700 §4.16 (clickjacking): the pages that take credentials and consent may not be framed.
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
h1{font-size:1.4rem}label{display:block;margin-top:.8rem}input{width:100%;padding:.4rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1rem;margin-right:.5rem;padding:.5rem 1.2rem;font-size:1rem}.error{color:#a40000;font-weight:600}
.note{color:#555;font-size:.9rem}dt{font-weight:600}dd{margin:0 0 .6rem 0}code{word-break:break-all}
.binding{font-size:1.3rem;font-weight:700}`;

/** A page of the AS (no-store, never framed, no Referer: links such as CIBA approval links carry secrets). */
export function page(title: string, body: string, status = 200, headers: Record<string, string> = {}): Response {
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>`;
  return new Response(html, { status, headers: { ...PAGE_SECURITY_HEADERS, ...headers } });
}

export function withSetCookie(cookie: string | undefined): Record<string, string> {
  return cookie ? { 'Set-Cookie': cookie } : {};
}

/** A page shown instead of redirecting, when the redirect target cannot be trusted or the request cannot go on. */
export function errorPage(title: string, explanation: string, status = 400): Response {
  return page(
    title,
    `<p class="error" role="alert">${escapeHtml(explanation)}</p>
<p class="note">You were not sent back to the application, because the authorization server could not confirm where
it is safe to send you. Start again from the application.</p>`,
    status,
  );
}

export interface LoginPageView {
  action: string;
  transactionId: string;
  csrfToken: string;
  clientName: string;
  username?: string;
  error?: string;
}

export function loginPage(view: LoginPageView, status = 200, cookie?: string): Response {
  const error = view.error ? `<p class="error" role="alert">${escapeHtml(view.error)}</p>` : '';
  return page(
    'Sign in',
    `<p>Sign in to continue to <strong>${escapeHtml(view.clientName)}</strong>.</p>
${error}
<form method="post" action="${escapeHtml(view.action)}">
<input type="hidden" name="txn" value="${escapeHtml(view.transactionId)}">
<input type="hidden" name="csrf_token" value="${escapeHtml(view.csrfToken)}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" value="${escapeHtml(view.username ?? '')}" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
    status,
    withSetCookie(cookie),
  );
}

export interface ConsentPageView {
  action: string;
  transactionId: string;
  csrfToken: string;
  clientName: string;
  clientId: string;
  redirectHost: string;
  /** CIMD §6 (phishing): the host of a URL client_id, shown beside the name the document claims. */
  clientIdHost?: string;
  scopes: string[];
  resource: string;
  userName: string;
}

export function consentPage(view: ConsentPageView): Response {
  const scopes = view.scopes.length
    ? `<ul>${view.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('')}</ul>`
    : '<p>No scopes (basic access only).</p>';
  return page(
    'Allow access?',
    `<p>Signed in as <strong>${escapeHtml(view.userName)}</strong>.</p>
<p><strong>${escapeHtml(view.clientName)}</strong> wants to access a resource on your behalf.</p>
<dl>
<dt>Application</dt><dd>${escapeHtml(view.clientName)} <span class="note">(client_id <code>${escapeHtml(view.clientId)}</code>)</span></dd>
${
  view.clientIdHost
    ? `<dt>Published by</dt><dd><code>${escapeHtml(view.clientIdHost)}</code> <span class="note">(the application's name is its own claim; this host is where its metadata lives)</span></dd>
`
    : ''
}<dt>You will be sent back to</dt><dd><code>${escapeHtml(view.redirectHost)}</code></dd>
<dt>Resource</dt><dd><code>${escapeHtml(view.resource)}</code></dd>
<dt>Requested scopes</dt><dd>${scopes}</dd>
</dl>
<form method="post" action="${escapeHtml(view.action)}">
<input type="hidden" name="txn" value="${escapeHtml(view.transactionId)}">
<input type="hidden" name="csrf_token" value="${escapeHtml(view.csrfToken)}">
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}

/** The form every flow page posts: the transaction and the session's CSRF token ride along as hidden inputs. */
export interface FlowFormView {
  action: string;
  transactionId: string;
  csrfToken: string;
  clientName: string;
  /** Messages the user must see (role="alert"). */
  errors: string[];
}

export interface FlowScreenField {
  name: string;
  type: 'text' | 'email' | 'password';
  required: boolean;
  /** Shown again after a refused post; never set for passwords. */
  value?: string;
}

function alerts(errors: string[]): string {
  return errors.length > 0
    ? `<div class="error" role="alert">${errors.map((error) => `<p>${escapeHtml(error)}</p>`).join('')}</div>\n`
    : '';
}

function flowForm(view: FlowFormView, inner: string): string {
  return `${alerts(view.errors)}<form method="post" action="${escapeHtml(view.action)}">
<input type="hidden" name="txn" value="${escapeHtml(view.transactionId)}">
<input type="hidden" name="csrf_token" value="${escapeHtml(view.csrfToken)}">
${inner}
</form>`;
}

const AUTOCOMPLETE: Record<string, string> = { username: 'username', email: 'email', password: 'current-password' };

function screenInput(field: FlowScreenField): string {
  const id = `field-${field.name}`;
  const label = field.name.charAt(0).toUpperCase() + field.name.slice(1).replace(/[_-]+/g, ' ');
  const autocomplete = AUTOCOMPLETE[field.name] ?? AUTOCOMPLETE[field.type] ?? 'off';
  const value = field.value === undefined ? '' : ` value="${escapeHtml(field.value)}"`;
  return `<label for="${escapeHtml(id)}">${escapeHtml(label)}</label>
<input id="${escapeHtml(id)}" name="${escapeHtml(field.name)}" type="${field.type}" autocomplete="${autocomplete}"${value}${field.required ? ' required' : ''}>`;
}

/** A screen step of a consent flow (seed 000: the credentials screen). */
export function flowScreenPage(view: FlowFormView & { fields: FlowScreenField[] }, status = 200): Response {
  const inputs = view.fields.map(screenInput).join('\n');
  return page(
    'Sign in',
    `<p>Sign in to continue to <strong>${escapeHtml(view.clientName)}</strong>.</p>
${flowForm(view, `${inputs}\n<button type="submit">Continue</button>`)}`,
    status,
  );
}

/** RFC 6238 step-up: enrolment shows the otpauth:// URI (as a link an authenticator app opens), then asks for a code. */
export function mfaPage(view: FlowFormView & { enrollment?: { uri: string; secret: string } }): Response {
  const enrollment = view.enrollment
    ? `<p>Add this account to your authenticator app, then enter the code it shows:</p>
<p><a href="${escapeHtml(view.enrollment.uri)}"><code>${escapeHtml(view.enrollment.uri)}</code></a></p>
<p class="note">Secret (base32): <code>${escapeHtml(view.enrollment.secret)}</code></p>
`
    : `<p>Enter the 6-digit code of your authenticator app to continue to <strong>${escapeHtml(view.clientName)}</strong>.</p>
`;
  return page(
    'Verify it is you',
    `${enrollment}${flowForm(
      view,
      `<label for="otp">Code</label>
<input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required>
<button type="submit">Verify</button>`,
    )}`,
  );
}

/** A failed sign-in whose reason the user must see (role="alert"); the application is not told. */
export function flowFailedPage(reason: string, status = 400): Response {
  return page(
    'Sign-in failed',
    `<p class="error" role="alert">${escapeHtml(reason)}</p>
<p class="note">Start again from the application.</p>`,
    status,
  );
}
