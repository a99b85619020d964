import type { CheckContext } from '../../harness/context.ts';
import { isJwt } from '../../harness/jwt.ts';

/** A user access token from the target's own AS (one per run), or a skip when it is not a JWT and `needJwt`. */
export async function userAccessToken(ctx: CheckContext, { needJwt = false } = {}): Promise<string> {
  const { accessToken } = await ctx.oauth.userTokens();
  if (needJwt && !isJwt(accessToken)) ctx.skip('the access token is opaque; tampering with a JWT does not apply');
  return accessToken;
}

/** The same JWT with one signature character changed: the claims stay valid, the signature does not. */
export function withBrokenSignature(jwt: string): string {
  const [header, payload, signature = ''] = jwt.split('.');
  const index = Math.floor(signature.length / 2);
  const swapped = signature[index] === 'A' ? 'B' : 'A';
  return `${header}.${payload}.${signature.slice(0, index)}${swapped}${signature.slice(index + 1)}`;
}

/** The same claims, unsigned (`alg: none`, RFC 7519 §6). */
export function asUnsecuredJwt(jwt: string): string {
  const [encodedHeader = '', payload] = jwt.split('.');
  const header = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString('utf8')) as Record<string, unknown>;
  const unsecured = Buffer.from(JSON.stringify({ ...header, alg: 'none', kid: undefined })).toString('base64url');
  return `${unsecured}.${payload}.`;
}
