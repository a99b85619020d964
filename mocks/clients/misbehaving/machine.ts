import { rewriteRequests } from './flaw-kit.ts';
import type { FlawDefinition } from './flaws.ts';

/** Misbehaving clients without a user: client credentials with private_key_jwt, and enterprise-managed authorization. */
export const MACHINE_FLAWS = {
  /** Signs its client assertion for the MCP server instead of the AS (violates RFC 7523 §3 item 3). */
  'assertion-audience-elsewhere': { quirk: 'assertion-audience-elsewhere' },
  /** Makes client assertions valid for a day (RFC 7523 §3 item 4: keep them short-lived). */
  'long-lived-assertion': { quirk: 'long-lived-assertion' },
  /** Gives every client assertion the same jti (violates OpenID Connect Core §9: each assertion used once). */
  'reuses-assertion-jti': { quirk: 'reuses-assertion-jti' },
  /** Sends a client_secret beside its client assertion (violates OAuth 2.1 §2.4: one method per request). */
  'secret-with-assertion': rewriteRequests({
    token: (form) => {
      if (form.has('client_assertion')) form.set('client_secret', 'also-a-secret');
    },
  }),
  /** Sends its client assertion as a jwt-bearer authorization grant instead of client_credentials (RFC 7523 §2.1 vs §2.2). */
  'assertion-as-grant': rewriteRequests({
    token: (form) => {
      const assertion = form.get('client_assertion');
      if (!assertion) return;
      form.set('grant_type', 'urn:ietf:params:oauth:grant-type:jwt-bearer');
      form.set('assertion', assertion);
      form.delete('client_assertion');
      form.delete('client_assertion_type');
    },
  }),
  /** Tries dynamic registration although it holds pre-registered credentials and no user is there. */
  'tries-registration': { quirk: 'tries-registration' },
  /** Asks the IdP for an ID-JAG whose audience is the MCP server, not its AS (violates ID-JAG §4.3). */
  'exchange-audience-is-resource': rewriteRequests({
    token: (form) => {
      const resource = form.get('resource');
      if (form.has('requested_token_type') && resource) form.set('audience', resource);
    },
  }),
  /** Presents the SSO ID token itself to the AS instead of exchanging it for an ID-JAG (violates ID-JAG §4.4). */
  'id-token-to-as': { quirk: 'id-token-to-as' },
} satisfies Record<string, FlawDefinition>;
