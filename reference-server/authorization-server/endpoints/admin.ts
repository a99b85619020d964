import type { ClientRecord } from '../../store/index.ts';
import { requireAdmin } from '../admin-auth.ts';
import type { IssuerContext } from '../context.ts';
import { asOAuthError, errorResponse, jsonResponse, NO_STORE } from '../errors.ts';
import { CLIENT_CREDENTIALS_GRANT, mayServeTenant, tenantOf } from '../grants/client-credentials.ts';

/** One agentic identity: a client that authenticates as itself and gets tokens with no user (seed 004). */
export interface AgenticIdentity {
  client_id: string;
  client_name: string | null;
  token_endpoint_auth_method: ClientRecord['token_endpoint_auth_method'];
  /** Null: usable across every tenant. */
  allowed_tenants: string[] | null;
  /** Seconds since the epoch (RFC 7591 client_id_issued_at). */
  created_at: number;
  registered_by: ClientRecord['registeredBy'];
}

function agenticIdentity(client: ClientRecord): AgenticIdentity {
  return {
    client_id: client.client_id,
    client_name: client.client_name ?? null,
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    allowed_tenants: client.allowed_tenants?.length ? [...client.allowed_tenants] : null,
    created_at: client.client_id_issued_at,
    registered_by: client.registeredBy,
  };
}

// Seed 004: enabling client_credentials on a client makes it an agentic identity, with nothing else to set up; a
// tenant issuer lists those allowed at its tenant. RFC 6750 §3.1: the admin token is required (401 otherwise).
export async function handleAgenticIdentities(ctx: IssuerContext, request: Request): Promise<Response> {
  try {
    requireAdmin(ctx, request);
    const tenant = tenantOf(ctx);
    const identities = (await ctx.store.clients.list())
      .filter((client) => client.grant_types.includes(CLIENT_CREDENTIALS_GRANT))
      .filter((client) => tenant === undefined || mayServeTenant(client, tenant))
      .map(agenticIdentity);
    return jsonResponse({ agentic_identities: identities }, 200, { ...NO_STORE });
  } catch (thrown) {
    return errorResponse(asOAuthError(thrown));
  }
}
