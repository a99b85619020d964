import type { RecordedExchange, RecordedRequest, RecordedResponse } from '../harness/network/types.ts';
import type { CheckResult, RunResult } from '../harness/results.ts';

/** Appended where a secret was cut; redacting twice leaves a redacted value as it is. */
export const REDACTED = '…[redacted]';

/** Body, form and query parameters whose values are credentials. */
export const SECRET_PARAMETERS = [
  'client_secret',
  'password',
  'access_token',
  'refresh_token',
  'id_token',
  'code_verifier',
  'assertion',
  'client_assertion',
  'subject_token',
  'actor_token',
  'registration_access_token',
  'token',
] as const;

/** Characters kept so a reader can tell two credentials apart without being able to use either. */
const CREDENTIAL_PREFIX = 6;
const JWT_PREFIX = 12;

const PARAMETER_NAMES = SECRET_PARAMETERS.join('|');
/** `"access_token": "…"` in JSON, also when the body was clipped and no longer parses. */
const JSON_MEMBER = new RegExp(`("(?:${PARAMETER_NAMES})"\\s*:\\s*")((?:[^"\\\\]|\\\\.)*)(")`, 'g');
/** `access_token=…` in form bodies, query strings and fragments. */
const URL_PARAMETER = new RegExp(`((?:^|[?&#;])(?:${PARAMETER_NAMES})=)([^&#;\\s"'<>]*)`, 'g');
/** A compact JWS or JWE: base64url JSON header, then 2 to 4 more dot-separated parts. */
const JWT = /eyJ[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){2,4}/g;
const SET_COOKIE_ATTRIBUTES = new Set([
  'path',
  'domain',
  'expires',
  'max-age',
  'samesite',
  'secure',
  'httponly',
  'partitioned',
]);

export interface RedactOptions {
  /** Keep every secret as recorded (`--reveal-secrets`). */
  reveal?: boolean;
}

/** The run with credentials cut out of evidence and messages; the input is left untouched. */
export function redact(result: RunResult, options: RedactOptions = {}): RunResult {
  if (options.reveal) return result;
  return { ...result, checks: result.checks.map(redactCheck) };
}

function redactCheck(check: CheckResult): CheckResult {
  return { ...check, message: redactText(check.message), evidence: check.evidence.map(redactExchange) };
}

export function redactExchange(exchange: RecordedExchange): RecordedExchange {
  return {
    ...exchange,
    request: redactRequest(exchange.request),
    ...(exchange.response ? { response: redactResponse(exchange.response) } : {}),
    ...(exchange.error !== undefined ? { error: redactText(exchange.error) } : {}),
  };
}

function redactRequest(request: RecordedRequest): RecordedRequest {
  return {
    ...request,
    url: redactText(request.url),
    headers: redactHeaders(request.headers),
    ...(request.body !== undefined ? { body: redactText(request.body) } : {}),
  };
}

function redactResponse(response: RecordedResponse): RecordedResponse {
  return {
    ...response,
    headers: redactHeaders(response.headers),
    ...(response.body !== undefined ? { body: redactText(response.body) } : {}),
  };
}

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = redactHeader(name, value);
  return out;
}

function redactHeader(name: string, value: string): string {
  switch (name.toLowerCase()) {
    case 'authorization':
    case 'proxy-authorization':
      return redactAuthorization(value);
    case 'cookie':
      return redactCookiePairs(value, () => true);
    case 'set-cookie':
      return redactCookiePairs(value, (cookieName) => !SET_COOKIE_ATTRIBUTES.has(cookieName.toLowerCase()));
    default:
      return redactText(value);
  }
}

/** RFC 9110 §11.6.2: `<scheme> <credentials>`; the scheme stays readable. */
function redactAuthorization(value: string): string {
  const match = /^(\S+)(\s+)(.*)$/s.exec(value.trim());
  if (!match) return mask(value, CREDENTIAL_PREFIX);
  const [, scheme = '', space = ' ', credentials = ''] = match;
  return `${scheme}${space}${mask(credentials, CREDENTIAL_PREFIX)}`;
}

/** RFC 6265 §4.1.1/§4.2.1: `name=value` pairs; names and cookie attributes stay readable. */
function redactCookiePairs(value: string, isCookie: (name: string) => boolean): string {
  return value.replace(/([^\s;,=]+)=([^;,]*)/g, (pair, name: string, cookieValue: string) =>
    isCookie(name) && cookieValue !== '' ? `${name}=${mask(cookieValue, 0)}` : pair,
  );
}

/** Secrets inside free text: JSON members, form/query parameters, and anything shaped like a JWT. */
export function redactText(text: string): string {
  return text
    .replace(
      JSON_MEMBER,
      (_, open: string, value: string, close: string) => open + mask(value, CREDENTIAL_PREFIX) + close,
    )
    .replace(URL_PARAMETER, (_, name: string, value: string) => name + mask(value, CREDENTIAL_PREFIX))
    .replace(JWT, (jwt) => mask(jwt, JWT_PREFIX));
}

/** Keeps at most `keep` leading characters, and never more than a third of the secret. */
function mask(secret: string, keep: number): string {
  if (secret === '' || secret.endsWith(REDACTED)) return secret;
  return secret.slice(0, Math.min(keep, Math.floor(secret.length / 3))) + REDACTED;
}
