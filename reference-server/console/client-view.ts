/** Seed 004 (Viewing Clients): how a client is shown to administrators, by the admin API and the console alike. */
import type {
  ClientRecord,
  ClientSessionSettings,
  TokenEndpointAuthMethod,
  TrustedIssuerConfig,
} from '../store/index.ts';

/** Seed 004: dynamically registered (DCR or CIMD) or manually registered (configuration or the admin API). */
export type ClientType = 'dcr' | 'cimd' | 'manual';

export const CLIENT_TYPE_LABELS: Readonly<Record<ClientType, string>> = { dcr: 'DCR', cimd: 'CIMD', manual: 'Manual' };

export function clientType(client: ClientRecord): ClientType {
  if (client.registeredBy === 'dynamic-registration') return 'dcr';
  if (client.registeredBy === 'client-id-metadata-document') return 'cimd';
  return 'manual';
}

/** A client as administrators see it: never its secret or registration access token. */
export interface ClientView {
  client_id: string;
  client_name: string | null;
  type: ClientType;
  registered_by: ClientRecord['registeredBy'];
  description: string | null;
  logo_uri: string | null;
  tags: string[];
  grant_types: string[];
  redirect_uris: string[];
  allowed_tenants: string[];
  trusted_issuers: TrustedIssuerConfig[];
  ciba_link_expiry_seconds: number | null;
  skip_consent: boolean;
  /** Null: the server-wide (project) session settings apply. */
  session_management: ClientSessionSettings | null;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  application_type: ClientRecord['application_type'];
  /** ISO 8601. */
  created_at: string;
  updated_at: string;
}

export function clientView(client: ClientRecord): ClientView {
  return {
    client_id: client.client_id,
    client_name: client.client_name ?? null,
    type: clientType(client),
    registered_by: client.registeredBy,
    description: client.description ?? null,
    logo_uri: client.logo_uri ?? null,
    tags: [...(client.tags ?? [])],
    grant_types: [...client.grant_types],
    redirect_uris: [...client.redirect_uris],
    allowed_tenants: [...(client.allowed_tenants ?? [])],
    trusted_issuers: structuredClone(client.trusted_issuers ?? []),
    ciba_link_expiry_seconds: client.ciba_link_expiry_seconds ?? null,
    skip_consent: client.skip_consent ?? false,
    session_management: client.session_management ? { ...client.session_management } : null,
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    application_type: client.application_type,
    created_at: new Date(client.client_id_issued_at * 1000).toISOString(),
    updated_at: new Date(client.updated_at ?? client.client_id_issued_at * 1000).toISOString(),
  };
}
