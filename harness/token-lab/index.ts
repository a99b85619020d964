import { randomUUID } from 'node:crypto';
import { type Clock, epochSeconds } from '../clock.ts';
import { serveOnLoopback } from '../network/serve.ts';
import type { FetchHandler } from '../network/types.ts';
import { createLabHandler } from './endpoints.ts';
import { compactJws } from './jws.ts';
import { createLabKeyring } from './keys.ts';
import { loopbackPort } from './loopback.ts';
import { type LabKey, signingVariant } from './variants.ts';

export { LAB_KEYS, type LabKey } from './variants.ts';

let keyring: ReturnType<typeof createLabKeyring> | undefined;

/**
 * The lab's keys, made once per process: an RSA key pair takes up to a second to generate, and every embedded run
 * (hundreds in the project's own tests) builds a lab. Each lab still publishes and signs only with these.
 */
function labKeyring(): ReturnType<typeof createLabKeyring> {
  keyring ??= createLabKeyring();
  return keyring;
}

export interface MintOptions {
  /** Set or replace claims; a claim given as undefined is removed. */
  claims?: Record<string, unknown>;
  /** Set or replace protected header members (typ, kid, crit…); undefined removes. */
  header?: Record<string, unknown>;
  key?: LabKey;
}

/** A harness-controlled issuer the resource server under test trusts, so every token variant can be minted. */
export interface TokenLab {
  /** Exactly the configured issuer (no trailing slash added). */
  issuer: string;
  /** Default `aud`: the MCP resource. */
  audience: string;
  /** Default `scope` claim. */
  scope: string;
  /** RFC 8414 metadata, the JWKS at `${issuer}/jwks`, the unadvertised attacker JWKS at `${issuer}/attacker/jwks`. */
  handler: FetchHandler;
  mint(options?: MintOptions): Promise<string>;
  /** How often the attacker JWKS was requested (a `jku` the resource server must not follow). */
  attackerJwksFetches(): number;
}

export interface TokenLabOptions {
  issuer: string;
  audience: string;
  scope: string;
  clock: Clock;
  /** Default "token-lab-user". */
  subject?: string;
  /** Default "token-lab-client". */
  clientId?: string;
  /** Added to every default token (e.g. an `acr` the resource server requires of this issuer). */
  defaultClaims?: Record<string, unknown>;
}

/** RFC 9068 access tokens are short-lived; the lab's live five minutes from the clock's now. */
const TOKEN_LIFETIME_SECONDS = 300;

function withoutUndefined(members: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(members).filter(([, value]) => value !== undefined));
}

/** A URL under the issuer: the issuer, one slash, then `path`. */
function underIssuer(issuer: string, path: string): string {
  return `${issuer.replace(/\/$/, '')}/${path}`;
}

export async function createTokenLab(options: TokenLabOptions): Promise<TokenLab> {
  if (!URL.canParse(options.issuer))
    throw new Error(`tokenLab.issuer: must be an absolute URL (got "${options.issuer}")`);
  const { issuer, audience, scope, clock } = options;
  const keys = await labKeyring();
  const attackerJwksUri = underIssuer(issuer, 'attacker/jwks');
  let attackerFetches = 0;

  const handler = createLabHandler({
    issuer,
    jwksUri: underIssuer(issuer, 'jwks'),
    attackerJwksUri,
    jwks: { keys: [keys.es256.publishedJwk, keys.rs256.publishedJwk] },
    attackerJwks: { keys: [keys.attacker.publishedJwk] },
    onAttackerJwksRequest: () => {
      attackerFetches += 1;
    },
  });

  // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti (and scope, §2.2.3); §2.1: header typ "at+jwt".
  const mint = async ({ claims = {}, header = {}, key = 'es256' }: MintOptions = {}): Promise<string> => {
    const variant = signingVariant(key, keys, attackerJwksUri);
    const now = epochSeconds(clock);
    const payload = withoutUndefined({
      iss: issuer,
      sub: options.subject ?? 'token-lab-user',
      aud: audience,
      client_id: options.clientId ?? 'token-lab-client',
      scope,
      iat: now,
      exp: now + TOKEN_LIFETIME_SECONDS,
      jti: randomUUID(),
      ...options.defaultClaims,
      ...claims,
    });
    const protectedHeader = withoutUndefined({ ...variant.header, typ: 'at+jwt', ...header });
    return compactJws(protectedHeader, payload, variant.sign);
  };

  return { issuer, audience, scope, handler, mint, attackerJwksFetches: () => attackerFetches };
}

/** Serves the lab on 127.0.0.1 at the port of its issuer URL (the issuer's host must be 127.0.0.1 or localhost). */
export async function serveTokenLab(lab: TokenLab): Promise<{ close(): Promise<void> }> {
  const served = await serveOnLoopback(lab.handler, loopbackPort(lab.issuer, 'tokenLab.issuer'));
  return { close: () => served.close() };
}
