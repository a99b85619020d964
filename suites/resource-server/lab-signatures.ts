import { check } from '../../harness/check.ts';
import { expect } from '../../harness/expect.ts';
import { labAccepts, labRejects, mintVariant } from './lab.ts';
import { expectInvalidToken } from './replies.ts';

const VERIFY_WITH_ISSUER_KEYS =
  "Verify every token with the issuer's published keys (jwks_uri of its RFC 8414 metadata) and an allow-list of " +
  'asymmetric algorithms; anyone can mint such a token';

export const labRejectsForeignSignature = labRejects({
  id: 'resource-server.lab-rejects-foreign-signature',
  title: "A token signed by a key the issuer never published (under the issuer's kid) is rejected",
  requirements: ['R9068-RS-SIG'],
  variant: { key: 'foreign' },
  what: 'a token signed by an unpublished key under the kid of a published one',
  why: VERIFY_WITH_ISSUER_KEYS,
});

export const labRejectsAlgNone = labRejects({
  id: 'resource-server.lab-rejects-alg-none',
  title: 'An unsecured token (alg "none") from a trusted issuer is rejected',
  requirements: ['R9068-RS-SIG', 'R9068-SIGNED'],
  variant: { key: 'none' },
  what: 'an unsecured token (alg "none", empty signature)',
  why: 'RFC 9068 §4: access tokens are signed; never accept alg "none"',
});

export const labRejectsHs256PublicKey = labRejects({
  id: 'resource-server.lab-rejects-hs256-public-key',
  title: "An HS256 token keyed with the issuer's public key (algorithm confusion) is rejected",
  description: 'RFC 8725 §2.1, §3.1: the verification key fixes the algorithm; the token header must not choose it.',
  requirements: ['R9068-RS-SIG'],
  variant: { key: 'hs256-public-key' },
  what: "an HS256 token whose HMAC secret is the issuer's public ES256 key (PEM)",
  why: 'Accept only the algorithms of the JWKS keys; an HMAC with a public key is forgeable by anyone',
});

export const labRejectsUnknownKid = labRejects({
  id: 'resource-server.lab-rejects-unknown-kid',
  title: "A token whose kid is not in the issuer's JWKS is rejected",
  requirements: ['R9068-RS-SIG'],
  variant: { key: 'unlisted' },
  what: "a token signed by a key whose kid is not in the issuer's JWKS",
  why: 'A kid the JWKS lacks (after one refresh) means no key to verify with: refuse, never decode unverified',
});

export const labRejectsEmbeddedJwk = labRejects({
  id: 'resource-server.lab-rejects-embedded-jwk',
  title: 'A token carrying its own verification key in the jwk header is rejected',
  description: 'RFC 7515 §4.1.3 / RFC 8725 §3.10: keys named by the token itself are not trusted keys.',
  requirements: ['R9068-RS-SIG'],
  variant: { key: 'embedded-jwk' },
  what: "a token signed by an attacker's key, that key embedded in its jwk header",
  why: 'Ignore jwk headers; verify only with keys from the trusted issuer’s jwks_uri',
});

export const labRejectsJku = check({
  id: 'resource-server.lab-rejects-jku',
  title: 'A token whose jku header names an unadvertised key set is rejected, and that URL is never fetched',
  description: 'RFC 7515 §4.1.2 / RFC 8725 §3.10: a key URL chosen by the token is attacker-controlled (and an SSRF).',
  requirements: ['R9068-RS-SIG'],
  level: 'MUST',
  needs: ['resource', 'token-lab'],
  async run(ctx) {
    const lab = await ctx.tokenLab();
    const fetchesBefore = lab.attackerJwksFetches();
    const token = await mintVariant(ctx, { key: 'jku' });
    const verdict = await expectInvalidToken(
      ctx,
      token,
      "a token signed by an attacker's key, its jku header naming the attacker's JWKS",
      'ignore jku headers; verify only with keys from the trusted issuer’s jwks_uri',
    );
    const fetches = lab.attackerJwksFetches() - fetchesBefore;
    expect.that(
      fetches === 0,
      `the token was refused, but the MCP server fetched the jku URL ${fetches} time(s); a token must not make the ` +
        'server fetch URLs it names (server-side request forgery, attacker keys)',
    );
    return `${verdict}; the jku URL was never fetched`;
  },
});

export const labRejectsUnknownCrit = labRejects({
  id: 'resource-server.lab-rejects-unknown-crit',
  title: 'A token marking an unknown header parameter critical (crit) is rejected',
  requirements: ['R7515-CRIT'],
  variant: { header: { crit: ['urn:example:unknown'], 'urn:example:unknown': true } },
  what: 'a token with crit ["urn:example:unknown"] and that header member',
  why: 'RFC 7515 §4.1.11: a JWS whose crit lists a parameter the recipient does not understand is invalid',
});

export const labAcceptsRs256 = labAccepts({
  id: 'resource-server.lab-accepts-rs256',
  title: 'A token signed with RS256 by a published key is accepted',
  requirements: ['R9068-RS256'],
  variant: { key: 'rs256' },
  what: "a valid RS256 token signed by a key in the issuer's JWKS",
  why: 'RFC 9068 §4: resource servers MUST support RS256; allow it alongside ES256',
});
