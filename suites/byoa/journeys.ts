/**
 * What the byoa checks share: the target's flow clients, fresh users at the homegrown identity API the harness
 * serves, journeys through a flow with those users, and the verdicts "the flow failed cleanly" and "these claims".
 */
import { en, Faker } from '@faker-js/faker';
import type { JWTPayload } from 'jose';
import * as OTPAuth from 'otpauth';
import type { CheckContext } from '../../harness/context.ts';
import { expect } from '../../harness/expect.ts';
import { FlowJourney, type JourneyOptions, type RedeemedTokens } from '../../harness/flows/journey.ts';
import type { FlowClient, TargetFile } from '../../harness/target.ts';
import type { HomegrownFault, HomegrownRoute, HomegrownUser } from '../../mocks/idps/homegrown-auth/index.ts';

export type FlowName = keyof NonNullable<TargetFile['byoa']>['flows'];

/** The flow client the target declares under `byoa.flows.<name>`; SKIPs without one (or without the identity API). */
export function flowClient(ctx: CheckContext, name: FlowName): FlowClient {
  ctx.homegrown();
  const declared = ctx.target.byoa?.flows[name];
  if (!declared) ctx.skip(`the target declares no "byoa.flows.${name}" client`);
  return declared;
}

/** The target's elevated scope; SKIPs without one. */
export function elevatedScope(ctx: CheckContext): string {
  const elevated = ctx.target.scopes?.elevated;
  if (!elevated) ctx.skip('the target declares no elevated scope ("scopes.elevated")');
  return elevated;
}

// ── Users of the identity system ─────────────────────────────────────────────────────────────────────────────

const ROLES = ['engineer', 'support', 'analyst', 'auditor', 'operator'] as const;
let usersMade = 0;

/**
 * A user the homegrown identity API knows and the target's AS has never seen: seeded names, and a random tag in the
 * email and IDs so runs against a persistent AS never meet a user of an earlier run.
 */
export function freshUser(ctx: CheckContext): HomegrownUser {
  usersMade += 1;
  const faker = new Faker({ locale: [en] });
  faker.seed(usersMade);
  const first = faker.person.firstName();
  const last = faker.person.lastName();
  const tag = crypto.randomUUID().slice(0, 8);
  const local = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '');
  return ctx.homegrown().addUser({
    id: `hg-${tag}`,
    email: `${local}.${tag}@corp.example`,
    password: faker.internet.password({ length: 20 }),
    name: `${first} ${last}`,
    externalId: `EMP-${tag}`,
    roles: [faker.helpers.arrayElement(ROLES), `team-${tag}`],
  });
}

// ── Journeys ─────────────────────────────────────────────────────────────────────────────────────────────────

/** Starts the flow and, on its credentials screen, signs in as `user` (with `login` typed as the username). */
export async function signInThrough(
  ctx: CheckContext,
  name: FlowName,
  user: HomegrownUser,
  options: JourneyOptions & { login?: string } = {},
): Promise<FlowJourney> {
  const journey = await FlowJourney.start(ctx, flowClient(ctx, name), options);
  await journey.signIn(options.login ?? user.email, user.password);
  return journey;
}

/** Signs in through the flow, approves consent if asked, and redeems the code (a prerequisite: failures block). */
export async function tokensThrough(
  ctx: CheckContext,
  name: FlowName,
  user: HomegrownUser,
  options: JourneyOptions & { login?: string } = {},
): Promise<RedeemedTokens & { journey: FlowJourney }> {
  const journey = await signInThrough(ctx, name, user, options);
  await journey.approveIfAsked();
  return { ...(await journey.redeem()), journey };
}

/** The claims the AS put in its tokens: the access token's, else the ID token's; SKIPs when both are opaque. */
export function issuedClaims(ctx: CheckContext, tokens: RedeemedTokens): JWTPayload {
  const claims = tokens.claims ?? tokens.idTokenClaims;
  if (!claims) ctx.skip('the access token is opaque and no ID token was issued, so its claims cannot be read');
  return claims;
}

/** The `sub` of the tokens issued to `user` through the flow (a prerequisite). */
export async function subjectThrough(
  ctx: CheckContext,
  name: FlowName,
  user: HomegrownUser,
  options: JourneyOptions = {},
): Promise<string> {
  const claims = issuedClaims(ctx, await tokensThrough(ctx, name, user, options));
  expect.that(
    typeof claims.sub === 'string',
    'the issued token carries no sub; it must name the AS user (RFC 9068 §2.2)',
  );
  return claims.sub;
}

/**
 * The flow failed the way a person and the client can tell: no code, and either an error redirect to the client or a
 * page with a visible error (role="alert"). Returns what was seen.
 */
export function expectCleanFailure(journey: FlowJourney, what: string, fix: string): string {
  expect.that(
    journey.code === undefined,
    `${what}, yet the flow ended with an authorization code (${journey.describe()}); expected an error page ` +
      `(role="alert") or an error redirect. ${fix}`,
  );
  if (journey.stop.kind === 'redirect') {
    expect.that(
      journey.error !== undefined,
      `${what}: the flow redirected to the client with neither code nor error (${journey.describe()}); RFC 6749 ` +
        '§4.1.2.1 error redirects carry error. Redirect with error=access_denied or server_error',
    );
    return `error redirect (error=${journey.error})`;
  }
  expect.that(
    journey.stop.alert !== undefined,
    `${what}: the flow stopped on a page with no visible error (${journey.describe()}); expected role="alert" ` +
      'with a message the user can act on. Put the error in an element with role="alert"',
  );
  return `page HTTP ${journey.stop.status} with alert "${journey.stop.alert}"`;
}

/** Runs `body` while the identity API's `route` misbehaves with `fault`; the fault is cleared afterwards. */
export async function withFault<T>(
  ctx: CheckContext,
  route: HomegrownRoute,
  fault: HomegrownFault,
  body: () => Promise<T>,
): Promise<T> {
  const { faults } = ctx.homegrown();
  faults.set(route, fault);
  try {
    return await body();
  } finally {
    faults.set(route, undefined);
  }
}

// ── TOTP (RFC 6238) ──────────────────────────────────────────────────────────────────────────────────────────

const OTPAUTH_URI = /otpauth:\/\/totp\/[^\s"'<>]+/;

/** The authenticator of an MFA enrolment page: the otpauth:// URI it shows (blocks when there is none). */
export function enrolledAuthenticator(journey: FlowJourney): OTPAuth.TOTP {
  const page = journey.page('MFA enrolment page');
  const match = OTPAUTH_URI.exec(page.body);
  expect.that(
    match,
    `the MFA step shows no otpauth://totp/ URI (${journey.describe()}); enrolment pages must show it so an ` +
      'authenticator can be set up (page conventions, README)',
  );
  const parsed = OTPAuth.URI.parse(match[0].replaceAll('&amp;', '&'));
  expect.that(parsed instanceof OTPAuth.TOTP, 'the otpauth:// URI on the MFA page is not a TOTP URI');
  return parsed;
}

/** The code the authenticator shows now, at the target's time. */
export function currentCode(ctx: CheckContext, authenticator: OTPAuth.TOTP): string {
  return authenticator.generate({ timestamp: ctx.clock?.now() ?? Date.now() });
}

/** A code that is not the current one nor its neighbours' (RFC 6238 §5.2 windows). */
export function wrongCode(ctx: CheckContext, authenticator: OTPAuth.TOTP): string {
  const now = ctx.clock?.now() ?? Date.now();
  const valid = new Set([-1, 0, 1].map((step) => authenticator.generate({ timestamp: now + step * 30_000 })));
  let code = (Number(currentCode(ctx, authenticator)) + 500_000) % 1_000_000;
  while (valid.has(String(code).padStart(6, '0'))) code = (code + 1) % 1_000_000;
  return String(code).padStart(6, '0');
}
