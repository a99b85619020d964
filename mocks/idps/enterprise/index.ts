import type { Clock } from '../../../harness/clock.ts';
import type { FetchHandler } from '../../../harness/network/types.ts';

/** A client of the enterprise IdP, and the resource authorization servers it may get ID-JAGs for. */
export interface EnterpriseIdpClient {
  client_id: string;
  client_secret: string;
  /** Resource AS issuer → the resources (RFC 9728 identifiers) at it this client may ask for (ID-JAG §7.6.1). */
  audiences: Record<string, string[]>;
  /** Scopes the IdP grants this client at those resources. */
  scopes: string[];
}

export interface EnterpriseUser {
  sub: string;
  email: string;
}

export interface EnterpriseIdpOptions {
  /** e.g. https://idp.enterprise.test */
  issuer: string;
  clock: Clock;
  clients: EnterpriseIdpClient[];
  users: EnterpriseUser[];
}

export interface IdJagOptions {
  clientId: string;
  audience: string;
  resource?: string;
  scope?: string;
  sub?: string;
  /** Set or replace claims; a claim given as undefined is removed. */
  claims?: Record<string, unknown>;
  /** Set or replace protected header members; undefined removes. */
  header?: Record<string, unknown>;
  key?: 'trusted' | 'untrusted';
}

/**
 * An enterprise IdP (enterprise-managed authorization): OpenID metadata and JWKS, ID tokens as SSO would issue them,
 * and a token endpoint that exchanges an ID token for an ID-JAG (RFC 8693, `requested_token_type=…:id-jag`).
 */
export interface EnterpriseIdp {
  issuer: string;
  handler: FetchHandler;
  /** The ID token SSO gave `clientId` for the user (default: the first user). */
  idToken(options: { clientId: string; sub?: string }): Promise<string>;
  /** An ID-JAG minted directly, any claim or header replaced (for negative checks). */
  mintIdJag(options: IdJagOptions): Promise<string>;
}

export async function createEnterpriseIdp(options: EnterpriseIdpOptions): Promise<EnterpriseIdp> {
  const notYet = async (): Promise<string> => {
    throw new Error('the enterprise IdP cannot issue tokens yet');
  };
  return {
    issuer: options.issuer,
    handler: async () => Response.json({ error: 'not_found' }, { status: 404 }),
    idToken: notYet,
    mintIdJag: notYet,
  };
}
