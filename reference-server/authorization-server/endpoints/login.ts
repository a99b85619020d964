import { recordActivity } from '../activity.ts';
import type { IssuerContext } from '../context.ts';
import { OAuthError } from '../errors.ts';
import { readForm, redirectResponse } from '../http.ts';
import {
  csrfFailurePage,
  csrfTokenMatches,
  findUserByCredentials,
  type Interaction,
  loadInteraction,
  startSession,
} from '../interaction.ts';
import { errorPage, loginPage } from '../pages.ts';

function consentLocation(ctx: IssuerContext, transactionId: string): string {
  return `${ctx.endpoint('consent')}?txn=${encodeURIComponent(transactionId)}`;
}

function renderLogin(ctx: IssuerContext, { transaction, session, client }: Interaction, error?: string): Response {
  return loginPage({
    action: ctx.endpoint('login'),
    transactionId: transaction.id,
    csrfToken: session.csrfToken,
    clientName: client.client_name ?? client.client_id,
    ...(transaction.loginHint ? { username: transaction.loginHint } : {}),
    ...(error ? { error } : {}),
  });
}

// OAuth 2.1 §4.1.1 leaves user authentication to the server: this page asks for a username and password.
export async function handleLoginPage(ctx: IssuerContext, request: Request): Promise<Response> {
  const interaction = await loadInteraction(ctx, request, new URL(request.url).searchParams.get('txn'));
  if (interaction instanceof Response) return interaction;
  if (interaction.session.sub) return redirectResponse(consentLocation(ctx, interaction.transaction.id), 302);
  return renderLogin(ctx, interaction);
}

// RFC 9700 §4.11 / OAuth 2.1 §7.5.4: the form carries a CSRF token; success answers 303 (never 307, which would
// re-send the password) to the consent page, under a new session id.
export async function handleLoginSubmit(ctx: IssuerContext, request: Request): Promise<Response> {
  let form: URLSearchParams;
  try {
    form = await readForm(request);
  } catch (thrown) {
    if (thrown instanceof OAuthError) return errorPage('Invalid sign-in form', thrown.description);
    throw thrown;
  }
  const interaction = await loadInteraction(ctx, request, form.get('txn'));
  if (interaction instanceof Response) return interaction;
  if (!csrfTokenMatches(interaction.session, form.get('csrf_token'))) return csrfFailurePage();
  const username = form.get('username') ?? '';
  const user = findUserByCredentials(ctx.users, username, form.get('password') ?? '');
  const clientId = interaction.client.client_id;
  if (!user) {
    await recordActivity(ctx, {
      kind: 'login-failed',
      clientId,
      summary: `wrong password or unknown username "${username.slice(0, 100)}"`,
      details: { method: 'password', username: username.slice(0, 100) },
    });
    return renderLogin(ctx, interaction, 'Wrong username or password. Try again.');
  }
  await recordActivity(ctx, {
    kind: 'login',
    sub: user.sub,
    clientId,
    summary: `${user.username} signed in with a password`,
    details: { method: 'password', amr: ['pwd'] },
  });
  const { session, cookie } = await startSession(ctx, user.sub);
  await ctx.store.sessions.delete(interaction.session.id);
  await ctx.store.transactions.save({ ...interaction.transaction, sessionId: session.id });
  return redirectResponse(consentLocation(ctx, interaction.transaction.id), 303, { 'Set-Cookie': cookie });
}
