import type { EnterpriseIdp } from '../mocks/idps/enterprise/index.ts';
import type { HomegrownAuth } from '../mocks/idps/homegrown-auth/index.ts';
import type { UpstreamOidc } from '../mocks/idps/oidc/index.ts';
import type { SamlIdp } from '../mocks/idps/saml/index.ts';
import type { WorkloadIssuer } from '../mocks/idps/workload/index.ts';
import { BlockedError, CheckFailure, CheckSkipped, type Need } from './check.ts';
import type { CimdHost } from './cimd/host.ts';
import type { ManualClock } from './clock.ts';
import { Discovery } from './discovery.ts';
import type { DownstreamObserver } from './downstream.ts';
import { type Expect, expect } from './expect.ts';
import { describeReply } from './http.ts';
import { type MailboxReader, mailboxReader } from './mailbox.ts';
import { McpClient, type McpSession } from './mcp.ts';
import type { Fetch } from './network/types.ts';
import { OAuthClientSide } from './oauth.ts';
import type { SpecVersion } from './results.ts';
import type { Session } from './session.ts';
import type { TargetFile } from './target.ts';
import type { TokenLab } from './token-lab/index.ts';

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
  /**
   * Lets `seconds` pass for the target: the harness's clock when it controls the target's, else real waiting, up to
   * the target's `expiryWaitSeconds` (more SKIPs the check).
   */
  passTime(seconds: number): Promise<void>;
  /** The harness's test issuer, once the RS has been seen to accept a valid token from it. */
  tokenLab(): Promise<TokenLab>;
  /** The observer standing in for the service the target's downstream tool calls. */
  downstream(): DownstreamObserver;
  /** The workload identity issuer the harness serves, which the AS trusts for `clients.workload`. */
  workloadIssuer(): WorkloadIssuer;
  /** The enterprise IdP the harness serves, whose ID-JAGs the AS accepts for `clients.enterprise`. */
  enterpriseIdp(): EnterpriseIdp;
  /** The inbox where the target's approval mails (CIBA) arrive. */
  mailbox(): MailboxReader;
  /** The host serving Client ID Metadata Documents (and canaries) for the target's AS to fetch. */
  cimd(): CimdHost;
  /** The homegrown identity API the harness serves, which the target's flow connectors call. */
  homegrown(): HomegrownAuth;
  /** The upstream OpenID provider the harness serves, to which the target's AS federates. */
  upstreamOidc(): UpstreamOidc;
  /** The tenant SAML IdP the harness serves, which the target's AS trusts as SP. */
  samlIdp(): SamlIdp;
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
    tokenLab: () => trustedTokenLab(session),
    async passTime(seconds: number) {
      const clock = session.sut.clock;
      if (clock) return clock.advance(seconds * 1000);
      const allowed = session.target.expiryWaitSeconds;
      if (seconds > allowed) {
        throw new CheckSkipped(
          `needs ${seconds} s to pass; the harness does not control this target's clock and may wait ` +
            `${allowed} s (raise "expiryWaitSeconds" to let it wait)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    },
    downstream() {
      if (!session.sut.downstream) throw new CheckSkipped('the target declares no "downstream" tool and URL');
      return session.sut.downstream;
    },
    workloadIssuer() {
      if (!session.sut.workloadIssuer) throw new CheckSkipped('the target declares no "workloadIssuer.issuer"');
      return session.sut.workloadIssuer;
    },
    enterpriseIdp() {
      if (!session.sut.enterpriseIdp) throw new CheckSkipped('the target declares no "enterpriseIdp.issuer"');
      return session.sut.enterpriseIdp;
    },
    mailbox: () => mailboxReader(session.target, session.sut.network.fetch),
    homegrown() {
      if (!session.sut.homegrown) throw new CheckSkipped('the target declares no "byoa.homegrownAuth"');
      return session.sut.homegrown;
    },
    upstreamOidc() {
      if (!session.sut.upstreamOidc) throw new CheckSkipped('the target declares no "federation.oidc"');
      return session.sut.upstreamOidc;
    },
    samlIdp() {
      if (!session.sut.samlIdp) throw new CheckSkipped('the target declares no "federation.saml"');
      return session.sut.samlIdp;
    },
    cimd() {
      if (!session.sut.cimd)
        throw new CheckSkipped('the target declares no "cimd.host" for Client ID Metadata Documents');
      return session.sut.cimd;
    },
  };
}

/**
 * The token lab, after one shared step proved the RS accepts a valid lab token; without that proof every lab check
 * would "pass" on an RS that simply refuses everything from the lab.
 */
function trustedTokenLab(session: Session): Promise<TokenLab> {
  const lab = session.sut.tokenLab;
  if (!lab) throw new CheckSkipped('the target declares no "tokenLab.issuer"');
  return session.step('token lab trust', async () => {
    const reply = await new McpClient(session).post({ token: await lab.mint() });
    if (reply.status !== 200) {
      throw new CheckFailure(
        `the MCP server refused a valid token from the token lab (${describeReply(reply)}); start it trusting ` +
          `${lab.issuer} (metadata at its RFC 8414 well-known URL) with audience ${lab.audience}`,
      );
    }
    return lab;
  });
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
    case 'cimd': {
      ctx.cimd();
      const { metadata } = await ctx.discovery.authorizationServerMetadata();
      if (metadata.client_id_metadata_document_supported !== true) {
        ctx.skip('the AS does not advertise client_id_metadata_document_supported: true');
      }
      return;
    }
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
    case 'elevated-scope':
      if (!ctx.target.scopes?.elevated || !ctx.target.tools?.elevated) {
        ctx.skip('the target declares no elevated scope ("scopes.elevated") and tool needing it ("tools.elevated")');
      }
      return;
    case 'alternate-resource':
      if (!ctx.target.alternateResource) ctx.skip('the target declares no "alternateResource" at the same AS');
      return;
    case 'token-lab':
      await ctx.tokenLab();
      return;
    case 'downstream':
      ctx.downstream();
      return;
    case 'sessions':
      await mcpSession(ctx);
      return;
    case 'refresh-token':
      await assertGrantListed(ctx, 'refresh_token', { absentMeans: 'unsupported' });
      await assertNeed(ctx, 'authorization-code');
      return;
    case 'client-credentials':
      await ctx.oauth.machineClient();
      await assertGrantListed(ctx, 'client_credentials', { absentMeans: 'unknown' });
      return;
    case 'jwt-bearer':
      await ctx.oauth.machineClient('workload');
      ctx.workloadIssuer();
      await assertGrantListed(ctx, JWT_BEARER, { absentMeans: 'unknown' });
      return;
    case 'id-jag':
      await ctx.oauth.machineClient('enterprise');
      ctx.enterpriseIdp();
      await assertGrantListed(ctx, JWT_BEARER, { absentMeans: 'unknown' });
      return;
    case 'token-exchange':
      await ctx.oauth.machineClient('exchange');
      await assertGrantListed(ctx, TOKEN_EXCHANGE, { absentMeans: 'unknown' });
      return;
    case 'ciba':
      await ctx.oauth.machineClient('ciba');
      if (!ctx.target.ciba) ctx.skip('the target declares no CIBA user ("ciba.loginHint")');
      await ctx.discovery.endpoint('backchannel_authentication_endpoint');
      return;
    case 'ciba-approval':
      await assertNeed(ctx, 'ciba');
      ctx.mailbox();
      return;
    case 'userinfo':
      await ctx.discovery.endpoint('userinfo_endpoint');
      return;
    case 'introspection':
      await ctx.discovery.endpoint('introspection_endpoint');
      return;
    case 'revocation':
      await ctx.discovery.endpoint('revocation_endpoint');
      return;
  }
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/**
 * SKIPs unless the AS metadata lists `grant`. Without grant_types_supported, RFC 8414 §2's default applies
 * (authorization_code and implicit only): `unsupported` then skips, `unknown` lets a declared client try.
 */
async function assertGrantListed(
  ctx: CheckContext,
  grant: string,
  { absentMeans }: { absentMeans: 'unsupported' | 'unknown' },
): Promise<void> {
  const { metadata } = await ctx.discovery.authorizationServerMetadata();
  const grants = metadata.grant_types_supported;
  if (!Array.isArray(grants)) {
    if (absentMeans === 'unsupported') ctx.skip(`the AS metadata has no grant_types_supported, so no ${grant} grant`);
    return;
  }
  if (!grants.includes(grant)) ctx.skip(`the AS does not list ${grant} in grant_types_supported`);
}

/** A session opened with the run's user token; SKIPs on servers that issue no Mcp-Session-Id. */
export async function mcpSession(ctx: CheckContext): Promise<McpSession & { sessionId: string }> {
  const { accessToken } = await ctx.oauth.userTokens();
  const session = await ctx.mcp.openSession(accessToken);
  if (session.reply.status !== 200) {
    throw new BlockedError('MCP session', `initialize with a valid token answered ${describeReply(session.reply)}`);
  }
  if (!session.sessionId) ctx.skip('the MCP server issues no Mcp-Session-Id (stateless); session checks do not apply');
  return { ...session, sessionId: session.sessionId };
}
