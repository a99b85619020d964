/**
 * One actor's life: sessions of tool calls with think time, tokens renewed as they age, a revocation at the end of
 * each session — and, along the way, the observations the invariants are judged from.
 */
import {
  type ActorIo,
  callTool,
  type McpSession,
  openMcpSession,
  refusedByMcp,
  revoke,
  StepError,
  type TokenSet,
} from './actor.ts';
import { type ActorMemory, LOGINS, type Login, refreshRequest, type Waiting } from './logins.ts';
import type { Range } from './scenario.ts';

/** Renew this long before the actor believes its token expires. */
const RENEW_MARGIN_S = 30;
/** A token is judged expired only this long after its `exp`, so a verifier's leeway is never mistaken for a defect. */
const EXPIRY_LEEWAY_S = 120;
const AUTH_FAILURES = new Set(['invalid_token', 'http-401']);
/** MCP Streamable HTTP: a 404 for a session id means the session is gone; the client starts a new one. */
const SESSION_GONE = 'http-404';

/** Yields simulated milliseconds to wait; returns true when every session was completed. */
export async function* actorJourney(io: ActorIo): Waiting<boolean> {
  const memory: ActorMemory = {};
  const { behaviour } = io;
  for (let session = 0; session < behaviour.sessions; session++) {
    let failures = 0;
    for (;;) {
      try {
        yield* runSession(io, memory);
        break;
      } catch (error) {
        if (!(error instanceof StepError)) throw error;
        failures += 1;
        if (failures >= behaviour.maxConsecutiveFailures) return false;
        yield behaviour.retryAfterS * 1000;
      }
    }
    if (session < behaviour.sessions - 1) yield draw(io, behaviour.pauseBetweenSessionsS) * 1000;
  }
  return true;
}

function draw(io: ActorIo, range: Range): number {
  return io.profile.rng.between(range.min, range.max);
}

async function* runSession(io: ActorIo, memory: ActorMemory): Waiting<void> {
  let login = yield* LOGINS[io.profile.kind](io, memory);
  let mcp = await io.step('mcp-session', () => openMcpSession(io, login.mcpUrl, login.tokens.accessToken));
  let reuseTested = !io.profile.rng.chance(io.behaviour.refreshReuseShare);
  const calls = Math.round(draw(io, io.behaviour.toolCallsPerSession));
  for (let call = 0; call < calls; call++) {
    yield draw(io, io.behaviour.thinkTimeS) * 1000;
    if (needsRenewal(io, login.tokens)) {
      const previous = login.tokens;
      yield* renew(io, login, mcp);
      if (!reuseTested && previous.refreshToken && previous.refreshToken !== login.tokens.refreshToken) {
        reuseTested = true;
        await replayRotatedRefreshToken(io, login, mcp, previous.refreshToken);
        login = yield* LOGINS[io.profile.kind](io, memory);
        mcp = await io.step('mcp-session', () => openMcpSession(io, login.mcpUrl, login.tokens.accessToken));
      }
    }
    yield* toolCall(io, login, mcp);
  }
  await endSession(io, login, mcp);
}

function needsRenewal(io: ActorIo, tokens: TokenSet): boolean {
  const refreshAfterS = io.behaviour.refreshAfterS;
  const aged = refreshAfterS !== undefined && io.nowS() - tokens.issuedAtS >= refreshAfterS;
  return aged || io.actorNowS() >= tokens.expiresAtS - RENEW_MARGIN_S;
}

function trulyExpired(io: ActorIo, tokens: TokenSet): boolean {
  return io.nowS() >= tokens.expiresAtS + EXPIRY_LEEWAY_S;
}

/** Before renewing an expired token, the actor presents it once more: it must be refused. */
async function* renew(io: ActorIo, login: Login, mcp: McpSession): Waiting<void> {
  if (trulyExpired(io, login.tokens)) await probeExpired(io, login, mcp);
  login.tokens = yield* login.renew(io);
}

async function probeExpired(io: ActorIo, login: Login, mcp: McpSession): Promise<void> {
  if (!io.world.embedded) return;
  const refused = await io.step('expired-probe', () => refusedByMcp(io, mcp, login.tokens.accessToken));
  io.observe(
    'no-token-after-expiry',
    refused,
    `a token expired ${Math.round(io.nowS() - login.tokens.expiresAtS)} s ago was accepted`,
  );
}

/** A refused call (the actor's clock was off, the token was revoked by a storm) renews the token and tries once more. */
async function* toolCall(io: ActorIo, login: Login, mcp: McpSession): Waiting<void> {
  try {
    await io.step('tool-call', () => callTool(io, mcp, login.tokens.accessToken));
    if (trulyExpired(io, login.tokens) && io.world.embedded) {
      io.observe('no-token-after-expiry', false, 'a tool call with an expired token succeeded');
    }
  } catch (error) {
    if (!(error instanceof StepError)) throw error;
    if (error.type === SESSION_GONE) {
      const fresh = await io.step('mcp-session', () => openMcpSession(io, login.mcpUrl, login.tokens.accessToken));
      mcp.sessionId = fresh.sessionId;
    } else if (AUTH_FAILURES.has(error.type)) {
      if (trulyExpired(io, login.tokens) && io.world.embedded) io.observe('no-token-after-expiry', true, '');
      login.tokens = yield* login.renew(io);
    } else {
      throw error;
    }
    await io.step('tool-call', () => callTool(io, mcp, login.tokens.accessToken));
  }
}

/**
 * OAuth 2.1 §4.3.1: a thief replays the refresh token the actor has just rotated. The AS must refuse it and end the
 * family: the actor's current refresh token and access token stop working too.
 */
async function replayRotatedRefreshToken(io: ActorIo, login: Login, mcp: McpSession, rotated: string): Promise<void> {
  const replayRefused = await refusedAtToken(io, 'reuse-replay', () => refreshRequest(io, login, rotated));
  io.observe('refresh-family-dead-after-reuse', replayRefused, 'a rotated refresh token was accepted again');
  const refreshRefused = await refusedAtToken(io, 'reuse-family-refresh', () =>
    refreshRequest(io, login, login.tokens.refreshToken),
  );
  io.observe('refresh-family-dead-after-reuse', refreshRefused, 'the family kept refreshing after reuse was detected');
  const accessRefused = await io.step('reuse-family-probe', () => refusedByMcp(io, mcp, login.tokens.accessToken));
  io.observe('refresh-family-dead-after-reuse', accessRefused, "the family's access token still worked after reuse");
}

/** True when the token endpoint refused the request with invalid_grant (what the invariant expects). */
async function refusedAtToken(io: ActorIo, step: string, work: () => Promise<unknown>): Promise<boolean> {
  return io.step(step, async () => {
    try {
      await work();
      return false;
    } catch (error) {
      if (error instanceof StepError && error.type === 'invalid_grant') return true;
      throw error;
    }
  });
}

/** RFC 7009: the actor revokes what it holds, then (as a thief would) presents the revoked access token. */
async function endSession(io: ActorIo, login: Login, mcp: McpSession): Promise<void> {
  if (!io.behaviour.revokeAtSessionEnd || !login.as.revocation_endpoint) return;
  await io.step('revoke', async () => {
    if (login.tokens.refreshToken) await revoke(io, login.as, login.tokens.refreshToken, 'refresh_token', login.auth);
    await revoke(io, login.as, login.tokens.accessToken, 'access_token', login.auth);
  });
  const refused = await io.step('revoked-probe', () => refusedByMcp(io, mcp, login.tokens.accessToken));
  io.observe('no-token-after-revocation', refused, 'a revoked access token was accepted by the MCP server');
}
