import type { IssuerContext } from '../context.ts';
import { jsonResponse } from '../errors.ts';

// RFC 7517 §5, RFC 8414 §2 jwks_uri: the public verification keys; private members never leave the server.
export async function handleJwks(ctx: IssuerContext): Promise<Response> {
  const keySet = ctx.defects.has('jwks-leaks-private-key') ? ctx.keys.privateJwks() : ctx.keys.jwks();
  return jsonResponse(keySet);
}
