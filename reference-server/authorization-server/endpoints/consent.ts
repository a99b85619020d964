import { recordActivity } from '../activity.ts';
import { approveAuthorization, denyAuthorization } from '../authorization-response.ts';
import type { IssuerContext } from '../context.ts';
import { OAuthError } from '../errors.ts';
import { readForm, redirectResponse } from '../http.ts';
import { csrfFailurePage, csrfTokenMatches, type Interaction, loadInteraction } from '../interaction.ts';
import { consentPage, errorPage } from '../pages.ts';

function loginLocation(ctx: IssuerContext, transactionId: string): string {
  return `${ctx.endpoint('login')}?txn=${encodeURIComponent(transactionId)}`;
}

/** A signed-in interaction, or the response that sends the browser to sign in first. */
async function signedInInteraction(
  ctx: IssuerContext,
  request: Request,
  transactionId: string | null,
): Promise<(Interaction & { sub: string }) | Response> {
  const interaction = await loadInteraction(ctx, request, transactionId);
  if (interaction instanceof Response) return interaction;
  const sub = interaction.session.sub;
  if (!sub) return redirectResponse(loginLocation(ctx, interaction.transaction.id), 303);
  return { ...interaction, sub };
}

/** Seed 004 (audit log): the user's decision on the scopes and resource asked for, or the client's skip-consent. */
async function recordConsent(
  ctx: IssuerContext,
  { transaction, client, sub }: Interaction & { sub: string },
  decision: 'approve' | 'deny',
  skipped: boolean,
): Promise<void> {
  const granted = decision === 'approve';
  const scope = transaction.scope || '(no scope)';
  await recordActivity(ctx, {
    kind: granted ? 'consent-granted' : 'consent-denied',
    sub,
    clientId: client.client_id,
    summary: skipped
      ? `${client.client_id} skips consent: ${scope} approved for ${sub} without asking`
      : `${sub} ${granted ? 'approved' : 'denied'} ${client.client_id}: ${scope}`,
    details: { scope: transaction.scope, resource: transaction.resource, skip_consent: skipped },
  });
}

// MCP security best practices (consent): name the client, show where the browser returns, the scopes and the resource.
export async function handleConsentPage(ctx: IssuerContext, request: Request): Promise<Response> {
  const interaction = await signedInInteraction(ctx, request, new URL(request.url).searchParams.get('txn'));
  if (interaction instanceof Response) return interaction;
  const { transaction, session, client, sub } = interaction;
  // Seed 004 (Flows): a trusted first-party client set to skip consent is approved without asking.
  if (client.skip_consent) {
    await ctx.store.transactions.delete(transaction.id);
    await recordConsent(ctx, interaction, 'approve', true);
    return approveAuthorization(ctx, transaction, sub, 302);
  }
  const user = ctx.users.find((candidate) => candidate.sub === sub);
  return consentPage({
    action: ctx.endpoint('consent'),
    transactionId: transaction.id,
    csrfToken: session.csrfToken,
    clientName: client.client_name ?? client.client_id,
    clientId: client.client_id,
    redirectHost: new URL(transaction.redirectUri).host || transaction.redirectUri,
    ...(client.client_id.startsWith('https://') && URL.canParse(client.client_id)
      ? { clientIdHost: new URL(client.client_id).host }
      : {}),
    scopes: transaction.scope ? transaction.scope.split(' ') : [],
    resource: transaction.resource,
    userName: user?.name ?? sub,
  });
}

// OAuth 2.1 §4.1.2 / §4.1.2.1: the decision ends the transaction (single use): a code, or access_denied, by 303.
export async function handleConsentSubmit(ctx: IssuerContext, request: Request): Promise<Response> {
  let form: URLSearchParams;
  try {
    form = await readForm(request);
  } catch (thrown) {
    if (thrown instanceof OAuthError) return errorPage('Invalid consent form', thrown.description);
    throw thrown;
  }
  const interaction = await signedInInteraction(ctx, request, form.get('txn'));
  if (interaction instanceof Response) return interaction;
  const { transaction, session, sub } = interaction;
  if (!csrfTokenMatches(session, form.get('csrf_token'))) return csrfFailurePage();
  const decision = form.get('decision');
  if (decision !== 'approve' && decision !== 'deny') {
    return errorPage('Invalid consent form', 'The decision must be "approve" or "deny".');
  }
  await ctx.store.transactions.delete(transaction.id);
  await recordConsent(ctx, interaction, decision, false);
  return decision === 'approve'
    ? approveAuthorization(ctx, transaction, sub, 303)
    : denyAuthorization(ctx, transaction, 303);
}
