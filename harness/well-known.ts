/** RFC 8414 §3 / RFC 9728 §3: insert the well-known suffix between host and path, dropping a terminating slash. */
export function insertWellKnown(identifier: string, suffix: string): string {
  const url = new URL(identifier);
  const path = url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/${suffix}${path === '' ? '' : path}${url.search}`;
}

/** OIDC Discovery §4: the suffix appended to the issuer. */
export function appendWellKnown(identifier: string, suffix: string): string {
  return `${identifier.replace(/\/$/, '')}/.well-known/${suffix}`;
}

export function rootWellKnown(identifier: string, suffix: string): string {
  return `${new URL(identifier).origin}/.well-known/${suffix}`;
}

export function hasPath(identifier: string): boolean {
  return new URL(identifier).pathname.replace(/\/$/, '') !== '';
}
