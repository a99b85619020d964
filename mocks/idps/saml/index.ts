import { inflateRawSync } from 'node:zlib';
import type { IdentityProviderInstance, ServiceProviderInstance } from 'samlify';
import type { Clock } from '../../../harness/clock.ts';
import type { FetchHandler } from '../../../harness/network/types.ts';
import { identityProviderWithoutLogout, samlify } from '../../../harness/samlify.ts';
import { type SamlSigningKey, sharedSigningKey } from './signing-key.ts';

const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const NAME_ID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const AUTHN_CONTEXT_PASSWORD = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const VALIDITY_MS = 5 * 60_000;

/** A person at the tenant's SAML identity provider. */
export interface SamlUser {
  /** The NameID (emailAddress format). */
  email: string;
  name: string;
}

/** A service provider the IdP knows (the tenant's SSO connection): its entity ID and its ACS URL (HTTP-POST). */
export interface SamlServiceProvider {
  entityId: string;
  acsUrl: string;
}

export interface SamlIdpOptions {
  /** e.g. https://idp.saml.test/metadata */
  entityId: string;
  /** e.g. https://idp.saml.test/sso */
  ssoUrl: string;
  clock: Clock;
  /** Default: grace@tenant.example and heidi@tenant.example. */
  users?: SamlUser[];
  /** Service providers allowed to send AuthnRequests; more can be added with `registerServiceProvider`. */
  serviceProviders?: SamlServiceProvider[];
}

/**
 * How a minted response deviates from a correct one, for negative tests of the SP:
 * - `unsigned`: neither the Response nor the Assertion carries a signature;
 * - `expired`: issued 10 minutes ago, Conditions and SubjectConfirmationData NotOnOrAfter 5 minutes ago;
 * - `wrong-audience`: the AudienceRestriction names another SP;
 * - `untrusted-key`: signed by a key whose certificate is not in the IdP metadata.
 */
export type SamlResponseVariant = 'valid' | 'unsigned' | 'expired' | 'wrong-audience' | 'untrusted-key';

/**
 * How the SSO endpoint misbehaves, from `fault(kind)` until `fault('none')`: every answer is minted as that response
 * variant, or, for an SP's InResponseTo check (SAML Profiles §4.1.4.3):
 * - `unsolicited`: the answer names no AuthnRequest (no InResponseTo), as an IdP-initiated response would;
 * - `foreign-in-response-to`: the answer's InResponseTo names an AuthnRequest the SP never sent.
 */
export type SamlFault = Exclude<SamlResponseVariant, 'valid'> | 'unsolicited' | 'foreign-in-response-to' | 'none';

export interface CreateSamlResponseOptions {
  sp: SamlServiceProvider;
  /** Default: the first user. */
  user?: SamlUser;
  /** The AuthnRequest ID answered; omitted for an unsolicited (IdP-initiated) response. */
  inResponseTo?: string;
  relayState?: string;
  variant?: SamlResponseVariant;
  /** Mint a replay: a freshly signed response reusing this one's Response ID, Assertion ID and InResponseTo. */
  replayOf?: MintedSamlResponse;
}

/** A response ready to be posted to the SP's ACS URL (SAML Bindings §3.5). */
export interface MintedSamlResponse {
  responseId: string;
  assertionId: string;
  inResponseTo?: string;
  acsUrl: string;
  relayState?: string;
  /** The Response XML as signed. */
  xml: string;
  /** Base64 of `xml`: the SAMLResponse form field. */
  samlResponse: string;
  /** An auto-submitting HTML form posting SAMLResponse (and RelayState) to `acsUrl`. */
  form: string;
}

/** One request the IdP answered (`at` is the clock's time, ISO 8601). */
export interface SamlRequestRecord {
  method: string;
  path: string;
  at: string;
  status: number;
}

/** A tenant's SAML 2.0 identity provider for SP-initiated web browser SSO (SAML Profiles §4.1). */
export interface SamlIdp {
  entityId: string;
  ssoUrl: string;
  metadataUrl: string;
  /** The IdP metadata: entity ID, signing certificate, SSO endpoints (Redirect and POST). */
  metadata: string;
  /** The signing certificate, PEM: what an SP is configured to trust. */
  certificatePem: string;
  /** Serves `ssoUrl` (AuthnRequest by Redirect or POST binding) and `metadataUrl`. */
  handler: FetchHandler;
  users: readonly SamlUser[];
  registerServiceProvider(sp: SamlServiceProvider): void;
  /** The next SSO request signs in this user (once); by default the first user is signed in. */
  setNextUser(email: string): void;
  /** Misbehave at the SSO endpoint from now on, until `fault('none')`. */
  fault(kind: SamlFault): void;
  /** The response the SSO endpoint answered last (to replay it, or to read its IDs). */
  lastResponse(): MintedSamlResponse | undefined;
  /** Every request the IdP answered, oldest first, as evidence. */
  requests(): SamlRequestRecord[];
  createResponse(options: CreateSamlResponseOptions): Promise<MintedSamlResponse>;
}

export const DEFAULT_SAML_USERS: readonly SamlUser[] = [
  { email: 'grace@tenant.example', name: 'Grace Hopper' },
  { email: 'heidi@tenant.example', name: 'Heidi Lamarr' },
];

// SAML Core §2.3.3, §2.7.2, §2.7.3: a Response with one bearer Assertion, its AuthnStatement and attributes.
const LOGIN_RESPONSE_TEMPLATE =
  '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ID}" Version="2.0" IssueInstant="{IssueInstant}" Destination="{Destination}" InResponseTo="{InResponseTo}">' +
  '<saml:Issuer>{Issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="{StatusCode}"/></samlp:Status>' +
  '<saml:Assertion ID="{AssertionID}" Version="2.0" IssueInstant="{IssueInstant}"><saml:Issuer>{Issuer}</saml:Issuer>' +
  '<saml:Subject><saml:NameID Format="{NameIDFormat}">{NameID}</saml:NameID>' +
  '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{NotOnOrAfter}" Recipient="{Destination}" InResponseTo="{InResponseTo}"/></saml:SubjectConfirmation></saml:Subject>' +
  '<saml:Conditions NotBefore="{IssueInstant}" NotOnOrAfter="{NotOnOrAfter}"><saml:AudienceRestriction><saml:Audience>{Audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>' +
  '<saml:AuthnStatement AuthnInstant="{IssueInstant}" SessionIndex="{SessionIndex}"><saml:AuthnContext><saml:AuthnContextClassRef>{AuthnContextClassRef}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>' +
  '<saml:AttributeStatement><saml:Attribute Name="email" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue>{Email}</saml:AttributeValue></saml:Attribute>' +
  '<saml:Attribute Name="name" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue>{Name}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>' +
  '</saml:Assertion></samlp:Response>';

export async function createSamlIdp(options: SamlIdpOptions): Promise<SamlIdp> {
  const { entityId, ssoUrl, clock } = options;
  const users: readonly SamlUser[] = options.users ?? DEFAULT_SAML_USERS;
  const serviceProviders = new Map<string, SamlServiceProvider>();
  for (const sp of options.serviceProviders ?? []) serviceProviders.set(sp.entityId, sp);
  const metadataUrl = new URL('metadata', ssoUrl).href;
  const signingKey = await sharedSigningKey(new URL(ssoUrl).hostname, 'trusted', clock.now());
  const untrustedKey = await sharedSigningKey(new URL(ssoUrl).hostname, 'untrusted', clock.now());
  const idp = identityProvider(entityId, ssoUrl, signingKey);
  const impostor = identityProvider(entityId, ssoUrl, untrustedKey);
  let nextUser: SamlUser | undefined;
  let activeFault: SamlFault = 'none';
  let lastAnswered: MintedSamlResponse | undefined;

  function userByEmail(email: string): SamlUser {
    const user = users.find((candidate) => candidate.email === email);
    if (!user) throw new Error(`unknown SAML user ${email}`);
    return user;
  }

  function takeSignedInUser(): SamlUser {
    const user = nextUser ?? users[0];
    nextUser = undefined;
    if (!user) throw new Error('the SAML IdP has no users');
    return user;
  }

  async function createResponse(request: CreateSamlResponseOptions): Promise<MintedSamlResponse> {
    const variant = request.variant ?? 'valid';
    const user = request.user ?? users[0];
    if (!user) throw new Error('the SAML IdP has no users');
    const responseId = request.replayOf?.responseId ?? newSamlId();
    const assertionId = request.replayOf?.assertionId ?? newSamlId();
    const inResponseTo = request.replayOf ? request.replayOf.inResponseTo : request.inResponseTo;
    const issuedAt = variant === 'expired' ? clock.now() - 2 * VALIDITY_MS : clock.now();
    const xml = fillTemplate({
      ID: responseId,
      AssertionID: assertionId,
      IssueInstant: new Date(issuedAt).toISOString(),
      NotOnOrAfter: new Date(issuedAt + VALIDITY_MS).toISOString(),
      Destination: request.sp.acsUrl,
      InResponseTo: inResponseTo,
      Issuer: entityId,
      StatusCode: STATUS_SUCCESS,
      NameIDFormat: NAME_ID_EMAIL,
      NameID: user.email,
      Audience: variant === 'wrong-audience' ? `${request.sp.entityId}/another-sp` : request.sp.entityId,
      SessionIndex: `_session-${assertionId}`,
      AuthnContextClassRef: AUTHN_CONTEXT_PASSWORD,
      Email: user.email,
      Name: user.name,
    });
    const signed =
      variant === 'unsigned' ? xml : await sign(variant === 'untrusted-key' ? impostor : idp, request.sp, xml);
    const samlResponse = Buffer.from(signed, 'utf8').toString('base64');
    return {
      responseId,
      assertionId,
      ...(inResponseTo === undefined ? {} : { inResponseTo }),
      acsUrl: request.sp.acsUrl,
      ...(request.relayState === undefined ? {} : { relayState: request.relayState }),
      xml: signed,
      samlResponse,
      form: autoPostForm(request.sp.acsUrl, samlResponse, request.relayState),
    };
  }

  // SAML Profiles §4.1.4: the IdP answers an AuthnRequest from a known SP with a Response posted to its ACS URL.
  async function answerAuthnRequest(request: Request): Promise<Response> {
    const message = await readProtocolMessage(request);
    if (!message) return badRequest('expected a SAMLRequest by the HTTP-Redirect (GET) or HTTP-POST binding');
    const xml = decodeAuthnRequest(message);
    if (!xml) return badRequest('SAMLRequest is not a base64 (deflated for HTTP-Redirect) XML message');
    const extract = samlify.Extractor.extract(xml, samlify.Extractor.loginRequestFields);
    const sp = typeof extract.issuer === 'string' ? serviceProviders.get(extract.issuer) : undefined;
    if (!sp) return badRequest(`AuthnRequest Issuer ${JSON.stringify(extract.issuer)} is not a registered SP`);
    const parsed = await idp
      .parseLoginRequest(serviceProviderEntity(sp), message.binding, samlifyRequest(message))
      .catch((error: unknown) => error);
    if (parsed instanceof Error || typeof parsed !== 'object' || parsed === null) {
      return badRequest(`AuthnRequest refused: ${String(parsed)}`);
    }
    const requested = stringField(extract.request, 'assertionConsumerServiceUrl');
    // SAML Profiles §4.1.4.1: a requested ACS URL must be one the SP registered.
    if (requested && requested !== sp.acsUrl)
      return badRequest(`AssertionConsumerServiceURL ${requested} is not registered`);
    const inResponseTo = answeredRequestId(activeFault, stringField(extract.request, 'id'));
    const minted = await createResponse({
      sp,
      user: takeSignedInUser(),
      variant: responseVariant(activeFault),
      ...(inResponseTo ? { inResponseTo } : {}),
      ...(message.relayState === undefined ? {} : { relayState: message.relayState }),
    });
    lastAnswered = minted;
    return new Response(minted.form, {
      status: 200,
      headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
    });
  }

  const metadata = idp.getMetadata();

  const recorded: SamlRequestRecord[] = [];
  const handler: FetchHandler = async (request) => {
    const response = await answer(request);
    const { pathname } = new URL(request.url);
    recorded.push({
      method: request.method,
      path: pathname,
      at: new Date(clock.now()).toISOString(),
      status: response.status,
    });
    return response;
  };

  const answer: FetchHandler = async (request) => {
    const path = new URL(request.url).pathname;
    if (path === new URL(ssoUrl).pathname) return answerAuthnRequest(request);
    // SAML Metadata §2.4.3: the IdP publishes its entity ID, signing certificate and SSO endpoints.
    if (path === new URL(metadataUrl).pathname && request.method === 'GET') {
      return new Response(metadata, { status: 200, headers: { 'Content-Type': 'application/samlmetadata+xml' } });
    }
    return Response.json({ error: 'not_found', error_description: `no SAML endpoint at ${path}` }, { status: 404 });
  };

  return {
    entityId,
    ssoUrl,
    metadataUrl,
    metadata,
    certificatePem: signingKey.certificatePem,
    handler,
    users,
    registerServiceProvider: (sp) => {
      serviceProviders.set(sp.entityId, sp);
    },
    setNextUser: (email) => {
      nextUser = userByEmail(email);
    },
    fault: (kind) => {
      activeFault = kind;
    },
    lastResponse: () => lastAnswered,
    requests: () => [...recorded],
    createResponse,
  };
}

type Binding = 'redirect' | 'post';

interface ProtocolMessage {
  binding: Binding;
  samlRequest: string;
  relayState?: string;
  sigAlg?: string;
  signature?: string;
}

/** The response variant the SSO endpoint mints under a fault. */
function responseVariant(fault: SamlFault): SamlResponseVariant {
  return fault === 'none' || fault === 'unsolicited' || fault === 'foreign-in-response-to' ? 'valid' : fault;
}

/** The AuthnRequest ID the answer names: the real one, none (unsolicited), or one the SP never sent. */
function answeredRequestId(fault: SamlFault, requestId: string | undefined): string | undefined {
  if (fault === 'unsolicited') return undefined;
  if (fault === 'foreign-in-response-to') return newSamlId();
  return requestId;
}

function identityProvider(entityId: string, ssoUrl: string, key: SamlSigningKey): IdentityProviderInstance {
  return identityProviderWithoutLogout({
    entityID: entityId,
    privateKey: key.privateKeyPem,
    signingCert: key.certificatePem,
    nameIDFormat: [NAME_ID_EMAIL],
    singleSignOnService: [
      { Binding: BINDING_REDIRECT, Location: ssoUrl },
      { Binding: BINDING_POST, Location: ssoUrl },
    ],
  });
}

// SAML Profiles §4.1.3.5: the SP wants its assertions signed; the Response is signed as well.
function serviceProviderEntity(sp: SamlServiceProvider): ServiceProviderInstance {
  return samlify.ServiceProvider({
    entityID: sp.entityId,
    wantAssertionsSigned: true,
    wantMessageSigned: true,
    assertionConsumerService: [{ Binding: BINDING_POST, Location: sp.acsUrl }],
  });
}

async function sign(idp: IdentityProviderInstance, sp: SamlServiceProvider, xml: string): Promise<string> {
  const context = await idp.createLoginResponse(
    serviceProviderEntity(sp),
    { extract: {} },
    'post',
    {},
    { customTagReplacement: () => ({ id: '', context: xml }) },
  );
  return Buffer.from(context.context, 'base64').toString('utf8');
}

function fillTemplate(values: Record<string, string | undefined>): string {
  return samlify.SamlLib.replaceTagsByValue(LOGIN_RESPONSE_TEMPLATE, values);
}

/** SAML Core §1.3.4: an xs:ID, so it must not start with a digit. */
function newSamlId(): string {
  return `_${crypto.randomUUID()}`;
}

async function readProtocolMessage(request: Request): Promise<ProtocolMessage | undefined> {
  if (request.method === 'GET') return protocolMessage('redirect', new URL(request.url).searchParams);
  if (request.method !== 'POST') return undefined;
  const form = new URLSearchParams(await request.text().catch(() => ''));
  return protocolMessage('post', form);
}

function protocolMessage(binding: Binding, fields: URLSearchParams): ProtocolMessage | undefined {
  const samlRequest = fields.get('SAMLRequest');
  if (!samlRequest) return undefined;
  const optional = (name: string): string | undefined => fields.get(name) ?? undefined;
  const relayState = optional('RelayState');
  const sigAlg = optional('SigAlg');
  const signature = optional('Signature');
  return {
    binding,
    samlRequest,
    ...(relayState === undefined ? {} : { relayState }),
    ...(sigAlg === undefined ? {} : { sigAlg }),
    ...(signature === undefined ? {} : { signature }),
  };
}

// SAML Bindings §3.4.4.1 (Redirect: DEFLATE then base64) and §3.5.4 (POST: base64).
function decodeAuthnRequest(message: ProtocolMessage): string | undefined {
  try {
    const bytes = Buffer.from(message.samlRequest, 'base64');
    const xml = message.binding === 'redirect' ? inflateRawSync(bytes).toString('utf8') : bytes.toString('utf8');
    return xml.trimStart().startsWith('<') ? xml : undefined;
  } catch {
    return undefined;
  }
}

function samlifyRequest(message: ProtocolMessage): { query?: Record<string, string>; body?: Record<string, string> } {
  const fields: Record<string, string> = { SAMLRequest: message.samlRequest };
  if (message.relayState !== undefined) fields.RelayState = message.relayState;
  if (message.sigAlg !== undefined) fields.SigAlg = message.sigAlg;
  if (message.signature !== undefined) fields.Signature = message.signature;
  return message.binding === 'redirect' ? { query: fields } : { body: fields };
}

function stringField(record: unknown, key: string): string | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const value: unknown = (record as Record<string, unknown>)[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

// SAML Bindings §3.5.4: an HTML form the browser submits at once, carrying SAMLResponse and RelayState.
function autoPostForm(acsUrl: string, samlResponse: string, relayState: string | undefined): string {
  const relayField =
    relayState === undefined ? '' : `<input type="hidden" name="RelayState" value="${escapeHtml(relayState)}"/>`;
  return (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Signing in</title></head>' +
    '<body onload="document.forms[0].submit()">' +
    `<form method="post" action="${escapeHtml(acsUrl)}">` +
    `<input type="hidden" name="SAMLResponse" value="${samlResponse}"/>${relayField}` +
    '<noscript><button type="submit">Continue</button></noscript></form></body></html>'
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function badRequest(description: string): Response {
  return Response.json(
    { error: 'invalid_request', error_description: description },
    { status: 400, headers: { 'Cache-Control': 'no-store' } },
  );
}
