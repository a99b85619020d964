import type { Defects } from '../defects.ts';
import { advertisedMetadataUrl, advertisedScopes } from './metadata.ts';

/** RFC 6750 §3.1 error codes a resource server answers with. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

export interface BearerChallenge {
  error?: BearerErrorCode;
  errorDescription?: string;
  scope?: string[];
  resourceMetadata?: string;
}

/** RFC 6750 §3: `Bearer` followed by quoted auth-params. */
export function formatBearerChallenge(challenge: BearerChallenge): string {
  const params: [string, string | undefined][] = [
    ['error', challenge.error],
    ['error_description', challenge.errorDescription && toErrorDescription(challenge.errorDescription)],
    ['resource_metadata', challenge.resourceMetadata],
    ['scope', challenge.scope?.length ? challenge.scope.join(' ') : undefined],
  ];
  const present = params.filter((param): param is [string, string] => param[1] !== undefined);
  return present.length ? `Bearer ${present.map(([name, value]) => `${name}="${value}"`).join(', ')}` : 'Bearer';
}

/** RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E (no `"` or `\`). */
export function toErrorDescription(text: string): string {
  return text.replace(/"/g, "'").replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, ' ');
}

/** The refusals of one resource server, each with its status, challenge and OAuth error body. */
export interface Challenger {
  /** OAuth 2.1 §5.3.1: no credentials → 401 with no error code. */
  missingCredentials(): Response;
  /** RFC 6750 §3.1: malformed request → 400 invalid_request. */
  invalidRequest(description: string): Response;
  /** RFC 6750 §3.1, RFC 9068 §4: unusable token → 401 invalid_token. */
  invalidToken(description: string): Response;
  /** RFC 6750 §3.1, MCP "Runtime Insufficient Scope Errors": 403 insufficient_scope listing the scopes needed. */
  insufficientScope(needed: string[], description: string): Response;
}

export interface ChallengerOptions {
  resource: string;
  /** Scope named in 401 challenges: what a client should ask for to use this resource at all. */
  basicScope: string;
  defects: Defects;
}

export function createChallenger({ resource, basicScope, defects }: ChallengerOptions): Challenger {
  const resourceMetadata = advertisedMetadataUrl(resource, defects);
  const unauthorizedScope = defects.has('rs-challenge-no-scope') ? undefined : advertisedScopes([basicScope], defects);
  const refuse = (status: number, challenge: BearerChallenge): Response =>
    challengeResponse(status, { ...challenge, resourceMetadata });

  return {
    missingCredentials: () =>
      defects.has('rs-error-code-without-credentials')
        ? refuse(401, { error: 'invalid_token', errorDescription: 'no access token', scope: unauthorizedScope })
        : refuse(401, { scope: unauthorizedScope }),
    invalidRequest: (description) =>
      refuse(400, { error: 'invalid_request', errorDescription: description, scope: unauthorizedScope }),
    invalidToken: (description) =>
      refuse(401, {
        error: defects.has('rs-invalid-token-no-error-code') ? undefined : 'invalid_token',
        errorDescription: description,
        scope: unauthorizedScope,
      }),
    insufficientScope: (needed, description) =>
      refuse(403, { error: 'insufficient_scope', errorDescription: description, scope: needed }),
  };
}

function challengeResponse(status: number, challenge: BearerChallenge): Response {
  const body = challenge.error
    ? { error: challenge.error, error_description: challenge.errorDescription }
    : { error_description: challenge.errorDescription ?? 'this resource needs a Bearer access token' };
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'WWW-Authenticate': formatBearerChallenge(challenge),
    },
  });
}
