import { inflateRawSync } from 'node:zlib';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import samlify from 'samlify';
import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../harness/clock.ts';
import { createSamlIdp, type MintedSamlResponse, type SamlIdp, type SamlServiceProvider } from './index.ts';

// node-saml judges NotBefore/NotOnOrAfter against the real clock, so the IdP runs on the system clock too.
const IDP_ENTITY_ID = 'https://idp.saml.test/metadata';
const SSO_URL = 'https://idp.saml.test/sso';
const SP: SamlServiceProvider = {
  entityId: 'https://as.reference.test/saml',
  acsUrl: 'https://as.reference.test/saml/acs',
};

/** An independent SP (node-saml) that trusts the mock's certificate and remembers the AuthnRequests it sent. */
function nodeSamlSp(idp: SamlIdp): SAML {
  return new SAML({
    entryPoint: SSO_URL,
    issuer: SP.entityId,
    callbackUrl: SP.acsUrl,
    audience: SP.entityId,
    idpIssuer: IDP_ENTITY_ID,
    idpCert: idp.certificatePem,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    validateInResponseTo: ValidateInResponseTo.always,
    acceptedClockSkewMs: 0,
  });
}

function formField(html: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
}

function decodeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_match, code: string) => String.fromCharCode(Number(code)));
}

/** SP-initiated SSO: node-saml redirects the browser to the mock, which answers the auto-posting form. */
async function ssoThroughRedirect(idp: SamlIdp, sp: SAML, relayState: string): Promise<Record<string, string>> {
  const authorizeUrl = await sp.getAuthorizeUrlAsync(relayState, undefined, {});
  const reply = await idp.handler(new Request(authorizeUrl));
  expect(reply.status).toBe(200);
  const html = await reply.text();
  expect(html).toContain(`action="${SP.acsUrl}"`);
  const samlResponse = formField(html, 'SAMLResponse');
  const relay = formField(html, 'RelayState');
  if (!samlResponse || relay === undefined) throw new Error(`no SAMLResponse/RelayState in the form: ${html}`);
  return { SAMLResponse: samlResponse, RelayState: decodeHtml(relay) };
}

/** A solicited response: node-saml issues an AuthnRequest so the minted response's InResponseTo is one it expects. */
async function mintSolicited(idp: SamlIdp, sp: SAML, variant: Parameters<SamlIdp['createResponse']>[0]['variant']) {
  const authorizeUrl = new URL(await sp.getAuthorizeUrlAsync('', undefined, {}));
  const samlRequest = authorizeUrl.searchParams.get('SAMLRequest') ?? '';
  const { inflateRawSync } = await import('node:zlib');
  const xml = inflateRawSync(Buffer.from(samlRequest, 'base64')).toString('utf8');
  const requestId = /ID="([^"]+)"/.exec(xml)?.[1];
  if (!requestId) throw new Error('node-saml sent an AuthnRequest without ID');
  return idp.createResponse({ sp: SP, inResponseTo: requestId, variant });
}

function post(minted: MintedSamlResponse): Record<string, string> {
  return { SAMLResponse: minted.samlResponse };
}

// The schema validator (libxml2 compiled to JavaScript) takes a few seconds to load on first use.
describe('mock SAML IdP (samlify) against node-saml as SP', { timeout: 30_000 }, () => {
  let idp: SamlIdp;

  beforeAll(async () => {
    idp = await createSamlIdp({
      entityId: IDP_ENTITY_ID,
      ssoUrl: SSO_URL,
      clock: systemClock,
      serviceProviders: [SP],
    });
  }, 30_000);

  it('records every request it answered, with its status', async () => {
    const before = idp.requests().length;
    await idp.handler(new Request(`${new URL(SSO_URL).origin}/nowhere`));
    expect(idp.requests().slice(before)).toMatchObject([{ method: 'GET', path: '/nowhere', status: 404 }]);
  });

  it('publishes metadata that samlify parses back to the entity ID, certificate and both SSO bindings', async () => {
    const reply = await idp.handler(new Request(idp.metadataUrl));
    expect(reply.headers.get('content-type')).toBe('application/samlmetadata+xml');
    const parsed = samlify.IdentityProvider({ metadata: await reply.text() });
    expect(parsed.entityMeta.getEntityID()).toBe(IDP_ENTITY_ID);
    const certificateBody = idp.certificatePem.replace(/-----[^-]+-----|\s/g, '');
    expect(parsed.entityMeta.getX509Certificate('signing')).toBe(certificateBody);
    expect(parsed.entityMeta.getSingleSignOnService('redirect')).toBe(SSO_URL);
    expect(parsed.entityMeta.getSingleSignOnService('post')).toBe(SSO_URL);
  });

  it('answers a Redirect-binding AuthnRequest with a signed response node-saml accepts, RelayState kept', async () => {
    const sp = nodeSamlSp(idp);
    const posted = await ssoThroughRedirect(idp, sp, 'state-<&>"');
    expect(posted.RelayState).toBe('state-<&>"');
    const { profile } = await sp.validatePostResponseAsync(posted);
    expect(profile?.nameID).toBe('grace@tenant.example');
    expect(profile?.issuer).toBe(IDP_ENTITY_ID);
    expect(profile?.email).toBe('grace@tenant.example');
  });

  it('signs in the user chosen with setNextUser, once', async () => {
    const sp = nodeSamlSp(idp);
    idp.setNextUser('heidi@tenant.example');
    const first = await sp.validatePostResponseAsync(await ssoThroughRedirect(idp, sp, 'a'));
    const second = await sp.validatePostResponseAsync(await ssoThroughRedirect(idp, sp, 'b'));
    expect(first.profile?.nameID).toBe('heidi@tenant.example');
    expect(second.profile?.nameID).toBe('grace@tenant.example');
  });

  it('accepts a POST-binding AuthnRequest', async () => {
    const authnRequest = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_post-request-1" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${SSO_URL}" AssertionConsumerServiceURL="${SP.acsUrl}"><saml:Issuer>${SP.entityId}</saml:Issuer></samlp:AuthnRequest>`;
    const body = new URLSearchParams({ SAMLRequest: Buffer.from(authnRequest).toString('base64'), RelayState: 'p' });
    const reply = await idp.handler(new Request(SSO_URL, { method: 'POST', body }));
    expect(reply.status).toBe(200);
    const xml = Buffer.from(formField(await reply.text(), 'SAMLResponse') ?? '', 'base64').toString('utf8');
    expect(xml).toContain('InResponseTo="_post-request-1"');
  });

  it('refuses an AuthnRequest from an unregistered SP or garbage, with a 400 JSON error', async () => {
    const stranger = new SAML({
      entryPoint: SSO_URL,
      issuer: 'https://stranger.test',
      callbackUrl: 'https://stranger.test/acs',
      idpCert: idp.certificatePem,
    });
    const unknown = await idp.handler(new Request(await stranger.getAuthorizeUrlAsync('', undefined, {})));
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: 'invalid_request' });
    const garbage = await idp.handler(new Request(`${SSO_URL}?SAMLRequest=%%%`));
    expect(garbage.status).toBe(400);
    const empty = await idp.handler(new Request(SSO_URL, { method: 'POST', body: 'x=1' }));
    expect(empty.status).toBe(400);
    expect(empty.headers.get('cache-control')).toBe('no-store');
  });

  it('createResponse: a valid solicited response is accepted', async () => {
    const sp = nodeSamlSp(idp);
    const minted = await mintSolicited(idp, sp, 'valid');
    const { profile } = await sp.validatePostResponseAsync(post(minted));
    expect(profile?.inResponseTo).toBe(minted.inResponseTo);
  });

  it('unsigned: refused because neither Response nor Assertion is signed', async () => {
    const sp = nodeSamlSp(idp);
    const minted = await mintSolicited(idp, sp, 'unsigned');
    expect(minted.xml).not.toContain('Signature');
    await expect(sp.validatePostResponseAsync(post(minted))).rejects.toThrow('Invalid document signature');
  });

  it('expired: refused because NotOnOrAfter is in the past', async () => {
    const sp = nodeSamlSp(idp);
    const minted = await mintSolicited(idp, sp, 'expired');
    const notOnOrAfter = /SubjectConfirmationData NotOnOrAfter="([^"]+)"/.exec(minted.xml)?.[1] ?? '';
    expect(Date.parse(notOnOrAfter)).toBeLessThan(Date.now());
    // node-saml checks the bearer SubjectConfirmationData window (SAML Profiles §4.1.4.2) before Conditions.
    await expect(sp.validatePostResponseAsync(post(minted))).rejects.toThrow('No valid subject confirmation found');
  });

  it('wrong-audience: refused because the AudienceRestriction names another SP', async () => {
    const sp = nodeSamlSp(idp);
    const minted = await mintSolicited(idp, sp, 'wrong-audience');
    await expect(sp.validatePostResponseAsync(post(minted))).rejects.toThrow(/audience mismatch/);
  });

  it('untrusted-key: refused because the signature does not verify with the metadata certificate', async () => {
    const sp = nodeSamlSp(idp);
    const minted = await mintSolicited(idp, sp, 'untrusted-key');
    expect(minted.xml).toContain('SignatureValue');
    await expect(sp.validatePostResponseAsync(post(minted))).rejects.toThrow('Invalid document signature');
  });

  it('replayed: the same response posted twice, and a re-signed copy with the same IDs, are refused the second time', async () => {
    const sp = nodeSamlSp(idp);
    const minted = await mintSolicited(idp, sp, 'valid');
    await sp.validatePostResponseAsync(post(minted));
    await expect(sp.validatePostResponseAsync(post(minted))).rejects.toThrow(/InResponseTo is not valid/);
    const replay = await idp.createResponse({ sp: SP, replayOf: minted });
    expect(replay.responseId).toBe(minted.responseId);
    expect(replay.samlResponse).not.toBe(minted.samlResponse);
    await expect(sp.validatePostResponseAsync(post(replay))).rejects.toThrow(/InResponseTo is not valid/);
  });
});

describe('mock SAML IdP faults: the SSO endpoint misbehaves until fault("none")', { timeout: 30_000 }, () => {
  let idp: SamlIdp;

  beforeAll(async () => {
    idp = await createSamlIdp({ entityId: IDP_ENTITY_ID, ssoUrl: SSO_URL, clock: systemClock, serviceProviders: [SP] });
  }, 30_000);

  function answered(posted: Record<string, string>): string {
    return Buffer.from(posted.SAMLResponse ?? '', 'base64').toString('utf8');
  }

  it.each([
    ['unsigned', 'Invalid document signature'],
    ['untrusted-key', 'Invalid document signature'],
    ['expired', 'No valid subject confirmation found'],
    ['wrong-audience', /audience mismatch/],
  ] as const)('%s: every SSO answer is minted so, and node-saml refuses it', async (fault, refusal) => {
    const sp = nodeSamlSp(idp);
    idp.fault(fault);
    try {
      const first = await ssoThroughRedirect(idp, sp, 'a');
      const second = await ssoThroughRedirect(idp, sp, 'b');
      await expect(sp.validatePostResponseAsync(first)).rejects.toThrow(refusal);
      await expect(sp.validatePostResponseAsync(second)).rejects.toThrow(refusal);
    } finally {
      idp.fault('none');
    }
    const { profile } = await sp.validatePostResponseAsync(await ssoThroughRedirect(idp, sp, 'c'));
    expect(profile?.nameID).toBe('grace@tenant.example');
  });

  it('unsolicited: the answer carries no InResponseTo, which node-saml refuses', async () => {
    const sp = nodeSamlSp(idp);
    idp.fault('unsolicited');
    const posted = await ssoThroughRedirect(idp, sp, 'u').finally(() => idp.fault('none'));
    expect(answered(posted)).not.toContain('InResponseTo');
    await expect(sp.validatePostResponseAsync(posted)).rejects.toThrow(/InResponseTo/);
  });

  it('foreign-in-response-to: the answer names an AuthnRequest never sent, which node-saml refuses', async () => {
    const sp = nodeSamlSp(idp);
    const authorizeUrl = new URL(await sp.getAuthorizeUrlAsync('f', undefined, {}));
    const sent = inflateRawSync(Buffer.from(authorizeUrl.searchParams.get('SAMLRequest') ?? '', 'base64')).toString();
    const requestId = /ID="([^"]+)"/.exec(sent)?.[1];
    idp.fault('foreign-in-response-to');
    const reply = await idp.handler(new Request(authorizeUrl)).finally(() => idp.fault('none'));
    const samlResponse = formField(await reply.text(), 'SAMLResponse') ?? '';
    const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
    const inResponseTo = /InResponseTo="([^"]+)"/.exec(xml)?.[1];
    expect(inResponseTo).toBeDefined();
    expect(inResponseTo).not.toBe(requestId);
    await expect(sp.validatePostResponseAsync({ SAMLResponse: samlResponse })).rejects.toThrow(/InResponseTo/);
  });

  it('lastResponse: the response the SSO endpoint answered last, whose IDs a replay reuses', async () => {
    const sp = nodeSamlSp(idp);
    const posted = await ssoThroughRedirect(idp, sp, 'l');
    const last = idp.lastResponse();
    expect(last?.samlResponse).toBe(posted.SAMLResponse);
    expect(answered(posted)).toContain(`ID="${last?.responseId}"`);
    const replay = await idp.createResponse({ sp: SP, replayOf: last! });
    expect(replay.assertionId).toBe(last?.assertionId);
  });
});
