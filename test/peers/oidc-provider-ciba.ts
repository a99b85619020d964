import { createHash, randomBytes } from 'node:crypto';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { systemClock } from '../../harness/clock.ts';
import type { FetchHandler } from '../../harness/network/types.ts';
import { createMailbox, type Mailbox } from '../../mocks/mailbox/index.ts';
import { escapeHtml } from '../../reference-server/authorization-server/pages.ts';

/**
 * The authentication device of a CIBA deployment of node-oidc-provider, which the library leaves to the deployer
 * (`features.ciba.triggerAuthenticationDevice`): the approval goes by email into a mailbox, and the emailed link opens a
 * page with Approve / Deny that reports the user's decision through `provider.backchannelResult`. Like the reference
 * system's (seed 004), links last three minutes, work once, and a GET never decides.
 */
export interface CibaDevice {
  mailbox: Mailbox;
  /** Serves `/messages` (the inbox) and `/ciba-approve` (the link's page and its form). */
  handler: FetchHandler;
  /** `features.ciba` settings for the provider. */
  features: Record<string, unknown>;
  /** The provider the decisions go to, set once it exists. */
  attach(provider: Provider): void;
}

const LINK_LIFETIME_MS = 180_000;

interface PendingApproval {
  secretDigest: string;
  expiresAt: number;
  used: boolean;
  accountId: string;
  clientId: string;
  scope: string;
  resource: string | undefined;
  bindingMessage: string | undefined;
}

interface BackchannelRequest {
  jti: string;
  accountId: string;
  clientId: string;
  scope: string;
  resource?: string | string[];
  params: Record<string, unknown>;
}

export function cibaDevice(options: {
  issuer: string;
  /** Login hint (the user's email address) → account id. */
  users: Record<string, string>;
  resourceScopes: string[];
}): CibaDevice {
  const mailbox = createMailbox(systemClock);
  const approvals = new Map<string, PendingApproval>();
  let provider: Provider | undefined;
  const addressOf = new Map(Object.entries(options.users).map(([address, accountId]) => [accountId, address]));
  const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

  const triggerAuthenticationDevice = async (_ctx: unknown, request: BackchannelRequest) => {
    const secret = randomBytes(32).toString('base64url');
    const resource = Array.isArray(request.resource) ? request.resource[0] : request.resource;
    const bindingMessage = request.params.binding_message;
    approvals.set(request.jti, {
      secretDigest: digest(secret),
      expiresAt: Date.now() + LINK_LIFETIME_MS,
      used: false,
      accountId: request.accountId,
      clientId: request.clientId,
      scope: request.scope,
      resource,
      bindingMessage: typeof bindingMessage === 'string' ? bindingMessage : undefined,
    });
    const link = `${options.issuer}/ciba-approve?id=${encodeURIComponent(request.jti)}&secret=${secret}`;
    await mailbox.send({
      to: addressOf.get(request.accountId) ?? request.accountId,
      subject: `Approve sign-in for ${request.clientId}`,
      text: `${request.clientId} asks for ${request.scope}. Approve or deny: ${link}`,
      links: [link],
    });
  };

  const usable = (id: string | null, secret: string | null): PendingApproval | Response => {
    const approval = id ? approvals.get(id) : undefined;
    if (!approval || !secret || digest(secret) !== approval.secretDigest) return page('Invalid link', 400);
    if (approval.used) return page('This link was already used.', 410);
    if (Date.now() >= approval.expiresAt) return page('This link has expired.', 410);
    return approval;
  };

  const decide = async (id: string, approval: PendingApproval, decision: string | null) => {
    if (!provider) throw new Error('the CIBA device is not attached to a provider');
    approval.used = true;
    if (decision !== 'approve') {
      await provider.backchannelResult(id, new errors.AccessDenied('the user denied the request'));
      return page('Denied.', 200);
    }
    const grant = new provider.Grant({ accountId: approval.accountId, clientId: approval.clientId });
    const requested = approval.scope.split(' ');
    grant.addOIDCScope(requested.filter((scope) => !options.resourceScopes.includes(scope)).join(' '));
    const resourceScope = requested.filter((scope) => options.resourceScopes.includes(scope)).join(' ');
    if (approval.resource && resourceScope) grant.addResourceScope(approval.resource, resourceScope);
    await grant.save();
    await provider.backchannelResult(id, grant);
    return page('Approved.', 200);
  };

  const handler: FetchHandler = async (request) => {
    const url = new URL(request.url);
    if (url.pathname === '/messages') return mailbox.handler(request);
    if (request.method === 'GET') {
      const approval = usable(url.searchParams.get('id'), url.searchParams.get('secret'));
      if (approval instanceof Response) return approval;
      return approvalPage(url, approval);
    }
    const form = new URLSearchParams(await request.text());
    const id = form.get('id');
    const approval = usable(id, form.get('secret'));
    if (approval instanceof Response) return approval;
    return decide(id!, approval, form.get('decision'));
  };

  return {
    mailbox,
    handler,
    features: {
      enabled: true,
      deliveryModes: ['poll'],
      processLoginHint: async (_ctx: unknown, loginHint: string) => options.users[loginHint],
      validateRequestContext: async () => {},
      // user_code is not offered (backchannel_user_code_parameter_supported is false).
      verifyUserCode: async () => {},
      triggerAuthenticationDevice,
    },
    attach(instance) {
      provider = instance;
    },
  };
}

function page(message: string, status: number, body = ''): Response {
  const html = `<!doctype html><meta charset="utf-8"><title>Sign-in request</title><p>${escapeHtml(message)}</p>${body}`;
  return new Response(html, { status, headers: { 'content-type': 'text/html; charset=utf-8' } });
}

function approvalPage(url: URL, approval: PendingApproval): Response {
  const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  const message = approval.bindingMessage ? `<p>Code: <strong>${escapeHtml(approval.bindingMessage)}</strong></p>` : '';
  return page(
    `${approval.clientId} asks for ${approval.scope}.`,
    200,
    `${message}<form method="post" action="/ciba-approve">${hidden('id', url.searchParams.get('id') ?? '')}` +
      `${hidden('secret', url.searchParams.get('secret') ?? '')}` +
      '<button type="submit" name="decision" value="approve">Approve</button>' +
      '<button type="submit" name="decision" value="deny">Deny</button></form>',
  );
}
