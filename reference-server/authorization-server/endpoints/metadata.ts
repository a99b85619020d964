import type { IssuerContext } from '../context.ts';
import { errorResponse, jsonResponse, OAuthError } from '../errors.ts';
import { authorizationServerMetadata, openIdConfiguration } from '../metadata.ts';

function notServed(): Response {
  return errorResponse(new OAuthError('not_found', 'this server publishes no metadata', 404));
}

// RFC 8414 §3.2: a GET answers 200 with the metadata as application/json.
export async function handleAuthorizationServerMetadata(ctx: IssuerContext): Promise<Response> {
  if (ctx.defects.has('as-metadata-none')) return notServed();
  return jsonResponse(authorizationServerMetadata(ctx));
}

// OpenID Connect Discovery 1.0 §4.2: the OpenID Provider configuration, 200 application/json.
export async function handleOpenIdConfiguration(ctx: IssuerContext): Promise<Response> {
  if (ctx.defects.has('as-metadata-none')) return notServed();
  return jsonResponse(openIdConfiguration(ctx));
}
