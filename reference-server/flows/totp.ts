/** TOTP step-up (RFC 6238): enrolment by otpauth:// URI, then 6-digit SHA-1 codes over 30 s steps. */

import { Secret, TOTP } from 'otpauth';
import { hasDefect } from './defects.ts';
import type { FlowDeps, FlowUser } from './types.ts';

/** Where the user's base32 secret is kept among their attributes. */
export const TOTP_SECRET_ATTRIBUTE = 'totpSecret';
export const INVALID_CODE_MESSAGE = 'That code is not valid. Try again.';
const PERIOD_SECONDS = 30;
/** RFC 6238 §5.2: one step either side absorbs clock drift between the server and the authenticator. */
const WINDOW_STEPS = 1;
const CODE_SHAPE = /^\d{6}$/;

export interface TotpEnrollment {
  secret: string;
  uri: string;
}

function authenticator(secret: string, issuer: string, account: string): TOTP {
  return new TOTP({
    issuer,
    label: account,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  });
}

/** The label an authenticator app shows: the user's email, else another stable identifier. */
function accountOf(user: FlowUser): string {
  return user.email ?? user.externalId ?? user.id;
}

/** A secret (fresh: 160 bits, as RFC 4226 §4 recommends) and its otpauth://totp/<issuer>:<account> URI. */
export function newEnrollment(
  issuer: string,
  user: FlowUser,
  secret = new Secret({ size: 20 }).base32,
): TotpEnrollment {
  return { secret, uri: authenticator(secret, issuer, accountOf(user)).toString() };
}

/** The code an authenticator shows at `atMs` (tests and scripted journeys). */
export function totpCode(secret: string, atMs: number): string {
  return authenticator(secret, 'x', 'x').generate({ timestamp: atMs });
}

type TotpDeps = Pick<FlowDeps, 'defects' | 'useOnce'>;

/** RFC 6238 §5.2: a code within ±1 step is accepted once per user; a used code is refused within its window. */
export async function acceptsCode(
  secret: string,
  user: FlowUser,
  code: string,
  nowMs: number,
  deps: TotpDeps,
): Promise<boolean> {
  if (!CODE_SHAPE.test(code)) return false;
  if (!hasDefect(deps, 'mfa-any-code-accepted')) {
    const delta = authenticator(secret, 'x', 'x').validate({ token: code, timestamp: nowMs, window: WINDOW_STEPS });
    if (delta === null) return false;
  }
  if (hasDefect(deps, 'totp-replay-accepted') || !deps.useOnce) return true;
  const windowMs = (2 * WINDOW_STEPS + 1) * PERIOD_SECONDS * 1000;
  return deps.useOnce(`totp:${user.id}:${code}`, nowMs + windowMs);
}
