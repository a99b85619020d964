/** RFC 6749 §5.2: errors are JSON `{error, error_description}`; responses that may carry credentials are never cached. */
export const NO_STORE: Readonly<Record<string, string>> = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/** An OAuth error to answer with: thrown by validation, turned into a response by the endpoint that owns it. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${error}: ${description}`);
    this.name = 'OAuthError';
  }
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

export function errorResponse(error: OAuthError): Response {
  return jsonResponse({ error: error.error, error_description: error.description }, error.status, {
    ...NO_STORE,
    ...error.headers,
  });
}

/** The shape of an error some defects plant instead of JSON: a bare text body with a chosen status. */
export function plainTextErrorResponse(error: OAuthError, status: number): Response {
  return new Response(`${error.error}: ${error.description}`, {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  });
}

/** Anything unexpected still answers in OAuth's error format, never as an HTML stack trace. */
export function asOAuthError(thrown: unknown): OAuthError {
  if (thrown instanceof OAuthError) return thrown;
  return new OAuthError('server_error', 'the authorization server hit an unexpected condition', 500);
}
