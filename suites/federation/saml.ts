/**
 * Tenant SAML SSO (seed 004): the target AS is a SAML 2.0 service provider of the IdP the harness serves
 * (mocks/idps/saml). SP-initiated web browser SSO (SAML Profiles §4.1): the AS sends an AuthnRequest, the IdP posts
 * a signed Response to the AS's ACS, and the AS must validate it as §4.1.4.2–§4.1.4.5 demand.
 */
import samlify from 'samlify';
import { BlockedError, type Check, check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { FlowJourney } from '../../harness/flows/journey.ts';
import type { PageForm, Stop } from '../../harness/flows/user-agent.ts';
import { describeReply, readReply } from '../../harness/http.ts';
import type { FlowClient } from '../../harness/target.ts';
import type { SamlFault, SamlIdp, SamlServiceProvider, SamlUser } from '../../mocks/idps/saml/index.ts';
import type { NegativeCase } from '../suite.ts';
import { describeStop, expectRefused, requireReached, signedInClaims, subjectOf } from './outcome.ts';

const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

interface SamlFederation {
  idp: SamlIdp;
  flow: FlowClient;
  sp: SamlServiceProvider;
  metadataUrl: string | undefined;
}

function samlFederation(ctx: CheckContext): SamlFederation {
  const declared = ctx.target.federation?.saml;
  if (!declared) return ctx.skip('the target declares no "federation.saml"');
  return {
    idp: ctx.samlIdp(),
    flow: declared.flow,
    sp: { entityId: declared.sp.entityId, acsUrl: declared.sp.acsUrl },
    metadataUrl: declared.sp.metadataUrl,
  };
}

function samlUser(federation: SamlFederation, index: number): SamlUser {
  const user = federation.idp.users[index];
  if (!user) throw new BlockedError('SAML users', `the SAML IdP has no user #${index + 1}`);
  return user;
}

/** One authorization through the SAML flow client; the IdP's auto-posting form is submitted unless told not to. */
async function signInAtIdp(
  ctx: CheckContext,
  federation: SamlFederation,
  options: { user?: SamlUser; followAutoPost?: boolean } = {},
): Promise<FlowJourney> {
  if (options.user) federation.idp.setNextUser(options.user.email);
  return FlowJourney.start(
    ctx,
    federation.flow,
    options.followAutoPost === undefined ? {} : { followAutoPost: options.followAutoPost },
  );
}

/** Runs `run` with the IdP's SSO endpoint misbehaving, and restores it whatever happens. */
async function withFault<T>(idp: SamlIdp, fault: SamlFault, run: () => Promise<T>): Promise<T> {
  idp.fault(fault);
  try {
    return await run();
  } finally {
    idp.fault('none');
  }
}

/** A refused sign-in: the IdP's response was posted to the ACS and the flow ended in an error. */
async function expectResponseRefused(ctx: CheckContext, fault: SamlFault, why: string): Promise<string> {
  const federation = samlFederation(ctx);
  const journey = await withFault(federation.idp, fault, () => signInAtIdp(ctx, federation));
  requireReached(journey.stop, federation.sp.acsUrl, 'SAML response at the ACS', 'POST');
  return expectRefused(journey.stop, why);
}

/** The IdP's auto-posting form (SAMLResponse, RelayState), captured instead of submitted. */
async function capturedResponseForm(ctx: CheckContext, federation: SamlFederation, journey?: FlowJourney) {
  const flow = journey ?? (await signInAtIdp(ctx, federation, { followAutoPost: false }));
  const form = responseForm(flow.stop);
  if (!form) {
    throw new BlockedError(
      'SAML response form',
      `the IdP's form never came; the flow ended with ${describeStop(flow.stop)}`,
    );
  }
  return { journey: flow, form, fields: new URLSearchParams(form.values) };
}

function responseForm(stop: Stop): PageForm | undefined {
  if (stop.kind !== 'page') return undefined;
  return stop.forms.find((form) => form.values.SAMLResponse !== undefined);
}

/** Posts the captured response to the ACS as the browser would; the flow must then complete with a code. */
async function completeWith(journey: FlowJourney, form: PageForm): Promise<void> {
  journey.stop = await journey.agent.send(form.action, 'POST', new URLSearchParams(form.values));
  await journey.approveIfAsked();
  if (!journey.code) {
    throw new BlockedError('SAML sign-in', `posting the IdP's response ended with ${describeStop(journey.stop)}`);
  }
}

/**
 * Posts a consumed response into a new sign-in of the same browser (with that sign-in's RelayState), as an attacker
 * who captured it would: only the replay cache stands between it and a second login.
 */
async function replayIntoFreshSignIn(
  ctx: CheckContext,
  federation: SamlFederation,
  journey: FlowJourney,
  samlResponse: string,
): Promise<Stop> {
  const fresh = await FlowJourney.start(ctx, federation.flow, { agent: journey.agent });
  const { form } = await capturedResponseForm(ctx, federation, fresh);
  const fields = new URLSearchParams(form.values);
  fields.set('SAMLResponse', samlResponse);
  return journey.agent.send(form.action, 'POST', fields);
}

// ── Checks: a SAML sign-in ────────────────────────────────────────────────────────────────────────────────────

export const samlMapsAssertionEmail = check({
  id: 'federation.saml-maps-assertion-email',
  title: "A sign-in through the tenant's SAML IdP issues tokens carrying the assertion's email",
  requirements: ['FED-SAML-ATTRIBUTES'],
  level: 'MUST',
  async run(ctx) {
    const federation = samlFederation(ctx);
    const user = samlUser(federation, 0);
    const journey = await signInAtIdp(ctx, federation, { user });
    const claims = await signedInClaims(ctx, journey);
    expect.that(
      claims.email === user.email,
      `the token's email is ${JSON.stringify(claims.email)}; the assertion said ${user.email} (NameID and email ` +
        'attribute). Map the assertion into the user and the tokens, or the token describes someone else',
    );
    return `signed in at the IdP as ${user.email}; the token carries that email (sub ${String(claims.sub)})`;
  },
});

// ── Checks: what the ACS must refuse ──────────────────────────────────────────────────────────────────────────

export const samlUnsignedRefused = check({
  id: 'federation.saml-unsigned-refused',
  title: 'The ACS refuses an unsigned SAML response',
  requirements: ['FED-SAML-SIGNED'],
  level: 'MUST',
  run: (ctx) =>
    expectResponseRefused(
      ctx,
      'unsigned',
      'neither the Response nor the Assertion was signed: anyone could have written it; require a valid signature',
    ),
});

export const samlUntrustedKeyRefused = check({
  id: 'federation.saml-untrusted-key-refused',
  title: "The ACS refuses a SAML response signed by a key other than the IdP's certificate",
  requirements: ['FED-SAML-TRUSTED-KEY'],
  level: 'MUST',
  run: (ctx) =>
    expectResponseRefused(
      ctx,
      'untrusted-key',
      "verify with the IdP's configured certificate only, never with a KeyInfo certificate the message brings along",
    ),
});

export const samlExpiredRefused = check({
  id: 'federation.saml-expired-refused',
  title: 'The ACS refuses an assertion whose validity window has passed',
  requirements: ['FED-SAML-CONDITIONS'],
  level: 'MUST',
  run: (ctx) =>
    expectResponseRefused(
      ctx,
      'expired',
      'Conditions and SubjectConfirmationData NotOnOrAfter were 5 minutes in the past; check both against the clock',
    ),
});

export const samlWrongAudienceRefused = check({
  id: 'federation.saml-wrong-audience-refused',
  title: 'The ACS refuses an assertion for another service provider',
  requirements: ['FED-SAML-AUDIENCE'],
  level: 'MUST',
  run: (ctx) =>
    expectResponseRefused(
      ctx,
      'wrong-audience',
      "the AudienceRestriction named another SP; accept only assertions whose Audience is this SP's entity ID",
    ),
});

export const samlUnsolicitedRefused = check({
  id: 'federation.saml-unsolicited-refused',
  title: 'The ACS refuses an unsolicited response (no InResponseTo)',
  requirements: ['FED-SAML-IN-RESPONSE-TO'],
  level: 'MUST',
  run: (ctx) =>
    expectResponseRefused(
      ctx,
      'unsolicited',
      'the response answered no AuthnRequest; accept only answers to a request this browser sent (or disable ' +
        'IdP-initiated SSO), or an attacker logs the victim into their account',
    ),
});

export const samlForeignInResponseToRefused = check({
  id: 'federation.saml-foreign-in-response-to-refused',
  title: 'The ACS refuses a response whose InResponseTo names an AuthnRequest it never sent',
  requirements: ['FED-SAML-IN-RESPONSE-TO'],
  level: 'MUST',
  run: (ctx) =>
    expectResponseRefused(
      ctx,
      'foreign-in-response-to',
      "InResponseTo named another request; compare it with the ID of the AuthnRequest this browser's flow sent",
    ),
});

export const samlReplayRefused = check({
  id: 'federation.saml-replay-refused',
  title: 'A consumed SAML response posted again, into a new sign-in of the same browser, is refused',
  requirements: ['FED-SAML-REPLAY'],
  level: 'MUST',
  async run(ctx) {
    const federation = samlFederation(ctx);
    const { journey, form } = await capturedResponseForm(ctx, federation);
    await completeWith(journey, form);
    const consumed = form.values.SAMLResponse ?? '';
    const replay = await replayIntoFreshSignIn(ctx, federation, journey, consumed);
    return expectRefused(
      replay,
      'remember the assertion IDs already consumed (until their NotOnOrAfter) and refuse them again, whichever ' +
        'sign-in the response is posted into',
    );
  },
});

export const samlResignedReplayRefused = check({
  id: 'federation.saml-resigned-replay-refused',
  title: 'A freshly signed copy of a consumed assertion (same IDs) is refused',
  requirements: ['FED-SAML-REPLAY'],
  level: 'MUST',
  async run(ctx) {
    const federation = samlFederation(ctx);
    const { journey, form } = await capturedResponseForm(ctx, federation);
    await completeWith(journey, form);
    const consumed = federation.idp.lastResponse();
    if (!consumed) throw new BlockedError('SAML response', 'the IdP answered no SSO request');
    const copy = await federation.idp.createResponse({ sp: federation.sp, replayOf: consumed });
    const replay = await replayIntoFreshSignIn(ctx, federation, journey, copy.samlResponse);
    return expectRefused(
      replay,
      'the copy differs byte for byte but reuses the Response and Assertion IDs; key the replay cache on the ' +
        'assertion ID, not on the posted bytes',
    );
  },
});

export const samlAcsRefusesGet = check({
  id: 'federation.saml-acs-refuses-get',
  title: 'The ACS refuses a SAMLResponse sent by GET',
  requirements: ['FED-SAML-ACS-POST'],
  level: 'SHOULD',
  async run(ctx) {
    const federation = samlFederation(ctx);
    const { journey, fields } = await capturedResponseForm(ctx, federation);
    const stop = await journey.agent.send(new URL(federation.sp.acsUrl), 'GET', fields);
    const why =
      'a SAMLResponse in a query string lands in logs, history and Referer headers; accept the HTTP-POST binding only';
    if (stop.kind === 'page' && stop.status >= 400 && !stop.alert) {
      return `refused: HTTP ${stop.status} at the ACS`;
    }
    return expectRefused(stop, why);
  },
});

// ── Checks: the SP's metadata ─────────────────────────────────────────────────────────────────────────────────

export const samlSpMetadata = check({
  id: 'federation.saml-sp-metadata',
  title: 'The AS publishes SAML SP metadata naming its entity ID and its HTTP-POST ACS',
  requirements: ['FED-SAML-SP-METADATA'],
  level: 'SHOULD',
  async run(ctx) {
    const federation = samlFederation(ctx);
    if (!federation.metadataUrl) return ctx.skip('the target declares no "federation.saml.sp.metadataUrl"');
    const reply = await readReply(
      await ctx.fetch(federation.metadataUrl, { headers: { accept: 'application/samlmetadata+xml' } }),
      federation.metadataUrl,
    );
    expect.that(
      reply.status === 200 && reply.text.includes('EntityDescriptor'),
      `GET ${federation.metadataUrl} answered ${describeReply(reply)}; publish the SP's EntityDescriptor there so ` +
        'tenants configure their IdP from it instead of by hand',
    );
    const published = readSpMetadata(reply.text);
    expect.that(
      published.entityId === federation.sp.entityId,
      `the metadata names entityID ${JSON.stringify(published.entityId)}; expected ${federation.sp.entityId}`,
    );
    expect.that(
      published.postAcs.includes(federation.sp.acsUrl),
      `the metadata's HTTP-POST AssertionConsumerService is ${JSON.stringify(published.postAcs)}; expected ` +
        `${federation.sp.acsUrl} with Binding ${BINDING_POST}`,
    );
    return `entityID ${published.entityId}, HTTP-POST ACS ${federation.sp.acsUrl}`;
  },
});

function readSpMetadata(xml: string): { entityId: string | undefined; postAcs: string[] } {
  try {
    const meta = samlify.ServiceProvider({ metadata: xml }).entityMeta;
    const acs = meta.getAssertionConsumerService('post');
    return { entityId: meta.getEntityID(), postAcs: (Array.isArray(acs) ? acs : [acs]).filter(Boolean) };
  } catch (error) {
    return expect.fail(`the SP metadata is not a parsable SAML EntityDescriptor: ${String(error)}`);
  }
}

// ── Checks: linking NameIDs to local users ───────────────────────────────────────────────────────────────────

async function localSubject(ctx: CheckContext, federation: SamlFederation, user: SamlUser, step: string) {
  const journey = await signInAtIdp(ctx, federation, { user });
  return subjectOf(await signedInClaims(ctx, journey), step);
}

export const samlLinksNameId = check({
  id: 'federation.saml-links-name-id',
  title: 'The same NameID signs in as the same local user every time',
  requirements: ['FED-SAML-LINK'],
  level: 'MUST',
  async run(ctx) {
    const federation = samlFederation(ctx);
    const user = samlUser(federation, 0);
    const first = await localSubject(ctx, federation, user, 'first SAML sign-in');
    const second = await localSubject(ctx, federation, user, 'second SAML sign-in');
    expect.that(
      first === second,
      `NameID ${user.email} got sub ${first}, then ${second}; link the (IdP, NameID) to one local user, or every ` +
        'login creates a new account',
    );
    return `NameID ${user.email} signed in twice as ${first}`;
  },
});

export const samlDistinctNameIds = check({
  id: 'federation.saml-distinct-name-ids',
  title: 'Two NameIDs sign in as two different local users',
  requirements: ['FED-SAML-LINK'],
  level: 'MUST',
  async run(ctx) {
    const federation = samlFederation(ctx);
    const [one, other] = [samlUser(federation, 0), samlUser(federation, 1)];
    const first = await localSubject(ctx, federation, one, 'SAML sign-in of the first user');
    const second = await localSubject(ctx, federation, other, 'SAML sign-in of the second user');
    expect.that(
      first !== second,
      `NameIDs ${one.email} and ${other.email} both got sub ${first}; resolve the local user from the (IdP, NameID), ` +
        'or one person signs in as another',
    );
    return `${one.email} → ${first}, ${other.email} → ${second}`;
  },
});

export const SAML_CHECKS: Check[] = [
  samlMapsAssertionEmail,
  samlUnsignedRefused,
  samlUntrustedKeyRefused,
  samlExpiredRefused,
  samlWrongAudienceRefused,
  samlUnsolicitedRefused,
  samlForeignInResponseToRefused,
  samlReplayRefused,
  samlResignedReplayRefused,
  samlAcsRefusesGet,
  samlSpMetadata,
  samlLinksNameId,
  samlDistinctNameIds,
];

export const SAML_NEGATIVES: Record<string, NegativeCase> = {
  [samlMapsAssertionEmail.id]: { defect: 'saml-attributes-not-mapped' },
  [samlUnsignedRefused.id]: { defect: 'saml-signature-unchecked' },
  [samlUntrustedKeyRefused.id]: { defect: 'saml-signing-cert-unchecked' },
  [samlExpiredRefused.id]: { defect: 'saml-conditions-unchecked' },
  [samlWrongAudienceRefused.id]: { defect: 'saml-audience-unchecked' },
  [samlUnsolicitedRefused.id]: { defect: 'saml-in-response-to-unchecked' },
  [samlForeignInResponseToRefused.id]: { defect: 'saml-in-response-to-unchecked' },
  [samlReplayRefused.id]: { defect: 'saml-replay-accepted' },
  [samlResignedReplayRefused.id]: { defect: 'saml-replay-accepted' },
  [samlAcsRefusesGet.id]: { defect: 'saml-acs-accepts-get' },
  [samlSpMetadata.id]: { defect: 'saml-sp-metadata-missing' },
  [samlLinksNameId.id]: { defect: 'saml-user-not-linked' },
  [samlDistinctNameIds.id]: { defect: 'generate-jwt-single-user' },
};
