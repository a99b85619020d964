/**
 * SAML cross-checks between independent implementations. The other direction — node-saml as SP accepting what the
 * samlify mock IdP answers, and refusing each of its faults — is in mocks/idps/saml/index.test.ts. Here the reference
 * AS (samlify as SP) receives a Response built outside samlify: the XML written by hand after SAML Core §2.3.3/§3.3.3
 * and signed with node-saml's XML signing (signSamlPost), by a key whose certificate the AS is configured to trust.
 */
import { inflateRawSync } from 'node:zlib';
import { signSamlPost } from '@node-saml/node-saml/lib/saml-post-signing.js';
import * as oauth from 'oauth4webapi';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Stop, UserAgent } from '../harness/flows/user-agent.ts';
import { decodeAccessToken } from '../harness/jwt.ts';
import { Network } from '../harness/network/network.ts';
import { createSigningKey, type SamlSigningKey } from '../mocks/idps/saml/signing-key.ts';
import { REFERENCE_FLOW_CLIENTS } from '../reference-server/reference-flows.ts';
import { createReferenceSystem, REFERENCE_REDIRECT_URI, type ReferenceSystem } from '../reference-server/system.ts';

const IDP = { entityId: 'https://idp.cross-check.test/metadata', ssoUrl: 'https://idp.cross-check.test/sso' };
const USER = { email: 'ivy@cross-check.example', name: 'Ivy Cross' };
const RESPONSE_XPATH = '/*[local-name(.)="Response" and namespace-uri(.)="urn:oasis:names:tc:SAML:2.0:protocol"]';
const ASSERTION_XPATH = `${RESPONSE_XPATH}/*[local-name(.)="Assertion" and namespace-uri(.)="urn:oasis:names:tc:SAML:2.0:assertion"]`;
const VALIDITY_MS = 5 * 60_000;

interface PendingSignIn {
  agent: UserAgent;
  codeVerifier: string;
  /** The ID of the AuthnRequest the AS sent, and the RelayState that brings the browser back to its run. */
  requestId: string;
  relayState: string;
}

let system: ReferenceSystem;
let trusted: SamlSigningKey;
let stranger: SamlSigningKey;
const sp = { entityId: '', acsUrl: '' };

beforeAll(async () => {
  trusted = await createSigningKey('idp.cross-check.test', Date.now());
  stranger = await createSigningKey('idp.cross-check.test', Date.now());
  system = await createReferenceSystem({
    interaction: 'auto-approve',
    federation: {
      saml: { idpEntityId: IDP.entityId, idpSsoUrl: IDP.ssoUrl, idpCertificatePem: trusted.certificatePem },
    },
  });
  sp.entityId = `${system.issuer}/federation/saml/metadata`;
  sp.acsUrl = `${system.issuer}/federation/saml/acs`;
}, 60_000);

function newAgent(): UserAgent {
  const network = new Network();
  system.mount(network);
  return new UserAgent(network.fetch, {
    stopAt: [REFERENCE_REDIRECT_URI],
    onRedirect: (url) => (url.origin + url.pathname === IDP.ssoUrl ? 'stop' : url),
  });
}

/** The flow-saml client's authorization request, followed until the AS sends the browser to the IdP. */
async function startSignIn(): Promise<PendingSignIn> {
  const agent = newAgent();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const authorize = new URL(`${system.issuer}/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: REFERENCE_FLOW_CLIENTS.saml,
    redirect_uri: REFERENCE_REDIRECT_URI,
    scope: system.scopes.basic,
    state: oauth.generateRandomState(),
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    resource: system.resource,
  }).toString();
  const stop = await agent.open(authorize);
  if (stop.kind !== 'redirect' || stop.url.origin + stop.url.pathname !== IDP.ssoUrl) {
    throw new Error(
      `the AS did not redirect to the IdP: ${JSON.stringify(stop.kind === 'page' ? stop.text : stop.url)}`,
    );
  }
  const authnRequest = inflateRawSync(Buffer.from(stop.params.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
  const requestId = /\sID="([^"]+)"/.exec(authnRequest)?.[1];
  const relayState = stop.params.get('RelayState');
  if (!requestId || !relayState) throw new Error(`no AuthnRequest ID or RelayState: ${authnRequest}`);
  return { agent, codeVerifier, requestId, relayState };
}

/** A Response with one bearer Assertion (SAML Core §2.3.3, §3.3.3; Profiles §4.1.4.2), unsigned. */
function responseXml(pending: PendingSignIn): string {
  const now = Date.now();
  const issued = new Date(now).toISOString();
  const notBefore = new Date(now - 60_000).toISOString();
  const notOnOrAfter = new Date(now + VALIDITY_MS).toISOString();
  const assertionId = `_${crypto.randomUUID()}`;
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${crypto.randomUUID()}" Version="2.0" IssueInstant="${issued}" Destination="${sp.acsUrl}" InResponseTo="${pending.requestId}">` +
    `<saml:Issuer>${IDP.entityId}</saml:Issuer>` +
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>' +
    `<saml:Assertion ID="${assertionId}" Version="2.0" IssueInstant="${issued}">` +
    `<saml:Issuer>${IDP.entityId}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${USER.email}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${sp.acsUrl}" InResponseTo="${pending.requestId}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${sp.entityId}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${issued}" SessionIndex="_session-${assertionId}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    '<saml:AttributeStatement>' +
    `<saml:Attribute Name="email" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue>${USER.email}</saml:AttributeValue></saml:Attribute>` +
    `<saml:Attribute Name="name" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue>${USER.name}</saml:AttributeValue></saml:Attribute>` +
    '</saml:AttributeStatement></saml:Assertion></samlp:Response>'
  );
}

/** node-saml's XML-DSig (rsa-sha256, exclusive c14n): the Assertion first, then the Response around it. */
function signWithNodeSaml(xml: string, key: SamlSigningKey): string {
  const options = {
    privateKey: key.privateKeyPem,
    publicCert: key.certificatePem,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  } as const;
  return signSamlPost(signSamlPost(xml, ASSERTION_XPATH, options), RESPONSE_XPATH, options);
}

/** The browser posts the Response to the ACS (SAML Bindings §3.5) and follows the AS to the end of the flow. */
async function postToAcs(pending: PendingSignIn, signedXml: string): Promise<Stop> {
  const fields = new URLSearchParams({
    SAMLResponse: Buffer.from(signedXml, 'utf8').toString('base64'),
    RelayState: pending.relayState,
  });
  const stop = await pending.agent.send(new URL(sp.acsUrl), 'POST', fields);
  const approve = stop.kind === 'page' && stop.forms[0]?.buttons.find((button) => button.value === 'approve');
  return approve && stop.kind === 'page' ? pending.agent.submit(stop, {}, { button: approve }) : stop;
}

async function redeem(pending: PendingSignIn, code: string): Promise<Record<string, unknown>> {
  const network = new Network();
  system.mount(network);
  const reply = await network.fetch(`${system.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REFERENCE_REDIRECT_URI,
      client_id: REFERENCE_FLOW_CLIENTS.saml,
      code_verifier: pending.codeVerifier,
      resource: system.resource,
    }),
  });
  const body = (await reply.json()) as { access_token?: string };
  expect(reply.status, JSON.stringify(body)).toBe(200);
  return decodeAccessToken(body.access_token ?? '')?.claims ?? {};
}

// The schema validator (libxml2 compiled to JavaScript) takes a few seconds to load on first use.
describe('the reference AS as SAML SP, fed a Response signed by node-saml', { timeout: 90_000 }, () => {
  it('accepts it when signed by the trusted IdP key: the flow ends with a code whose token carries the NameID', async () => {
    const pending = await startSignIn();
    const stop = await postToAcs(pending, signWithNodeSaml(responseXml(pending), trusted));
    expect(stop.kind === 'redirect' ? stop.params.get('error') : stop.text).toBeNull();
    const code = stop.kind === 'redirect' ? stop.params.get('code') : null;
    expect(code).toBeTruthy();
    const claims = await redeem(pending, code!);
    expect(claims.email).toBe(USER.email);
    expect(claims.amr).toContain('fed');
  });

  it('refuses the same Response signed by a key whose certificate it was not given (signature refused)', async () => {
    const pending = await startSignIn();
    const stop = await postToAcs(pending, signWithNodeSaml(responseXml(pending), stranger));
    expect(stop.kind).toBe('page');
    if (stop.kind !== 'page') return;
    expect(stop.status).toBe(400);
    expect(stop.alert).toMatch(/signature/i);
  });

  it('refuses it unsigned, naming the missing signature', async () => {
    const pending = await startSignIn();
    const stop = await postToAcs(pending, responseXml(pending));
    expect(stop.kind === 'page' ? stop.alert : stop.url.href).toMatch(/not signed/);
  });
});
