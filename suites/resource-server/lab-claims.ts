import { labAccepts, labRejects } from './lab.ts';

const ANOTHER_RESOURCE = 'https://other-resource.example/mcp';

export const labRejectsExpired = labRejects({
  id: 'resource-server.lab-rejects-expired',
  title: 'A lab token whose exp passed ten minutes ago is rejected',
  requirements: ['R9068-RS-EXP', 'RS-INVALID-TOKEN-401'],
  variant: ({ now }) => ({ claims: { iat: now - 900, exp: now - 600 } }),
  what: 'a token whose exp passed 10 minutes ago',
  why: 'RFC 9068 §4: reject tokens at or after exp (allow only seconds of clock skew)',
});

export const labRejectsNotYetValid = labRejects({
  id: 'resource-server.lab-rejects-not-yet-valid',
  title: 'A lab token whose nbf lies ten minutes ahead is rejected',
  description: 'RFC 7519 §4.1.5: a JWT must not be accepted before its nbf.',
  requirements: ['OA21-RS-VALIDATE', 'RS-TOKEN-VALIDATE'],
  // Valid from ten minutes ahead for five minutes: only nbf makes it unusable now.
  variant: ({ now }) => ({ claims: { nbf: now + 600, exp: now + 900 } }),
  what: 'a token with nbf 10 minutes in the future (exp 5 minutes after that)',
  why: 'Check nbf when present (RFC 7519 §4.1.5)',
});

export const labRejectsMissingExp = labRejects({
  id: 'resource-server.lab-rejects-missing-exp',
  title: 'A lab token without exp is rejected',
  requirements: ['R9068-CLAIMS', 'R9068-RS-EXP'],
  variant: { claims: { exp: undefined } },
  what: 'a token without exp',
  why: 'RFC 9068 §2.2: exp is required; a token without it would never expire',
});

export const labRejectsWrongIssuer = labRejects({
  id: 'resource-server.lab-rejects-wrong-issuer',
  title: 'A token signed by a trusted key but naming another issuer is rejected',
  requirements: ['R9068-RS-ISS'],
  variant: { claims: { iss: 'https://issuer.attacker.example' } },
  what: 'a token signed by the lab key with iss "https://issuer.attacker.example"',
  why: 'RFC 9068 §4: iss must exactly match the issuer whose keys verified the token',
});

export const labRejectsWrongAudience = labRejects({
  id: 'resource-server.lab-rejects-wrong-audience',
  title: 'A lab token for another resource is rejected',
  requirements: ['R9068-RS-AUD', 'RS-AUD-REJECT'],
  variant: { claims: { aud: ANOTHER_RESOURCE } },
  what: `a token with aud "${ANOTHER_RESOURCE}"`,
  why: 'RFC 9068 §4 / MCP: aud must contain this server’s resource identifier; anything else is a token for someone else',
});

export const labRejectsMissingAudience = labRejects({
  id: 'resource-server.lab-rejects-missing-audience',
  title: 'A lab token without aud is rejected',
  requirements: ['RS-AUD-REJECT', 'R9068-RS-AUD'],
  variant: { claims: { aud: undefined } },
  what: 'a token without aud',
  why: 'MCP: reject tokens whose audience does not include this server; no aud includes nothing',
});

export const labAcceptsAudienceArray = labAccepts({
  id: 'resource-server.lab-accepts-audience-array',
  title: 'A lab token whose aud array contains this resource among others is accepted',
  description: 'RFC 7519 §4.1.3: aud may be an array; the token is for every audience it lists.',
  requirements: ['R9068-RS-AUD'],
  variant: ({ lab }) => ({ claims: { aud: [ANOTHER_RESOURCE, lab.audience] } }),
  what: 'a valid token with aud ["https://other-resource.example/mcp", <this resource>]',
  why: 'Accept aud as a string or an array containing the resource identifier',
});

export const labAcceptsUppercaseHostAudience = labAccepts({
  id: 'resource-server.lab-accepts-uppercase-host-audience',
  title: 'A lab token naming this resource with an uppercase scheme and host is accepted',
  description: 'RFC 3986 §6.2.2.1: scheme and host are case-insensitive; the canonical form is lowercase.',
  requirements: ['GEN-CANON-UPPERCASE'],
  level: 'SHOULD',
  variant: ({ lab }) => ({ claims: { aud: withUppercaseSchemeAndHost(lab.audience) } }),
  what: 'a valid token whose aud is this resource with uppercase scheme and host',
  why: 'Compare scheme and host case-insensitively (the path stays exact)',
});

export const labRejectsMissingRequiredClaim = labRejects({
  id: 'resource-server.lab-rejects-missing-required-claim',
  title: "A lab token without a claim the server's rule for this issuer requires is rejected",
  requirements: ['OA21-RS-VALIDATE', 'RS-TOKEN-VALIDATE'],
  variant: ({ ctx }) => {
    const required = Object.keys(ctx.target.tokenLab?.requiredClaims ?? {});
    if (required.length === 0) ctx.skip('the target declares no tokenLab.requiredClaims');
    return { claims: Object.fromEntries(required.map((name) => [name, undefined])) };
  },
  what: 'a token without the claims the target requires of the lab issuer (tokenLab.requiredClaims)',
  why: 'The server declared these claims required for this issuer; enforce the rule on every token',
});

/** `https://mcp.example.com/mcp` → `HTTPS://MCP.EXAMPLE.COM/mcp` (the path keeps its case). */
export function withUppercaseSchemeAndHost(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/i.exec(url);
  if (!match) return url;
  const [, scheme = '', authority = '', rest = ''] = match;
  return `${scheme.toUpperCase()}${authority.toUpperCase()}${rest}`;
}
