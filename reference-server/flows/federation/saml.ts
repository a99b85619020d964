/** Tenant SSO as a SAML 2.0 service provider (SAML Profiles §4.1): AuthnRequest by Redirect, Response by POST. */

import type { IdentityProviderInstance, ServiceProviderInstance } from 'samlify';
import { identityProviderWithoutLogout, samlify } from '../../../harness/samlify.ts';
import { hasDefect } from '../defects.ts';
import type { FederatedIdentity, FlowDeps, JsonValue, SamlConnection } from '../types.ts';
import { FlowError } from '../types.ts';
import { CLOCK_SKEW_MS } from './skew.ts';

const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const SIGNATURE_ELEMENT = /<([A-Za-z_][\w.-]*:)?Signature[\s>]/;
const KEY_INFO_CERTIFICATE = /<([A-Za-z_][\w.-]*:)?X509Certificate>([^<]+)</;
/** How long a used assertion ID is remembered: past any NotOnOrAfter the IdP sets (SAML Profiles §4.1.4.5). */
const ASSERTION_ID_MEMORY_MS = 24 * 60 * 60_000;

/** What a run keeps between the AuthnRequest and the IdP's answer. */
export interface SamlPending {
  connection: SamlConnection;
  requestId: string;
}

type SamlDeps = Pick<FlowDeps, 'defects' | 'now' | 'useOnce' | 'authnRequests'>;

function serviceProvider(connection: SamlConnection): ServiceProviderInstance {
  return samlify.ServiceProvider({
    entityID: connection.spEntityId,
    authnRequestsSigned: false,
    wantAssertionsSigned: true,
    assertionConsumerService: [{ Binding: BINDING_POST, Location: connection.acsUrl }],
  });
}

function identityProvider(connection: SamlConnection, signingCert: string): IdentityProviderInstance {
  return identityProviderWithoutLogout({
    entityID: connection.idpEntityId,
    signingCert,
    wantAuthnRequestsSigned: false,
    singleSignOnService: [{ Binding: BINDING_REDIRECT, Location: connection.idpSsoUrl }],
  });
}

/** SAML Metadata §2.4.4: this server as SP (entity ID, ACS by HTTP-POST, signed assertions wanted). */
export function samlServiceProviderMetadata(connection: SamlConnection): string {
  return serviceProvider(connection).getMetadata();
}

/** SAML Bindings §3.4: the AuthnRequest travels DEFLATEd in the query; RelayState brings the browser back to the run. */
export function beginSaml(connection: SamlConnection, relayState: string, deps: SamlDeps) {
  const sp = serviceProvider(connection);
  const { id, context } = sp.createLoginRequest(
    identityProvider(connection, connection.idpCertificatePem),
    'redirect',
    {
      relayState,
    },
  );
  deps.authnRequests?.add(id);
  return { location: context, pending: { connection, requestId: id } satisfies SamlPending };
}

/** SAML Profiles §4.1.4.3 and §4.1.4.5: the SP checks signature, audience, times, InResponseTo and one-time use. */
export async function finishSaml(
  pending: SamlPending,
  form: URLSearchParams,
  deps: SamlDeps,
): Promise<FederatedIdentity> {
  const { connection } = pending;
  const encoded = form.get('SAMLResponse');
  if (!encoded) throw new FlowError('saml: the ACS post carries no SAMLResponse');
  const xml = Buffer.from(encoded, 'base64').toString('utf8');
  try {
    await samlify.SamlLib.isValidXml(xml);
  } catch {
    throw new FlowError('saml: the SAMLResponse is not a schema-valid SAML message');
  }
  const assertion = trustedAssertion(xml, connection, deps);
  const fields = readFields(xml, assertion);
  checkStatus(xml);
  // SAML Core §2.2.5: the assertion must come from the configured IdP.
  if (fields.issuer !== connection.idpEntityId) {
    throw new FlowError(`saml: the assertion's Issuer ${JSON.stringify(fields.issuer)} is not the configured IdP`);
  }
  checkAudience(fields.audience, connection, deps);
  checkConditions(fields.notBefore, fields.notOnOrAfter, deps);
  checkInResponseTo(fields.inResponseTo, deps);
  await checkFirstUse(fields.assertionId, deps);
  if (!fields.nameId) throw new FlowError('saml: the assertion has no NameID');
  return {
    protocol: 'saml',
    issuer: connection.idpEntityId,
    subject: fields.nameId,
    claims: hasDefect(deps, 'saml-attributes-not-mapped') ? {} : fields.attributes,
    externalId: `saml:${connection.idpEntityId}|${fields.nameId}`,
  };
}

/** SAML Profiles §4.1.3.5: the assertion must be signed by the IdP's configured key; returns the signed assertion. */
function trustedAssertion(xml: string, connection: SamlConnection, deps: SamlDeps): string {
  if (!SIGNATURE_ELEMENT.test(xml)) {
    if (!hasDefect(deps, 'saml-signature-unchecked')) throw new FlowError('saml: the response is not signed');
    return unverifiedAssertion(xml);
  }
  const certificate = hasDefect(deps, 'saml-signing-cert-unchecked')
    ? (KEY_INFO_CERTIFICATE.exec(xml)?.[2] ?? connection.idpCertificatePem)
    : connection.idpCertificatePem;
  let verified: [boolean, string | null];
  try {
    const metadata = identityProvider(connection, certificate).entityMeta;
    verified = samlify.SamlLib.verifySignature(xml, { metadata });
  } catch (error) {
    throw new FlowError(`saml: signature refused (${error instanceof Error ? error.message : String(error)})`);
  }
  const [valid, assertion] = verified;
  if (!valid || !assertion) throw new FlowError("saml: no signature verifies with the IdP's certificate");
  return assertion;
}

function unverifiedAssertion(xml: string): string {
  const found = samlify.Extractor.extract(xml, [
    { key: 'assertion', localPath: ['~Response', 'Assertion'], attributes: [], context: true },
  ]) as { assertion?: unknown };
  if (typeof found.assertion !== 'string') throw new FlowError('saml: the response carries no assertion');
  return found.assertion;
}

interface AssertionFields {
  assertionId: string | undefined;
  issuer: string | undefined;
  audience: string[];
  nameId: string | undefined;
  notBefore: string | undefined;
  notOnOrAfter: string | undefined;
  inResponseTo: string | undefined;
  attributes: Record<string, JsonValue>;
}

/** Reads from the signed assertion (not the whole document), so a wrapped, unsigned copy cannot supply values. */
function readFields(xml: string, assertion: string): AssertionFields {
  const extract = samlify.Extractor.extract(xml, samlify.Extractor.loginResponseFields(assertion)) as Record<
    string,
    unknown
  >;
  const own = samlify.Extractor.extract(assertion, [{ key: 'id', localPath: ['Assertion'], attributes: ['ID'] }]) as {
    id?: unknown;
  };
  const conditions = record(extract.conditions);
  return {
    assertionId: text(own.id),
    issuer: text(extract.issuer),
    audience: [extract.audience].flat().filter((value): value is string => typeof value === 'string'),
    nameId: text(extract.nameID),
    notBefore: text(conditions.notBefore),
    notOnOrAfter: text(conditions.notOnOrAfter),
    inResponseTo: text(record(extract.response).inResponseTo),
    attributes: attributeClaims(record(extract.attributes)),
  };
}

function checkStatus(xml: string): void {
  const status = samlify.Extractor.extract(xml, samlify.Extractor.loginResponseStatusFields) as { top?: unknown };
  if (status.top !== STATUS_SUCCESS) throw new FlowError(`saml: the IdP answered status ${String(status.top)}`);
}

// SAML Core §2.5.1.4: the SP must be among the assertion's audiences.
function checkAudience(audience: string[], connection: SamlConnection, deps: SamlDeps): void {
  if (hasDefect(deps, 'saml-audience-unchecked') || audience.includes(connection.spEntityId)) return;
  throw new FlowError(`saml: the assertion is meant for ${JSON.stringify(audience)}, not ${connection.spEntityId}`);
}

// SAML Core §2.5.1.2: the assertion is valid only between NotBefore and NotOnOrAfter (a small clock skew allowed).
function checkConditions(notBefore: string | undefined, notOnOrAfter: string | undefined, deps: SamlDeps): void {
  if (hasDefect(deps, 'saml-conditions-unchecked')) return;
  const now = (deps.now ?? Date.now)();
  if (notBefore !== undefined && !(Date.parse(notBefore) - CLOCK_SKEW_MS <= now)) {
    throw new FlowError(`saml: the assertion is not valid before ${notBefore}`);
  }
  if (notOnOrAfter === undefined || !(now < Date.parse(notOnOrAfter) + CLOCK_SKEW_MS)) {
    throw new FlowError(`saml: the assertion expired (NotOnOrAfter ${notOnOrAfter ?? 'missing'})`);
  }
}

// SAML Profiles §4.1.4.3: a response answers an AuthnRequest this browser sent (no unsolicited responses).
function checkInResponseTo(inResponseTo: string | undefined, deps: SamlDeps): void {
  if (hasDefect(deps, 'saml-in-response-to-unchecked')) return;
  if (inResponseTo === undefined || !deps.authnRequests?.has(inResponseTo)) {
    throw new FlowError(`saml: InResponseTo ${JSON.stringify(inResponseTo ?? null)} answers no AuthnRequest we sent`);
  }
}

// SAML Profiles §4.1.4.5: a bearer assertion is used once; a second post of it is a replay.
async function checkFirstUse(assertionId: string | undefined, deps: SamlDeps): Promise<void> {
  if (hasDefect(deps, 'saml-replay-accepted')) return;
  if (!assertionId) throw new FlowError('saml: the assertion has no ID');
  const now = (deps.now ?? Date.now)();
  if (deps.useOnce && !(await deps.useOnce(`saml-assertion:${assertionId}`, now + ASSERTION_ID_MEMORY_MS))) {
    throw new FlowError(`saml: assertion ${assertionId} was already used (replay)`);
  }
}

function attributeClaims(attributes: Record<string, unknown>): Record<string, JsonValue> {
  const claims: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'string') claims[name] = value;
    else if (Array.isArray(value)) claims[name] = value.filter((item): item is string => typeof item === 'string');
  }
  return claims;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
