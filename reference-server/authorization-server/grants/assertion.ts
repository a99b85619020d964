/**
 * RFC 7523 §2.1: `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` carries exactly one JWT in `assertion`.
 * Two profiles share it here: ID-JAGs from trusted enterprise IdPs, and JWTs from a client's own trusted issuers.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { AuthenticatedClient } from '../clients.ts';
import type { IssuerContext } from '../context.ts';
import { OAuthError } from '../errors.ts';
import { ID_JAG_TYP, idJagGrant } from './id-jag.ts';
import { jwtBearerGrant } from './jwt-bearer.ts';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** RFC 7523 §2.1: exactly one assertion; §3.1: one that is not a JWT at all is `invalid_grant`. */
export async function assertionGrant(
  ctx: IssuerContext,
  authenticated: AuthenticatedClient,
  form: URLSearchParams,
): Promise<Response> {
  const assertions = form.getAll('assertion');
  const exactlyOne = assertions.length === 1 || ctx.defects.has('jwt-bearer-assertion-count-unchecked');
  if (!exactlyOne || !assertions[0]) throw new OAuthError('invalid_request', 'send exactly one JWT in "assertion"');
  const assertion = assertions[0]!;
  const profile = assertionProfile(ctx, assertion);
  return profile === 'id-jag'
    ? idJagGrant(ctx, authenticated, form, assertion)
    : jwtBearerGrant(ctx, authenticated, form, assertion);
}

/** ID-JAG §3: typed `oauth-id-jag+jwt`; an untyped JWT from a trusted enterprise IdP is an ID-JAG gone wrong. */
function assertionProfile(ctx: IssuerContext, assertion: string): 'id-jag' | 'trusted-issuer' {
  try {
    if (decodeProtectedHeader(assertion).typ?.toLowerCase() === ID_JAG_TYP) return 'id-jag';
    const { iss } = decodeJwt(assertion);
    return ctx.enterpriseIdps.some((idp) => idp.issuer === iss) ? 'id-jag' : 'trusted-issuer';
  } catch {
    if (ctx.defects.has('jwt-bearer-malformed-assertion-500')) {
      throw new OAuthError('server_error', 'the assertion could not be decoded', 500);
    }
    throw new OAuthError('invalid_grant', 'the assertion is not a well-formed JWT');
  }
}
