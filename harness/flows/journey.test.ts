import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HOMEGROWN_USERS } from '../../mocks/idps/homegrown-auth/index.ts';
import { BlockedError } from '../check.ts';
import { type CheckContext, createContext } from '../context.ts';
import { embeddedSystemUnderTest } from '../embedded.ts';
import { DEFAULT_SPEC } from '../results.ts';
import { Session, type SystemUnderTest } from '../session.ts';
import type { FlowClient } from '../target.ts';
import { FlowJourney } from './journey.ts';

const CAROL = DEFAULT_HOMEGROWN_USERS[0]!;
const DAVE = DEFAULT_HOMEGROWN_USERS[1]!;

let sut: SystemUnderTest;
let ctx: CheckContext;

beforeAll(async () => {
  sut = await embeddedSystemUnderTest();
  ctx = createContext(new Session(sut, DEFAULT_SPEC, 1));
});

afterAll(() => sut.close());

function flow(name: 'signUpOrIn' | 'sessionToken' | 'consent'): FlowClient {
  const client = ctx.target.byoa?.flows[name];
  if (!client) throw new Error(`the embedded target declares no byoa.flows.${name}`);
  return client;
}

describe('FlowJourney against the embedded reference flows', () => {
  it('sends a PKCE authorization request with state and resource, and lands on the credentials screen', async () => {
    const journey = await FlowJourney.start(ctx, flow('signUpOrIn'));
    const request = journey.authorizationRequest.searchParams;
    expect(request.get('client_id')).toBe(flow('signUpOrIn').clientId);
    expect(request.get('code_challenge_method')).toBe('S256');
    expect(request.get('state')).toBe(journey.state);
    expect(request.get('resource')).toBe(ctx.target.resource);
    expect(journey.onCredentialsScreen).toBe(true);
    expect(journey.onConsentScreen).toBe(false);
  });

  it('signs in, ends with a code and the state, and redeems it for tokens describing the user', async () => {
    const journey = await FlowJourney.start(ctx, flow('signUpOrIn'));
    await journey.signIn(CAROL.email, CAROL.password);
    expect(journey.code).toBeDefined();
    expect(journey.stop.kind === 'redirect' && journey.stop.params.get('state')).toBe(journey.state);
    expect(journey.describe()).toContain('code=%5Bcode%5D');
    expect(journey.describe()).not.toContain(journey.code);
    const tokens = await journey.redeem();
    expect(tokens.claims).toMatchObject({ email: CAROL.email, roles: CAROL.roles });
  });

  it('stays on a page with an alert after wrong credentials, and redeem() then blocks', async () => {
    const journey = await FlowJourney.start(ctx, flow('signUpOrIn'));
    await journey.signIn(CAROL.email, 'not-the-password');
    expect(journey.code).toBeUndefined();
    expect(journey.stop.kind === 'page' && journey.stop.alert).toBeTruthy();
    await expect(journey.redeem()).rejects.toBeInstanceOf(BlockedError);
  });

  it('approves or denies on the consent screen', async () => {
    const denied = await FlowJourney.start(ctx, flow('consent'));
    await denied.signIn(DAVE.email, DAVE.password);
    expect(denied.onConsentScreen).toBe(true);
    await denied.decide(false);
    expect(denied.error).toBe('access_denied');
    const approved = await FlowJourney.start(ctx, flow('consent'));
    await approved.signIn(DAVE.email, DAVE.password);
    await approved.approveIfAsked();
    expect(approved.code).toBeDefined();
  });

  it('carries cookies the browser already holds for the AS (an identity-system session)', async () => {
    const signedUp = await FlowJourney.start(ctx, flow('signUpOrIn'));
    await signedUp.signIn(DAVE.email, DAVE.password);
    const session = sut.homegrown!.issueSession(DAVE.id);
    const journey = await FlowJourney.start(ctx, flow('sessionToken'), { cookies: { corp_session: session } });
    expect(journey.code).toBeDefined();
    expect((await journey.redeem()).claims?.email).toBe(DAVE.email);
  });

  it('blocks screen actions once the flow has ended', async () => {
    const journey = await FlowJourney.start(ctx, flow('signUpOrIn'));
    await journey.signIn(CAROL.email, CAROL.password);
    await expect(journey.signIn(CAROL.email, CAROL.password)).rejects.toBeInstanceOf(BlockedError);
    expect(() => journey.page('MFA screen')).toThrow(BlockedError);
  });
});
