import { CheckSkipped, type Need } from './check.ts';
import type { ManualClock } from './clock.ts';
import { Discovery } from './discovery.ts';
import { type Expect, expect } from './expect.ts';
import { McpClient } from './mcp.ts';
import type { Fetch } from './network/types.ts';
import { OAuthClientSide } from './oauth.ts';
import type { SpecVersion } from './results.ts';
import type { Session } from './session.ts';
import type { TargetFile } from './target.ts';

/** What a check gets: the target, helpers that speak the protocols (recording evidence), and assertions. */
export interface CheckContext {
  spec: SpecVersion;
  target: TargetFile;
  fetch: Fetch;
  discovery: Discovery;
  oauth: OAuthClientSide;
  mcp: McpClient;
  expect: Expect;
  /** Present only when the harness controls the target's clock. */
  clock: ManualClock | undefined;
  /** Ends the check as not applicable to this target. */
  skip(reason: string): never;
}

export function createContext(session: Session): CheckContext {
  const discovery = new Discovery(session);
  return {
    spec: session.spec,
    target: session.target,
    fetch: session.sut.network.fetch,
    discovery,
    oauth: new OAuthClientSide(session, discovery),
    mcp: new McpClient(session),
    expect,
    clock: session.sut.clock,
    skip(reason: string): never {
      throw new CheckSkipped(reason);
    },
  };
}

/** Throws CheckSkipped for an unmet need (or BlockedError when finding out failed). */
export async function assertNeeds(ctx: CheckContext, needs: readonly Need[]): Promise<void> {
  for (const need of needs) await assertNeed(ctx, need);
}

async function assertNeed(ctx: CheckContext, need: Need): Promise<void> {
  switch (need) {
    case 'resource':
      ctx.discovery.resource();
      return;
    case 'authorization-server':
      await ctx.discovery.authorizationServerMetadata();
      return;
    case 'dcr':
      await ctx.discovery.endpoint('registration_endpoint');
      return;
    case 'authorization-code': {
      const { metadata } = await ctx.discovery.authorizationServerMetadata();
      await ctx.discovery.endpoint('authorization_endpoint');
      await ctx.discovery.endpoint('token_endpoint');
      const grants = metadata.grant_types_supported;
      if (Array.isArray(grants) && !grants.includes('authorization_code')) {
        ctx.skip('the AS does not list authorization_code in grant_types_supported');
      }
      await ctx.oauth.publicClient();
      return;
    }
    case 'confidential-client':
      await ctx.oauth.confidentialClient();
      return;
    case 'second-client':
      await ctx.oauth.secondClient();
      return;
    case 'controllable-clock':
      if (!ctx.clock) {
        ctx.skip(
          "needs the harness to control the target's clock (embedded reference system); a real target would need minutes of waiting",
        );
      }
      return;
    case 'elevated-scope':
      if (!ctx.target.scopes?.elevated || !ctx.target.tools?.elevated) {
        ctx.skip('the target declares no elevated scope ("scopes.elevated") and tool needing it ("tools.elevated")');
      }
      return;
    case 'alternate-resource':
      if (!ctx.target.alternateResource) ctx.skip('the target declares no "alternateResource" at the same AS');
      return;
  }
}
