/** The pages behind the emailed CIBA approval link (seed 004): plain HTML, no scripts, never framed or cached. */
import { escapeHtml, page } from '../pages.ts';

export interface CibaApprovalView {
  action: string;
  /** The request's key and the link's secret, carried to the POST (the secret is also what makes it CSRF-safe). */
  requestKey: string;
  secret: string;
  clientName: string;
  clientId: string;
  userName: string;
  scopes: string[];
  resource: string;
  bindingMessage?: string;
  /** When the link stops working (ISO 8601). */
  linkExpiresAt: string;
}

/** CIBA Core §7.1: the binding message is shown on the authentication device, so the user can match the request. */
export function cibaApprovalPage(view: CibaApprovalView): Response {
  const scopes = view.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('');
  const binding = view.bindingMessage
    ? `<p>Check that the application shows the same code:</p><p class="binding">${escapeHtml(view.bindingMessage)}</p>`
    : '';
  return page(
    'Approve this sign-in?',
    `<p><strong>${escapeHtml(view.userName)}</strong>, an application asks to act for you.</p>
${binding}
<dl>
<dt>Application</dt><dd>${escapeHtml(view.clientName)} <span class="note">(client_id <code>${escapeHtml(view.clientId)}</code>)</span></dd>
<dt>Resource</dt><dd><code>${escapeHtml(view.resource)}</code></dd>
<dt>Requested scopes</dt><dd><ul>${scopes}</ul></dd>
</dl>
<form method="post" action="${escapeHtml(view.action)}">
<input type="hidden" name="request" value="${escapeHtml(view.requestKey)}">
<input type="hidden" name="secret" value="${escapeHtml(view.secret)}">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
<p class="note">This link works once, until ${escapeHtml(view.linkExpiresAt)}. If you did not start this, deny it.</p>`,
  );
}

export function cibaDecisionPage(decision: 'approve' | 'deny'): Response {
  return decision === 'approve'
    ? page('Approved', '<p>The application can now continue. You may close this page.</p>')
    : page('Denied', '<p>The application was refused. You may close this page.</p>');
}

/** A link that cannot be used (unknown, expired, already used, or a forged submission): nothing was approved. */
export function cibaLinkErrorPage(title: string, explanation: string, status: 400 | 403 | 410): Response {
  return page(
    title,
    `<p class="error">${escapeHtml(explanation)}</p>
<p class="note">Nothing was approved. If the application still needs your approval, it will have to ask again.</p>`,
    status,
  );
}
