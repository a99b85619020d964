import { inflateRawSync } from 'node:zlib';
import samlify from 'samlify';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../harness/clock.ts';
import { createSamlIdp, type SamlIdp, type SamlResponseVariant } from '../../../mocks/idps/saml/index.ts';
import type { FlowRun } from '../engine.ts';
import { startFlow } from '../engine.ts';
import { samlFederationFlow } from '../examples.ts';
import { MemoryUserDirectory } from '../memory-directory.ts';
import { sharedOnce, withDefects } from '../test-support.ts';
import type { FlowDeps, FlowState, SamlConnection } from '../types.ts';
import { samlServiceProviderMetadata } from './saml.ts';

const AS = 'https://as.reference.test';
const SP = { entityId: `${AS}/federation/saml/metadata`, acsUrl: `${AS}/federation/saml/acs` };

let clock: ManualClock;
let idp: SamlIdp;
let connection: SamlConnection;
let users: MemoryUserDirectory;
let deps: FlowDeps;

// The schema validator (libxml2 compiled to JavaScript) is slow to load on first use: it is warmed up here.
beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  idp = await createSamlIdp({
    entityId: 'https://idp.tenant.test/metadata',
    ssoUrl: 'https://idp.tenant.test/sso',
    clock,
    serviceProviders: [SP],
  });
  connection = {
    name: 'tenant',
    idpEntityId: idp.entityId,
    idpSsoUrl: idp.ssoUrl,
    idpCertificatePem: idp.certificatePem,
    spEntityId: SP.entityId,
    acsUrl: SP.acsUrl,
  };
  await samlify.SamlLib.isValidXml(idp.metadata).catch(() => undefined);
}, 180_000);

beforeEach(() => {
  users = new MemoryUserDirectory();
  deps = {
    fetch: () => Promise.reject(new Error('SAML needs no back channel')),
    users,
    now: () => clock.now(),
    federation: { saml: [connection] },
    useOnce: sharedOnce(),
    authnRequests: new Set(),
    skipConsent: true,
  };
});

function redirectOf(state: FlowState) {
  if (state.status !== 'redirect') throw new Error(`expected a redirect, got ${JSON.stringify(state)}`);
  return state;
}

function requestIdOf(run: FlowRun): string {
  const samlRequest = new URL(redirectOf(run.state).location).searchParams.get('SAMLRequest') ?? '';
  const id = /ID="([^"]+)"/.exec(inflateRawSync(Buffer.from(samlRequest, 'base64')).toString('utf8'))?.[1];
  if (!id) throw new Error('no AuthnRequest ID');
  return id;
}

function field(html: string, name: string): string {
  const value = new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
  if (value === undefined) throw new Error(`no ${name} in ${html}`);
  return value.replace(/&#(\d+);/g, (_match, code: string) => String.fromCharCode(Number(code)));
}

/** The browser follows the AuthnRequest redirect; the IdP answers with the auto-posting form. */
async function idpPost(run: FlowRun): Promise<URLSearchParams> {
  const answer = await idp.handler(new Request(redirectOf(run.state).location));
  const html = await answer.text();
  return new URLSearchParams({ SAMLResponse: field(html, 'SAMLResponse'), RelayState: field(html, 'RelayState') });
}

async function mintedFor(run: FlowRun, variant: SamlResponseVariant) {
  return idp.createResponse({ sp: SP, inResponseTo: requestIdOf(run), variant });
}

async function post(run: FlowRun, samlResponse: string) {
  return run.resume({ kind: 'saml-response', form: new URLSearchParams({ SAMLResponse: samlResponse }) });
}

describe('federate-saml against the samlify IdP mock', { timeout: 60_000 }, () => {
  it('sends an AuthnRequest with RelayState = correlation, then maps NameID and attributes', async () => {
    const run = await startFlow(samlFederationFlow, deps);
    const form = await idpPost(run);
    expect(form.get('RelayState')).toBe(redirectOf(run.state).correlation);
    const state = await run.resume({ kind: 'saml-response', form });
    expect(state).toMatchObject({
      status: 'done',
      outcome: {
        user: { email: 'grace@tenant.example', externalId: `saml:${idp.entityId}|grace@tenant.example` },
        amr: ['fed'],
      },
    });
    expect(run.context.federated).toEqual({
      protocol: 'saml',
      issuer: idp.entityId,
      subject: 'grace@tenant.example',
      claims: { email: 'grace@tenant.example', name: 'Grace Hopper' },
      externalId: `saml:${idp.entityId}|grace@tenant.example`,
    });
  });

  it('publishes SP metadata naming the entity ID and the HTTP-POST ACS', () => {
    const metadata = samlServiceProviderMetadata(connection);
    expect(metadata).toContain(`entityID="${SP.entityId}"`);
    expect(metadata).toContain(`Location="${SP.acsUrl}"`);
  });

  const cases: [SamlResponseVariant, string, RegExp][] = [
    ['unsigned', 'saml-signature-unchecked', /not signed/],
    ['untrusted-key', 'saml-signing-cert-unchecked', /signature/],
    ['expired', 'saml-conditions-unchecked', /expired/],
    ['wrong-audience', 'saml-audience-unchecked', /meant for/],
  ];
  for (const [variant, defect, reason] of cases) {
    it(`${variant}: refused by default, accepted with ${defect}`, async () => {
      const run = await startFlow(samlFederationFlow, deps);
      const refused = await post(run, (await mintedFor(run, variant)).samlResponse);
      expect(refused).toMatchObject({ status: 'failed', stepId: 'tenant' });
      expect(refused.status === 'failed' && refused.reason).toMatch(reason);
      expect(users.users).toHaveLength(0);
      const lenient = await startFlow(samlFederationFlow, { ...deps, defects: withDefects(defect) });
      expect(await post(lenient, (await mintedFor(lenient, variant)).samlResponse)).toMatchObject({ status: 'done' });
    });
  }

  it('an unsolicited response is refused; saml-in-response-to-unchecked accepts it', async () => {
    const unsolicited = async (extra: Partial<FlowDeps>) => {
      const run = await startFlow(samlFederationFlow, { ...deps, ...extra });
      return post(run, (await idp.createResponse({ sp: SP })).samlResponse);
    };
    expect(await unsolicited({})).toMatchObject({ status: 'failed', reason: expect.stringMatching(/InResponseTo/) });
    expect(await unsolicited({ defects: withDefects('saml-in-response-to-unchecked') })).toMatchObject({
      status: 'done',
    });
  });

  it('a response posted again in the same browser is a replay; saml-replay-accepted signs in again', async () => {
    const first = await startFlow(samlFederationFlow, deps);
    const minted = await mintedFor(first, 'valid');
    expect(await post(first, minted.samlResponse)).toMatchObject({ status: 'done' });
    const second = await startFlow(samlFederationFlow, deps);
    expect(await post(second, minted.samlResponse)).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/replay/),
    });
    const third = await startFlow(samlFederationFlow, { ...deps, defects: withDefects('saml-replay-accepted') });
    expect(await post(third, minted.samlResponse)).toMatchObject({ status: 'done' });
  });

  it('saml-attributes-not-mapped leaves federated.claims empty, so the user gets no email', async () => {
    const run = await startFlow(samlFederationFlow, { ...deps, defects: withDefects('saml-attributes-not-mapped') });
    const state = await post(run, (await mintedFor(run, 'valid')).samlResponse);
    expect(state).toMatchObject({ status: 'done' });
    expect(state.status === 'done' && state.outcome.user.email).toBeUndefined();
  });

  it('a second login links the same user; saml-user-not-linked creates another', async () => {
    for (const extra of [{}, {}, { defects: withDefects('saml-user-not-linked') }]) {
      const run = await startFlow(samlFederationFlow, { ...deps, ...extra });
      await post(run, (await mintedFor(run, 'valid')).samlResponse);
    }
    expect(users.users).toHaveLength(2);
  });

  it('a post without SAMLResponse or with garbage fails the run, never throws', async () => {
    for (const form of [new URLSearchParams(), new URLSearchParams({ SAMLResponse: 'bm90IHhtbA==' })]) {
      const run = await startFlow(samlFederationFlow, deps);
      expect(await run.resume({ kind: 'saml-response', form })).toMatchObject({ status: 'failed' });
    }
  });
});
