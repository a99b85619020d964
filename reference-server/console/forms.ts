/** The console's forms turned into the admin API's shapes, so both go through the same validation. */
import type { FilterRow } from './views.ts';

function commaList(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function lineList(value: string | null): string[] {
  return (value ?? '')
    .split(/\r?\n/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** A number field: empty is unset; anything else not a whole number is passed on for validation to name. */
function numberField(value: string | null): number | string | null {
  const trimmed = (value ?? '').trim();
  if (trimmed === '') return null;
  return /^\d{1,12}$/.test(trimmed) ? Number(trimmed) : trimmed;
}

function textField(value: string | null): string | null {
  const trimmed = (value ?? '').trim();
  return trimmed === '' ? null : trimmed;
}

/** Repeated trusted-issuer inputs, zipped row by row; rows without an issuer URL are dropped. */
function trustedIssuers(form: URLSearchParams): Record<string, unknown>[] {
  const column = (name: string) => form.getAll(name);
  const jwks = column('ti_jwks_uri');
  const algorithms = column('ti_algorithms');
  const userinfo = column('ti_userinfo_endpoint');
  const loginIds = column('ti_login_id_field');
  return column('ti_issuer').flatMap((issuer, index) => {
    if (issuer.trim() === '') return [];
    const row: Record<string, unknown> = { issuer: issuer.trim() };
    const jwksUri = textField(jwks[index] ?? null);
    const algs = commaList(algorithms[index] ?? null);
    const userinfoEndpoint = textField(userinfo[index] ?? null);
    const loginId = textField(loginIds[index] ?? null);
    if (jwksUri) row.jwks_uri = jwksUri;
    if (algs.length) row.algorithms = algs;
    if (userinfoEndpoint) row.userinfo_endpoint = userinfoEndpoint;
    if (loginId) row.login_id_field = loginId;
    return [row];
  });
}

function sessionManagement(form: URLSearchParams): Record<string, unknown> | null {
  if (form.get('session_mode') !== 'custom') return null;
  const settings: Record<string, unknown> = {};
  const format = textField(form.get('token_format'));
  if (format) settings.token_format = format;
  for (const field of ['refresh_token_ttl_seconds', 'session_token_ttl_seconds', 'access_key_ttl_seconds']) {
    const value = numberField(form.get(field));
    if (value !== null) settings[field] = value;
  }
  return settings;
}

/** The annotations every client has (a CIMD client's only editable settings). */
export function annotationsFromForm(form: URLSearchParams): Record<string, unknown> {
  return { description: textField(form.get('description')), tags: commaList(form.get('tags')) };
}

/** The create/edit form as a complete settings body (unset fields are null, so an edit clears them). */
export function settingsFromForm(form: URLSearchParams): Record<string, unknown> {
  return {
    ...annotationsFromForm(form),
    client_name: textField(form.get('client_name')),
    logo_uri: textField(form.get('logo_uri')),
    grant_types: form.getAll('grant_types'),
    redirect_uris: lineList(form.get('redirect_uris')),
    allowed_tenants: commaList(form.get('allowed_tenants')),
    trusted_issuers: trustedIssuers(form),
    ciba_link_expiry_seconds: numberField(form.get('ciba_link_expiry_seconds')),
    skip_consent: form.get('skip_consent') === 'on',
    session_management: sessionManagement(form),
    token_endpoint_auth_method: textField(form.get('token_endpoint_auth_method')),
  };
}

/** The filter form's rows (repeated field/op/value), without the empty ones. */
export function filterRows(query: URLSearchParams): FilterRow[] {
  const operators = query.getAll('op');
  const values = query.getAll('value');
  return query.getAll('field').flatMap((field, index) => {
    const value = (values[index] ?? '').trim();
    return value === '' ? [] : [{ field, operator: operators[index] ?? '', value }];
  });
}

export function tagsFromForm(form: URLSearchParams): string[] {
  return commaList(form.get('tags'));
}
