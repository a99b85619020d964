import type { AddedRequirement } from '../../requirements.ts';

/** Requirements of clients without a user (client credentials, ID-JAG) the shared catalogue lacks, in its style. */
export const MACHINE_REQUIREMENTS: Record<string, AddedRequirement> = {
  'CL-ONE-AUTH-METHOD': {
    keyword: 'MUST NOT',
    text: 'Use more than one client authentication method in a request (e.g. a client assertion together with a client_secret or an Authorization header)',
    source: 'OAuth 2.1 §2.4, RFC 7521 §4.2',
  },
  'CL-ASSERTION-ONE-USE': {
    keyword: 'MUST',
    text: 'Give every private_key_jwt client assertion its own jti and use it once; a new token request carries a new assertion',
    source: 'OpenID Connect Core §9 (private_key_jwt: jti REQUIRED, "used only once"), RFC 7523 §3 item 7',
  },
  'CL-ASSERTION-SHORT-LIVED': {
    keyword: 'SHOULD',
    text: 'Keep a client assertion short-lived: exp at most a few minutes after iat, since anyone holding it may replay it until then',
    source: 'RFC 7523 §3 item 4 (an AS MAY reject an exp unreasonably far in the future), RFC 7521 §8.2',
  },
  'CL-MACHINE-NO-INTERACTION': {
    keyword: 'SHOULD NOT',
    text: 'A client authorized without a user (client credentials, ID-JAG) neither registers dynamically nor sends anyone to the authorization endpoint; it uses its pre-registered credentials or its grant',
    source:
      'MCP OAuth Client Credentials extension §Overview; MCP Enterprise-Managed Authorization (client: "Do not redirect the user to the MCP Authorization Server\'s authorization endpoint")',
  },
};
