import { cimdMetadata } from './cimd/index.ts';
import { CLIENT_ASSERTION_ALGS, SHARED_SECRET_AUTH_METHODS, TOKEN_ENDPOINT_AUTH_METHODS } from './clients.ts';
import type { EndpointName, IssuerContext } from './context.ts';
import { registrationEnabled } from './endpoints/register.ts';
import { userinfoMetadata } from './endpoints/userinfo.ts';
import { JWT_BEARER_GRANT } from './grants/assertion.ts';
import { CIBA_GRANT, cibaMetadata } from './grants/ciba.ts';
import { CLIENT_CREDENTIALS_GRANT } from './grants/client-credentials.ts';
import { idJagMetadata } from './grants/id-jag.ts';
import { REFRESH_TOKEN_GRANT } from './grants/refresh-token.ts';
import { TOKEN_EXCHANGE_GRANT } from './grants/token-exchange.ts';
import { SIGNING_ALG } from './keys.ts';

type MetadataDocument = Record<string, unknown>;

/** Endpoint URLs as published; the `metadata-http-endpoints` defect downgrades them to http on a public host. */
function publishedEndpoint(ctx: IssuerContext, name: EndpointName): string {
  const url = ctx.endpoint(name);
  return ctx.defects.has('metadata-http-endpoints') ? url.replace(/^https:/, 'http:') : url;
}

function publishedIssuer(ctx: IssuerContext): string {
  if (ctx.defects.has('metadata-issuer-trailing-slash')) return `${ctx.issuer}/`;
  if (ctx.defects.has('issuer-with-query')) return `${ctx.issuer}?tenant=default`;
  return ctx.issuer;
}

export function scopesSupported(ctx: IssuerContext): string[] {
  return [...new Set([...ctx.resources.flatMap((resource) => resource.scopes), 'offline_access'])];
}

/**
 * RFC 8414 §2: the server's capabilities. `issuer` is identical to the issuer identifier (§3.3), claims with no
 * values are left out rather than sent as empty arrays (§3.2), and defaults are never relied on: everything MCP
 * clients decide on (PKCE S256, auth methods, RFC 9207 `iss`) is listed explicitly.
 */
export function authorizationServerMetadata(ctx: IssuerContext): MetadataDocument {
  const { defects } = ctx;
  const scopes = scopesSupported(ctx);
  const document: MetadataDocument = {
    issuer: publishedIssuer(ctx),
    authorization_endpoint: publishedEndpoint(ctx, 'authorize'),
    token_endpoint: publishedEndpoint(ctx, 'token'),
    ...(registrationEnabled(ctx) ? { registration_endpoint: publishedEndpoint(ctx, 'register') } : {}),
    jwks_uri: publishedEndpoint(ctx, 'jwks'),
    introspection_endpoint: publishedEndpoint(ctx, 'introspect'),
    revocation_endpoint: publishedEndpoint(ctx, 'revoke'),
    ...(scopes.length > 0 ? { scopes_supported: scopes } : {}),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [
      'authorization_code',
      REFRESH_TOKEN_GRANT,
      CLIENT_CREDENTIALS_GRANT,
      TOKEN_EXCHANGE_GRANT,
      JWT_BEARER_GRANT,
      CIBA_GRANT,
    ],
    token_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    // RFC 8414 §2: required once private_key_jwt is listed; asymmetric algorithms only, never none.
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: [...SHARED_SECRET_AUTH_METHODS],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    ...userinfoMetadata(ctx),
    ...cibaMetadata(ctx),
    ...idJagMetadata(ctx),
    ...cimdMetadata(ctx),
  };
  if (defects.has('metadata-no-response-types')) delete document.response_types_supported;
  if (defects.has('metadata-no-pkce-methods')) delete document.code_challenge_methods_supported;
  if (defects.has('iss-not-advertised')) delete document.authorization_response_iss_parameter_supported;
  if (defects.has('metadata-omits-optional')) {
    delete document.grant_types_supported;
    delete document.scopes_supported;
    delete document.token_endpoint_auth_methods_supported;
  }
  if (defects.has('metadata-empty-arrays')) document.ui_locales_supported = [];
  if (defects.has('metadata-advertises-legacy-grants')) {
    document.grant_types_supported = ['authorization_code', 'implicit', 'password'];
  }
  if (defects.has('metadata-none-alg')) document.token_endpoint_auth_signing_alg_values_supported = ['none'];
  return document;
}

/**
 * OpenID Connect Discovery 1.0 §3: the same capabilities plus the OpenID Provider members it requires. MCP
 * (2025-11-25, Authorization Code Protection) requires `code_challenge_methods_supported` here too.
 */
export function openIdConfiguration(ctx: IssuerContext): MetadataDocument {
  const document: MetadataDocument = {
    ...authorizationServerMetadata(ctx),
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [SIGNING_ALG],
  };
  if (ctx.defects.has('oidc-discovery-drops-pkce')) delete document.code_challenge_methods_supported;
  if (ctx.defects.has('oidc-issuer-mismatch')) document.issuer = `${ctx.issuer}/other`;
  return document;
}

export const OAUTH_METADATA_SUFFIX = '/.well-known/oauth-authorization-server';
export const OPENID_CONFIGURATION_SUFFIX = '/.well-known/openid-configuration';

/** Where a document of an issuer is served: RFC 8414 §3.1 inserts the well-known suffix between host and path. */
export interface WellKnownPaths {
  oauthAuthorizationServer: string[];
  openidConfiguration: string[];
}

export function wellKnownPaths(ctx: IssuerContext): WellKnownPaths {
  const inserted = (suffix: string) => `${suffix}${ctx.path}`;
  const appended = (suffix: string) => `${ctx.path}${suffix}`;
  const oauth = ctx.defects.has('metadata-path-appended')
    ? appended(OAUTH_METADATA_SUFFIX)
    : inserted(OAUTH_METADATA_SUFFIX);
  return {
    oauthAuthorizationServer: [oauth],
    // OIDC Discovery §4 appends; RFC 8414 §5 lets OpenID configuration use insertion as well.
    openidConfiguration: [...new Set([appended(OPENID_CONFIGURATION_SUFFIX), inserted(OPENID_CONFIGURATION_SUFFIX)])],
  };
}
