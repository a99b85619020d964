/**
 * OAuth 2.1 §4.2, the client credentials grant: a confidential client authenticates (a shared secret, or a
 * private_key_jwt assertion, RFC 7523 §2.2) and gets an access token for itself. There is no user: `sub` is the
 * client, the token is audience-bound to one registered resource (RFC 8707), and no refresh token is issued (the client
 * can always authenticate again).
 */
import type { ClientRecord, TokenEndpointAuthMethod } from '../../store/index.ts';
import type { AuthenticatedClient } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { checkResource, checkScope } from '../endpoints/authorize.ts';
import { OAuthError } from '../errors.ts';
import { randomToken, singleParam } from '../http.ts';
import { issueAccessToken } from '../tokens.ts';
import { tokenEndpointResponse } from './refresh-token.ts';

export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';

/** §4.2.1 request → §3.2.3 response: an access token for the client itself, never a refresh token. */
export async function clientCredentialsGrant(
  ctx: IssuerContext,
  { client, method }: AuthenticatedClient,
  form: URLSearchParams,
): Promise<Response> {
  checkClientMayUseGrant(ctx, client, method);
  const target = checkResource(ctx, form.getAll('resource'));
  const scope = checkScope(target, singleParam(form, 'scope'));
  const grantId = randomToken(16);
  await ctx.store.grants.save({
    id: grantId,
    issuer: ctx.issuer,
    clientId: client.client_id,
    sub: client.client_id,
    resource: target.resource,
    scope,
    createdAt: ctx.clock.now(),
  });
  // RFC 8707 §2: the token's audience is the resource asked for.
  const audience = ctx.defects.has('client-credentials-audience-unbound') ? ctx.issuer : target.resource;
  const issued = await issueAccessToken(
    ctx,
    {
      grantId,
      clientId: client.client_id,
      sub: client.client_id,
      resource: audience,
      scope,
      subject: 'client',
    },
    client,
  );
  return tokenEndpointResponse(ctx, issued, scope, undefined);
}

/**
 * §4.2: only confidential clients, and the AS authenticates them; a public client is `unauthorized_client`, as is a
 * confidential client that did not register the grant (§3.2.4), or one used outside its allowed tenants (seed 004).
 */
function checkClientMayUseGrant(ctx: IssuerContext, client: ClientRecord, method: TokenEndpointAuthMethod): void {
  if (method === 'none' && !ctx.defects.has('client-credentials-for-public-clients')) {
    throw new OAuthError('unauthorized_client', 'client_credentials is only for authenticated confidential clients');
  }
  if (!client.grant_types.includes(CLIENT_CREDENTIALS_GRANT)) {
    throw new OAuthError('unauthorized_client', `client ${client.client_id} is not registered for client_credentials`);
  }
  if (!mayServeTenant(client, tenantOf(ctx)) && !ctx.defects.has('allowed-tenants-ignored')) {
    const where = tenantOf(ctx) === undefined ? 'the root issuer, which is no tenant' : `tenant ${tenantOf(ctx)}`;
    throw new OAuthError('unauthorized_client', `client ${client.client_id} is not allowed at ${where}`);
  }
}

/** The tenant an issuer serves (`…/t/<tenant>`), or undefined for the root issuer, which belongs to no tenant. */
export function tenantOf(ctx: IssuerContext): string | undefined {
  return /^\/t\/([^/]+)$/.exec(ctx.path)?.[1];
}

/**
 * Seed 004 (Allowed Tenants): a client without a list (or with an empty one) may be used across the whole
 * deployment; one with a list only at those tenants, so not at the root issuer either.
 */
export function mayServeTenant(client: ClientRecord, tenant: string | undefined): boolean {
  const allowed = client.allowed_tenants ?? [];
  return allowed.length === 0 || (tenant !== undefined && allowed.includes(tenant));
}
