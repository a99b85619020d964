/** RFC 6749 §2.3.1, as the mock IdPs read it: client_secret_basic, else client_secret_post. */
export interface PresentedSecret {
  clientId: string;
  clientSecret: string;
}

/** The credentials a request presents; `param` reads one form parameter (refusing repeats its own way). */
export function presentedSecret(
  request: Request,
  param: (name: string) => string | undefined,
): PresentedSecret | undefined {
  return basicCredentials(request.headers.get('authorization')) ?? postCredentials(param);
}

/** RFC 6749 §2.3.1: client_id and secret form-urlencoded, joined by ':', then base64 encoded. */
function basicCredentials(header: string | null): PresentedSecret | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  try {
    const decoded = atob(match[1]!);
    const separator = decoded.indexOf(':');
    if (separator < 0) return undefined;
    const decode = (part: string) => decodeURIComponent(part.replaceAll('+', ' '));
    return { clientId: decode(decoded.slice(0, separator)), clientSecret: decode(decoded.slice(separator + 1)) };
  } catch {
    return undefined;
  }
}

function postCredentials(param: (name: string) => string | undefined): PresentedSecret | undefined {
  const clientId = param('client_id');
  const clientSecret = param('client_secret');
  return clientId && clientSecret ? { clientId, clientSecret } : undefined;
}
